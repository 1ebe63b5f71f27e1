-- Two-factor authentication with TOTP (RFC 6238), issue #11. One authenticator per account. The
-- secret must be readable by the server to compute codes, so it cannot be hashed: it is sealed
-- with AES-GCM under a key derived from the server secret. enabled_at is NULL while a set-up
-- waits for its first code; last_used_step is the latest 30-second step a code was accepted
-- for, so a code cannot be used twice within its window.
CREATE TABLE totp_credentials (
    user_id        BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret         {{BYTES}} NOT NULL,
    created_at     {{TIME}} NOT NULL,
    enabled_at     {{TIME}},
    last_used_step BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes; used_at marks one spent.
CREATE TABLE recovery_codes (
    id         {{ID}},
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    used_at    {{TIME}}
);
CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, hash);
