-- Two-factor login and scoped personal access tokens (issue 17, items 1 and 2).

-- An account's TOTP secret, sealed with the secret box (never in clear), whether it is enabled,
-- the last 30-second step a code was accepted for (a code is accepted once: only a later step
-- passes after it, by one conditional UPDATE), and the SHA-256 digests of the unused recovery codes.
CREATE TABLE second_factors (
    account_id        BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    sealed_secret     TEXT NOT NULL CHECK (length(sealed_secret) BETWEEN 1 AND 1000),
    enabled_at        TIMESTAMPTZ,
    last_step         BIGINT CHECK (last_step >= 0),
    recovery_digests  TEXT[] NOT NULL DEFAULT '{}',
    CHECK (enabled_at IS NOT NULL OR cardinality(recovery_digests) = 0)
);

-- What a token may do. Every token made before scopes existed, and every login session, keeps
-- full access ('*'); `*` stands alone.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT[] NOT NULL DEFAULT '{*}';
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scopes_known CHECK (
    cardinality(scopes) >= 1
    AND scopes <@ ARRAY['*', 'servers:read', 'servers:write', 'billing:read', 'billing:write',
                        'tickets', 'account', 'admin']::TEXT[]
    AND (NOT '*' = ANY (scopes) OR cardinality(scopes) = 1)
);
