-- Admin detail pages and overview (issue #13, lane B): each list is "the newest N by id" under
-- one equality, so each needs an index that ends in id; without one a busy target (an email
-- under a password-guessing run, a popular client's events) would be sorted whole per view.
CREATE INDEX audit_events_target_id ON audit_events (target, id);
CREATE INDEX audit_events_actor_id ON audit_events (actor_id, id);
CREATE INDEX audit_events_type_id ON audit_events (type, id);
CREATE INDEX client_events_client_id ON client_events (client_id, id);
