-- Who holds an Idempotency-Key claim that has no response yet: the application_name of the
-- claiming process's connections (adapters/postgres/pool.py, unique per process). A claim whose
-- holder no longer has a connection to the database belongs to a request that died with its
-- process, and the next request with the key takes it over instead of waiting out the lease.
-- NULL (claims made before this column) falls back to the lease alone.
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT;

-- When a change the claiming request made was committed (in that change's own transaction): a
-- claim whose request changed something and then died is never run again by a retry, whose
-- answer would otherwise be a second order or a second charge.
ALTER TABLE idempotency_keys ADD COLUMN changed_at TIMESTAMPTZ;
