-- Admin lists and pages (issue 14, growth): every list the console pages through is read in the
-- order of an index, a keyset page at a time, so a view reads one page of index entries whatever
-- the table holds. Searches are prefixes of a lower-case key: a range of one index, in the
-- index's order. The keys compare in byte order (COLLATE "C" on PostgreSQL, SQLite's BINARY),
-- so a prefix is one contiguous range whatever the database's collation. A contains-search
-- cannot use a B-tree, and a trigram index (FTS5, pg_trgm) finds rows but not in an order a page
-- can stop at.
CREATE INDEX clients_created_id ON clients (created_at, id);
CREATE INDEX clients_status_created_id ON clients (status, created_at, id);
CREATE INDEX clients_name_search ON clients (lower(name) COLLATE {{BINARY}}, id);
CREATE INDEX clients_status_name_search ON clients (status, lower(name) COLLATE {{BINARY}}, id);
CREATE INDEX clients_id_search ON clients (lower(id) COLLATE {{BINARY}}, id);
CREATE INDEX clients_status_id_search ON clients (status, lower(id) COLLATE {{BINARY}}, id);
CREATE INDEX users_email_search ON users (lower(email) COLLATE {{BINARY}}, id);
-- A user's clients by id (the owner-email search). Newest first (their admin page), a user's
-- consents newest first and the pending scope requests oldest first come with 0020.
CREATE INDEX clients_owner_id_id ON clients (owner_id, id);
-- The audit log filtered by actor (text, as it was at the time), alone or with a type, and by
-- target with a type, newest first.
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_actor_type ON audit_events (actor, type, id);
CREATE INDEX audit_events_target_type_id ON audit_events (target, type, id);
