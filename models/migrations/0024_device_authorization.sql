-- Device Authorization Grant (RFC 8628, issue 15 lane D).

-- Per-client opt-in: only applications whose developer turned it on may start a device sign-in,
-- since its user code is a phishing lure (RFC 8628 §5.4) that the application asks users to type.
ALTER TABLE clients ADD COLUMN allow_device_grant BOOLEAN NOT NULL DEFAULT FALSE;

-- One device authorization request (§3.1–3.5). Both codes are stored only as SHA-256 hashes:
-- device_code_hash of the device code the client polls with, user_code_hash of the normalised
-- user code (8 letters, no dash) a person types on /device. status moves pending → approved or
-- denied → used (tokens issued, single use). interval_seconds grows by 5 on each slow_down;
-- last_polled_at is the previous poll and polls counts them (a compare-and-swap version), all in
-- the row so every instance agrees (§3.5).
CREATE TABLE device_authorizations (
    id               TEXT PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code_hash   TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    status           TEXT NOT NULL,
    user_id          BIGINT REFERENCES users(id) ON DELETE CASCADE,
    subject          TEXT NOT NULL DEFAULT '',
    auth_time        {{TIME}},
    amr              TEXT NOT NULL DEFAULT '',
    sid              TEXT NOT NULL DEFAULT '',
    interval_seconds INTEGER NOT NULL,
    polls            BIGINT NOT NULL DEFAULT 0,
    last_polled_at   {{TIME}},
    created_at       {{TIME}} NOT NULL,
    expires_at       {{TIME}} NOT NULL,
    decided_at       {{TIME}}
);
-- The purge deletes expired requests; deleting a client or user finds theirs.
CREATE INDEX device_authorizations_expires_at ON device_authorizations (expires_at);
CREATE INDEX device_authorizations_client_id ON device_authorizations (client_id);
CREATE INDEX device_authorizations_user_id ON device_authorizations (user_id);
