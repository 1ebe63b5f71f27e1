-- devportal schema, version 1.
-- Placeholders: {{ID}} auto-increment primary key, {{TIME}} timestamp with zone, {{BYTES}} binary.
-- Every credential column holds a SHA-256 digest, never the credential itself.

CREATE TABLE users (
    id            {{ID}},
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled_at   {{TIME}},
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}} NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE scopes (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    sensitive   BOOLEAN NOT NULL DEFAULT FALSE,
    retired_at  {{TIME}},
    created_at  {{TIME}} NOT NULL
);

INSERT INTO scopes (name, description, created_at) VALUES
    ('INVOICE.READ', 'See your invoices and their payment status', CURRENT_TIMESTAMP),
    ('INVOICE.WRITE', 'Create and send invoices on your behalf', CURRENT_TIMESTAMP),
    ('VIRTUAL_ACCOUNT.READ', 'See your virtual accounts and their balances', CURRENT_TIMESTAMP),
    ('VIRTUAL_ACCOUNT.WRITE', 'Open and close virtual accounts on your behalf', CURRENT_TIMESTAMP),
    ('EWALLET.READ', 'See your e-wallet balance and transactions', CURRENT_TIMESTAMP),
    ('EWALLET.WRITE', 'Make e-wallet payments on your behalf', CURRENT_TIMESTAMP);

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    owner_id      BIGINT REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    redirect_uris TEXT NOT NULL DEFAULT '',
    scopes        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'active',
    created_at    {{TIME}} NOT NULL,
    updated_at    {{TIME}} NOT NULL
);
CREATE INDEX clients_owner_id ON clients (owner_id);

CREATE TABLE client_secrets (
    id           {{ID}},
    client_id    TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    hash         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    created_at   {{TIME}} NOT NULL,
    expires_at   {{TIME}},
    retired_at   {{TIME}},
    last_used_at {{TIME}}
);
CREATE INDEX client_secrets_client_id ON client_secrets (client_id);

-- A grant is one authorization: everything issued from one code, or one refresh-token family.
CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    revoked_at {{TIME}}
);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_user_id ON grants (user_id);

CREATE TABLE auth_codes (
    hash                  TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id               BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL,
    code_challenge        TEXT NOT NULL DEFAULT '',
    code_challenge_method TEXT NOT NULL DEFAULT '',
    grant_id              TEXT REFERENCES grants(id) ON DELETE SET NULL,
    created_at            {{TIME}} NOT NULL,
    expires_at            {{TIME}} NOT NULL,
    used_at               {{TIME}}
);

CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}} NOT NULL,
    used_at    {{TIME}}
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);

CREATE TABLE consents (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at {{TIME}} NOT NULL,
    updated_at {{TIME}} NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    private_key {{BYTES}} NOT NULL,
    created_at  {{TIME}} NOT NULL,
    retired_at  {{TIME}}
);
