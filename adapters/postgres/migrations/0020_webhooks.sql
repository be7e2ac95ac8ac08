-- Customers' webhooks (domain/model/webhooks.py) and their deliveries: an outbox written in the
-- transaction of the change each announces, delivered by the `webhooks` tick, retried for 24 h.
CREATE TABLE webhooks (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES accounts (id),
    url         TEXT NOT NULL CHECK (length(url) <= 2000),
    events      TEXT[] NOT NULL CHECK (cardinality(events) > 0),
    secret      TEXT NOT NULL,  -- sealed with the deployment's secret box
    created_at  TIMESTAMPTZ NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhooks_owner ON webhooks (owner_id, id);

CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    webhook_id       BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    owner_id         BIGINT NOT NULL REFERENCES accounts (id),
    event            TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    claimed_at       TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    last_status_code INTEGER,
    last_answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
-- What a deliverer scans: the open deliveries, oldest first.
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (id) WHERE status IN ('pending', 'sending');
