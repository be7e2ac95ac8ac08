"""Loopback HTTP simulators of the outside systems (Proxmox VE, pfSense) that the real adapters are
tested against. Each one speaks the real wire format and checks every request it receives."""
