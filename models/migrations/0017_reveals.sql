-- One-time reveals (issue #13, "Reload repeats the action"): a secret made by a POST (a new
-- client secret, fresh recovery codes) waits here, sealed, for the GET the POST redirects to,
-- which takes it (reads and deletes it) and shows it once. A reveal belongs to one session (its
-- public sid, which outlives the cookie's rotation) and is looked up by that session, what it
-- reveals and whose it is; it expires within minutes, and the purge deletes it after that.
CREATE TABLE reveals (
    id TEXT PRIMARY KEY,
    session_sid TEXT NOT NULL,
    purpose TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload {{BYTES}} NOT NULL,
    created_at {{TIME}} NOT NULL,
    expires_at {{TIME}} NOT NULL
);
CREATE INDEX reveals_lookup ON reveals (session_sid, purpose, subject);
CREATE INDEX reveals_expires_at ON reveals (expires_at);
