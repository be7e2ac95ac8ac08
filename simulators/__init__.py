"""Simulated peers of the product, built from the peers' own published schemas and sources.

They stand in for the infrastructure the product talks to (Proxmox VE, pfSense) where the real thing
is not at hand: in the test suites, in the sandbox, and as a shared service for a PostgreSQL install
without hardware (`hostprovider simulate`). They import nothing of the product: a simulator answers
what the real peer answers, not what our adapters happen to send.
"""
