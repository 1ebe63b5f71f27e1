-- Browser applications (CORS): each client's allowed web origins, and an index of the origins in
-- force so a preflight, which names no client, can ask "does any active client allow this origin?"
-- without scanning every client.

-- One serialised origin per line; empty means the default, the origins of the redirect URIs.
ALTER TABLE clients ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';

-- The origins in force for each client (its allowed_origins, else those of its redirect URIs),
-- rewritten by the Store in the transaction that creates or edits the client. Existing clients
-- are filled in by this migration's Go step (backfillClientOrigins).
CREATE TABLE client_origins (
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    origin    TEXT NOT NULL,
    PRIMARY KEY (client_id, origin)
);
CREATE INDEX client_origins_origin ON client_origins (origin);
