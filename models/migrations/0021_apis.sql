-- APIs as resource servers (issue 15, lane A). An API is what a token's aud names (RFC 8707,
-- RFC 9068 §3); every catalog scope but the OpenID Connect ones belongs to exactly one.

-- identifier is the absolute URI that becomes the tokens' aud. One under the issuer is stored
-- relative to it, as "{issuer}" followed by its path, and resolved at run time: the sample API's
-- "{issuer}/api/v1" names the right URI whatever DEVPORTAL_ISSUER says today (see
-- models.ResolveIdentifier). access_token_ttl_seconds NULL means the deployment's lifetime.
CREATE TABLE apis (
    id                       {{ID}},
    name                     TEXT NOT NULL,
    identifier               TEXT NOT NULL,
    description              TEXT NOT NULL DEFAULT '',
    docs_url                 TEXT NOT NULL DEFAULT '',
    access_token_ttl_seconds BIGINT,
    created_at               {{TIME}} NOT NULL,
    updated_at               {{TIME}} NOT NULL
);
CREATE UNIQUE INDEX apis_identifier ON apis (identifier);

INSERT INTO apis (name, identifier, description, docs_url, created_at, updated_at) VALUES
    ('Sample API', '{issuer}/api/v1', 'Invoices, virtual accounts and e-wallets of the signed-in account.', '{issuer}/docs/api', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- The scope's API; NULL only for the OpenID Connect scopes, which name no resource server and
-- never decide a token's aud.
ALTER TABLE scopes ADD COLUMN api_id BIGINT REFERENCES apis(id);
UPDATE scopes SET api_id = (SELECT id FROM apis WHERE identifier = '{issuer}/api/v1')
    WHERE name NOT IN ('openid', 'profile', 'email', 'offline_access');
-- The API's scopes: its metadata document, the delete check, the console's grouping.
CREATE INDEX scopes_api_id ON scopes (api_id);

-- The resource an authorization request named (RFC 8707 §2.1), kept with its code and then its
-- grant, so that the code's and the refresh tokens' access tokens are for that API and no other.
-- NULL: none was named, and the audience follows from the scopes. An API cannot be deleted while
-- it has scopes, but a grant pinned to one that is gone falls back to its scopes.
ALTER TABLE auth_codes ADD COLUMN api_id BIGINT REFERENCES apis(id) ON DELETE SET NULL;
ALTER TABLE grants ADD COLUMN api_id BIGINT REFERENCES apis(id) ON DELETE SET NULL;
-- Deleting an API sets those to NULL: without an index each delete would scan both tables.
CREATE INDEX auth_codes_api_id ON auth_codes (api_id);
CREATE INDEX grants_api_id ON grants (api_id);
