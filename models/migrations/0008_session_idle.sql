-- A portal session also ends after DEVPORTAL_SESSION_IDLE_TIMEOUT without activity. Existing
-- sessions count as last seen when they were created. (SQLite cannot add a NOT NULL column
-- without a constant default, hence the epoch default that the UPDATE replaces at once.)
ALTER TABLE sessions ADD COLUMN last_seen_at {{TIME}} NOT NULL DEFAULT '1970-01-01 00:00:00+00:00';
UPDATE sessions SET last_seen_at = created_at;
