-- The sample protected API's data: invoices, owned by the user (or, for client credentials, the
-- developer who owns the client) on whose behalf an application created them.

CREATE TABLE invoices (
    id          TEXT PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT REFERENCES clients(id) ON DELETE SET NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'PENDING',
    created_at  {{TIME}} NOT NULL
);
CREATE INDEX invoices_owner_created ON invoices (owner_id, created_at);
