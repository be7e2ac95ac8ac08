-- An admin's suspension of an account stops its servers and stops billing them (data kept):
-- `suspended_by_admin` marks a server held that way. Such a server is not billable, so the index
-- the billing run reads due meters through leaves it out, like the run's query does.

ALTER TABLE servers
    ADD COLUMN suspended_by_admin BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT servers_admin_suspension_is_suspended
        CHECK (NOT suspended_by_admin OR status = 'suspended');

DROP INDEX servers_billable;
CREATE INDEX servers_billable ON servers (billed_until, id)
    WHERE status IN ('running', 'stopped', 'suspended', 'rebuilding') AND NOT suspended_by_admin;
