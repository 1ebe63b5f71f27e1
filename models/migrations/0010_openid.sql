-- OpenID Connect. Each account gets a subject: the stable, opaque identifier ID Tokens, userinfo
-- and access tokens carry as sub (never the email, never the row number), and a display name.
-- Existing accounts get a random subject here; new ones get theirs from the Store.
ALTER TABLE users ADD COLUMN subject TEXT;
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
UPDATE users SET subject = {{RANDOM_ID}} WHERE subject IS NULL;
CREATE UNIQUE INDEX users_subject ON users (subject);

-- A session's public identifier (the ID Token's sid, OIDC Front- and Back-Channel Logout §2),
-- distinct from its id, which is the hash of the cookie; and how it was authenticated (RFC 8176
-- amr values).
ALTER TABLE sessions ADD COLUMN sid TEXT;
UPDATE sessions SET sid = {{RANDOM_ID}} WHERE sid IS NULL;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- What an ID Token issued from a code (and later from its grant's refresh tokens) must say
-- about the authentication behind it: nonce (codes only), auth_time, amr, and the session.
ALTER TABLE auth_codes ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN auth_time {{TIME}};
ALTER TABLE auth_codes ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN sid TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN auth_time {{TIME}};
ALTER TABLE grants ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN sid TEXT NOT NULL DEFAULT '';
-- The subject its tokens carry, so a refresh needs no look-up of the user.
ALTER TABLE grants ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE grants SET subject = (SELECT users.subject FROM users WHERE users.id = grants.user_id) WHERE user_id IS NOT NULL;

-- RP-Initiated Logout targets, one per line, and the client's ID Token algorithm ('' = RS256).
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT '';

-- The OpenID Connect scopes are always in the catalog (OIDC Core §5.4, §11).
UPDATE scopes SET retired_at = NULL WHERE name IN ('openid', 'profile', 'email', 'offline_access');
INSERT INTO scopes (name, description, created_at)
    SELECT 'openid', 'Sign you in with your account', CURRENT_TIMESTAMP
    WHERE NOT EXISTS (SELECT 1 FROM scopes WHERE name = 'openid');
INSERT INTO scopes (name, description, created_at)
    SELECT 'profile', 'Know your name', CURRENT_TIMESTAMP
    WHERE NOT EXISTS (SELECT 1 FROM scopes WHERE name = 'profile');
INSERT INTO scopes (name, description, created_at)
    SELECT 'email', 'See your email address', CURRENT_TIMESTAMP
    WHERE NOT EXISTS (SELECT 1 FROM scopes WHERE name = 'email');
INSERT INTO scopes (name, description, created_at)
    SELECT 'offline_access', 'Keep access when you are not using the app', CURRENT_TIMESTAMP
    WHERE NOT EXISTS (SELECT 1 FROM scopes WHERE name = 'offline_access');
