-- The admin's reads of the audit log (GET /api/admin/audit): newest first, filtered by who acted,
-- by what was acted on (exactly, or by a prefix such as 'server:'), and by time.
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target text_pattern_ops, id);
CREATE INDEX audit_log_at ON audit_log (at);
