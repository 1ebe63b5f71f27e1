-- Retention (issue #12, item 8): the purge deletes activity events and grants by age, in
-- batches; each predicate needs an index, or every batch would scan the whole table. Deleting a
-- grant sets its codes' grant_id to NULL, which needs the codes found by grant.
CREATE INDEX client_events_created ON client_events (created_at);
CREATE INDEX grants_revoked_at ON grants (revoked_at);
CREATE INDEX auth_codes_grant_id ON auth_codes (grant_id);
