"""Job queue adapters on PostgreSQL (procrastinate)."""
