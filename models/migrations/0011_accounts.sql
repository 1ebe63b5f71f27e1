-- Accounts people can trust: verified emails, verified publishers, mailed single-use links, and
-- the outbox every mail goes through.

-- When the account's current email was proven (NULL: never), and when an admin marked the
-- developer a verified publisher (shown on consent pages).
ALTER TABLE users ADD COLUMN email_verified_at {{TIME}};
ALTER TABLE users ADD COLUMN verified_publisher_at {{TIME}};

-- Single-use links mailed to a person: email verification, email change, password reset. Only
-- the SHA-256 of the token is stored; email is the address the link proves (for a change, the
-- new one).
CREATE TABLE account_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}} NOT NULL,
    used_at    {{TIME}}
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

-- The outbox: mail waiting to be sent, so a slow or failing SMTP server never blocks a request
-- and nothing queued is lost across a restart. The message is sealed (AES-GCM under a key
-- derived from the server secret): it holds the links above. A row is deleted once sent.
CREATE TABLE outbox (
    id              {{ID}},
    payload         {{BYTES}} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{TIME}} NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      {{TIME}} NOT NULL,
    failed_at       {{TIME}}
);
CREATE INDEX outbox_due ON outbox (failed_at, next_attempt_at);
