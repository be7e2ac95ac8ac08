"""`make bench`: every benchmark, each printing its ratios measured in the same run."""

from bench import (
    billing_memory,
    billing_postgres,
    http_read,
    metrics_postgres,
    proxmox_monitoring,
    proxmox_warm_pool,
    realtime_fanout,
)

if __name__ == "__main__":
    billing_memory.main()
    billing_postgres.main()
    proxmox_monitoring.main()
    proxmox_warm_pool.main()
    metrics_postgres.main()
    realtime_fanout.main()
    http_read.main()
