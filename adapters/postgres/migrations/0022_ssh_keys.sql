-- Customers' SSH public keys (domain/model/ssh_keys.py): a key once per account, by fingerprint.
CREATE TABLE ssh_keys (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (owner_id, fingerprint)
);
