"""A Proxmox VE 8.4 API simulator on loopback (see simulator.py for how tests use it)."""

from simulators.proxmox.simulator import TOKEN_ID, TOKEN_SECRET, ProxmoxSimulator

__all__ = ["TOKEN_ID", "TOKEN_SECRET", "ProxmoxSimulator"]
