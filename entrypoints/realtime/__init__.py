"""The live feed's process side: Socket.IO on the sandbox API's own port, or `hostprovider
realtime` beside a PostgreSQL deployment (see server.py for the protocol and its rules)."""
