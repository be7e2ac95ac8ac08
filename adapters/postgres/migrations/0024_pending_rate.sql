-- A rebuild onto an image with another licence (Windows) prices the server anew from the next
-- calendar month: the meter's pending rate, NULL in all three columns when nothing is pending.
ALTER TABLE servers
    ADD COLUMN pending_hourly_micro BIGINT CHECK (pending_hourly_micro >= 0),
    ADD COLUMN pending_monthly_cap_micro BIGINT CHECK (pending_monthly_cap_micro >= 0),
    ADD COLUMN pending_starts TIMESTAMPTZ,
    ADD CONSTRAINT servers_pending_rate_whole CHECK (
        (pending_hourly_micro IS NULL) = (pending_monthly_cap_micro IS NULL)
        AND (pending_hourly_micro IS NULL) = (pending_starts IS NULL)
    );
