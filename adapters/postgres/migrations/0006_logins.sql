-- Logins and accounts (issue 10, items 4-8).
-- Attempt counters of the login and registration throttles, shared by every API worker: one row
-- per key, counted by `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (adapters/postgres/
-- throttle.py); a window that has closed is reopened by the next hit and purged by a tick.
CREATE TABLE throttle_counters (
    key        TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 600),
    hits       INTEGER NOT NULL CHECK (hits > 0),
    resets_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttle_counters_resets ON throttle_counters (resets_at);

-- Password-reset links are tokens of their own kind: only their SHA-256 is kept, they expire in
-- 30 minutes, and the confirmation deletes the row it uses (single use). They never authenticate.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_kind_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_kind_check
    CHECK (kind IN ('session', 'personal', 'reset'));
-- The tick that purges expired sessions and links.
CREATE INDEX api_tokens_expires ON api_tokens (expires_at) WHERE expires_at IS NOT NULL;
