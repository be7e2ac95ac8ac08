"""The Hypervisor port on Proxmox VE 8 through its HTTP API (and SSH for LXC passwords)."""
