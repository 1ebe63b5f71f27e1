-- Passkeys (WebAuthn credentials). The user handle an authenticator keeps is the account's
-- subject (users.subject, random and opaque): never the email or the row number.
CREATE TABLE passkeys (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id {{BYTES}} NOT NULL,
    public_key {{BYTES}} NOT NULL,
    sign_count BIGINT NOT NULL DEFAULT 0,
    transports TEXT NOT NULL DEFAULT '',
    aaguid {{BYTES}},
    -- The authenticator flags recorded at registration (WebAuthn §6.1: UP, UV, BE, BS), which
    -- later assertions are checked against (backup eligibility must not change).
    flags INTEGER NOT NULL DEFAULT 0,
    attestation_type TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    last_used_at {{TIME}}
);
CREATE UNIQUE INDEX passkeys_credential_id ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony between its begin and finish requests: the challenge and what it was
-- issued for, keyed by the SHA-256 of a random token the browser holds in a cookie, so any
-- instance can finish what another began. Single use, expiring after a few minutes.
CREATE TABLE webauthn_sessions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    expires_at {{TIME}} NOT NULL
);
CREATE INDEX webauthn_sessions_expires ON webauthn_sessions (expires_at);
