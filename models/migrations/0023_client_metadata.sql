-- OAuth Client ID Metadata Documents (issue 15, lane C; draft-ietf-oauth-client-id-metadata-document).
-- A client identified by an https URL is an ordinary clients row whose id is that URL, so
-- consents, grants, events and the admin actions keep their foreign keys. metadata_document
-- marks it; metadata_expires_at is when the document fetched from the URL stops being trusted
-- (its HTTP caching headers, clamped), shared by every instance; metadata_fetched_at is when it
-- was last fetched and validated.
ALTER TABLE clients ADD COLUMN metadata_document BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN metadata_expires_at {{TIME}};
ALTER TABLE clients ADD COLUMN metadata_fetched_at {{TIME}};

-- Hosts whose client metadata documents an administrator refuses: their URL client ids fail at
-- the authorization and token endpoints. host is lower-case, without port.
CREATE TABLE blocked_client_hosts (
    host       TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    blocked_by TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL
);
-- The admin page lists them newest first.
CREATE INDEX blocked_client_hosts_created ON blocked_client_hosts (created_at);
