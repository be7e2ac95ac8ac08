-- One-time console links (domain/model/console.py): only the SHA-256 of the secret is kept. A link
-- opens one session within its minute; `opened_at` is set once, by the first opening to come.
CREATE TABLE console_links (
    digest      TEXT PRIMARY KEY,
    server_id   BIGINT NOT NULL REFERENCES servers (id),
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    opened_at   TIMESTAMPTZ,
    ended_at    TIMESTAMPTZ,
    end_reason  TEXT CHECK (end_reason IN ('closed', 'idle', 'stopped')),
    CONSTRAINT console_links_end_follows_opening CHECK (ended_at IS NULL OR opened_at IS NOT NULL)
);

CREATE INDEX console_links_expiry ON console_links (expires_at);
