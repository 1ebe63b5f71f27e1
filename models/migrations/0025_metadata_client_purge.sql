-- The purge looks for active clients known by their metadata document that nobody authorized
-- since the document was last fetched: only those, oldest fetch first.
CREATE INDEX clients_metadata_fetched ON clients (status, metadata_fetched_at) WHERE metadata_document;
