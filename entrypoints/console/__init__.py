"""The customer's console: the page at /console/<link>, noVNC's files, and the websocket that
relays RFB between the page and the hypervisor (served on an event loop, never a request thread)."""
