-- Mail delivery (domain/model/notices.py): every notice carries its HTML part, when its next try is
-- due (backoff), when a deliverer claimed it (`sending`: committed before the relay is spoken to,
-- so a notice is sent at most once) and when it was given up.
ALTER TABLE notices
    ADD COLUMN html            TEXT NOT NULL DEFAULT '',
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN claimed_at      TIMESTAMPTZ,
    ADD COLUMN failed_at       TIMESTAMPTZ,
    ADD CONSTRAINT notices_one_outcome CHECK (sent_at IS NULL OR failed_at IS NULL);
-- What a deliverer scans: notices neither sent nor given up, oldest first.
DROP INDEX notices_unsent;
CREATE INDEX notices_open ON notices (id) WHERE sent_at IS NULL AND failed_at IS NULL;

-- At most one alert e-mail per server, metric and hour: when this metric last mailed.
ALTER TABLE alert_states ADD COLUMN mailed_at TIMESTAMPTZ;
