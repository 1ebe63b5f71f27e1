-- Failed logins are counted per email from the audit log, so the count is shared by every
-- instance; this index keeps that count cheap.
CREATE INDEX audit_events_target_type ON audit_events (target, type, created_at);
