-- Dead grants and consents of revoked clients (issue #12, item 8): the purge finds grants that
-- were never revoked but whose refresh family ended by age, and consents by client; both
-- predicates need an index, or every batch would scan the whole table. The partial index
-- (SQLite and PostgreSQL both have them) holds only the grants not revoked.
CREATE INDEX grants_live_created_at ON grants (created_at) WHERE revoked_at IS NULL;
CREATE INDEX consents_client_id ON consents (client_id);
CREATE INDEX clients_status_updated_at ON clients (status, updated_at);
