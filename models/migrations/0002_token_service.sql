-- Token service: per-client lifetimes, the introspection capability, and revoked access tokens
-- that belong to no grant (client credentials), remembered until they would have expired.

ALTER TABLE clients ADD COLUMN can_introspect BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN access_ttl_seconds INTEGER;
ALTER TABLE clients ADD COLUMN refresh_ttl_seconds INTEGER;

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at {{TIME}} NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
