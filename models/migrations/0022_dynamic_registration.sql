-- Dynamic Client Registration (issue 15, RFC 7591 and RFC 7592).

-- A client that registered itself at /oauth/register is an ordinary row of clients (so consents,
-- grants, events, suspension and the admin console keep working for it), marked dynamic, with
-- the SHA-256 of its registration access token (RFC 7592 §1), which reads, updates and deletes
-- its registration. registration_policy is the DEVPORTAL_DCR policy it registered under and
-- token_endpoint_auth_method the method it registered (RFC 7591 §2), echoed back on reads.
ALTER TABLE clients ADD COLUMN dynamic BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN registration_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT '';
-- The purge looks for dynamic clients registered long ago that never obtained a token: only the
-- dynamic ones, oldest first.
CREATE INDEX clients_dynamic_created ON clients (created_at) WHERE dynamic;

-- Initial access tokens (RFC 7591 §3, policy "token"): an administrator creates one with an
-- expiry and a number of uses; only its SHA-256 is kept. A registration spends one use in the
-- transaction that creates the client.
CREATE TABLE registration_tokens (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    hint        TEXT NOT NULL,
    uses_left   INTEGER NOT NULL,
    uses        INTEGER NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  {{TIME}} NOT NULL,
    expires_at  {{TIME}} NOT NULL,
    revoked_at  {{TIME}}
);
CREATE UNIQUE INDEX registration_tokens_hash ON registration_tokens (hash);
-- The admin page lists them newest first.
CREATE INDEX registration_tokens_created ON registration_tokens (created_at, id);
