-- Metrics history: every monitoring sample, and 5-minute rollups of them.
--
-- Both tables are range-partitioned by day. The scheduler's metrics tick creates the partitions
-- ahead of time (a pass also makes its own day's if it is missing) and drops whole partitions once
-- they are older than their retention (raw: HOSTPROVIDER_METRICS_RAW_DAYS, rollups: 90 days): no
-- row-by-row DELETE, no vacuum debt. Figures are measurements, not money: REAL is exact enough.

CREATE TABLE server_metrics (
    server_id   BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    cpu         REAL NOT NULL CHECK (cpu >= 0),
    memory      REAL NOT NULL CHECK (memory >= 0),
    disk        REAL NOT NULL CHECK (disk >= 0),
    net_in      REAL NOT NULL CHECK (net_in >= 0),
    net_out     REAL NOT NULL CHECK (net_out >= 0),
    disk_read   REAL NOT NULL CHECK (disk_read >= 0),
    disk_write  REAL NOT NULL CHECK (disk_write >= 0)
) PARTITION BY RANGE (at);

CREATE INDEX server_metrics_by_server ON server_metrics (server_id, at);

CREATE TABLE server_metrics_5m (
    server_id   BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,  -- the bucket's start
    samples     INTEGER NOT NULL CHECK (samples > 0),
    cpu         REAL NOT NULL,
    memory      REAL NOT NULL,
    disk        REAL NOT NULL,
    net_in      REAL NOT NULL,
    net_out     REAL NOT NULL,
    disk_read   REAL NOT NULL,
    disk_write  REAL NOT NULL,
    PRIMARY KEY (server_id, at)
) PARTITION BY RANGE (at);

-- Each server's counters at its latest sample: the next pass's rates come from them.
CREATE TABLE server_counters (
    server_id   BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    net_in      BIGINT NOT NULL,
    net_out     BIGINT NOT NULL,
    disk_read   BIGINT NOT NULL,
    disk_write  BIGINT NOT NULL
);

-- Up to where the raw samples have been rolled up (a bucket is rolled once, when it has ended).
CREATE TABLE metrics_rollup_watermark (
    singleton     BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    rolled_until  TIMESTAMPTZ NOT NULL
);
