-- The consoles: application profile links, sensitive-scope approval, the
-- security audit log, and each application's activity.

ALTER TABLE clients ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN homepage_url TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN privacy_url TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN terms_url TEXT NOT NULL DEFAULT '';

-- A sensitive scope an application asked for; it joins clients.scopes once an admin approves.
CREATE TABLE scope_requests (
    client_id    TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope        TEXT NOT NULL REFERENCES scopes(name),
    status       TEXT NOT NULL DEFAULT 'pending',
    requested_at {{TIME}} NOT NULL,
    decided_by   BIGINT REFERENCES users(id) ON DELETE SET NULL,
    decided_at   {{TIME}},
    PRIMARY KEY (client_id, scope)
);
CREATE INDEX scope_requests_status ON scope_requests (status);

-- Append-only: the application never updates or deletes these rows. Actor and target are kept as
-- text so the log outlives the users and clients it names.
CREATE TABLE audit_events (
    id         {{ID}},
    type       TEXT NOT NULL,
    actor_id   BIGINT,
    actor      TEXT NOT NULL DEFAULT '',
    target     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL
);
CREATE INDEX audit_events_created ON audit_events (created_at);
CREATE INDEX audit_events_type ON audit_events (type, created_at);

-- What happened to an application at the protocol endpoints, for its developer's timeline.
CREATE TABLE client_events (
    id         {{ID}},
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    grant_type TEXT NOT NULL DEFAULT '',
    error_code TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL
);
CREATE INDEX client_events_client_created ON client_events (client_id, created_at);
