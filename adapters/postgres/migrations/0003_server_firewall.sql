-- A customer's own inbound firewall rules, kept on the server row.
-- `firewall` is the rule list the firewall enforces; NULL until the customer sets one, when the
-- provider's default applies (rows older than this migration keep it). `firewall_pending` is the
-- list a running firewall action is applying, NULL otherwise. Each is a JSON array of
-- {protocol, port_from, port_to, source, description}: a rule list is read and written whole,
-- never queried by its parts.

ALTER TABLE servers
    ADD COLUMN firewall JSONB
        CONSTRAINT servers_firewall_is_list
        CHECK (firewall IS NULL OR jsonb_typeof(firewall) = 'array'),
    ADD COLUMN firewall_pending JSONB
        CONSTRAINT servers_firewall_pending_is_list
        CHECK (firewall_pending IS NULL OR jsonb_typeof(firewall_pending) = 'array'),
    -- Only a running action applies rules: a pending list without one is a bug to refuse.
    ADD CONSTRAINT servers_firewall_pending_has_action
        CHECK (firewall_pending IS NULL OR active_action_id IS NOT NULL);
