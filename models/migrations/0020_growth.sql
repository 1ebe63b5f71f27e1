-- Growth (issue 14, lane P3b): pages and deletes that stay flat with a million rows.

-- Each application's activity per UTC day and kind, kept by the event buffer's flush in the
-- transaction that stores the events, so the 30-day chart reads at most 30 × kinds rows instead
-- of counting every raw event per view. day is 'YYYY-MM-DD' (UTC). Existing events are counted in
-- by this migration's Go step (backfillClientEventDays).
CREATE TABLE client_event_days (
    client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (client_id, day, kind)
);
-- The purge drops whole days past the activity retention.
CREATE INDEX client_event_days_day ON client_event_days (day);

-- Foreign-key columns that referenced clients without an index: deleting a client looked its
-- codes and invoices up by scanning those tables.
CREATE INDEX auth_codes_client_id ON auth_codes (client_id);
CREATE INDEX invoices_client_id ON invoices (client_id);

-- The admin queue of pending scope requests, oldest first, read a page at a time.
CREATE INDEX scope_requests_status_requested ON scope_requests (status, requested_at, client_id, scope);
-- A developer's clients that wait for an admin (/apps): by client, then status. Without it SQLite
-- walks every pending request of the queue for each client (9.5x slower at 10k pending).
CREATE INDEX scope_requests_client_status ON scope_requests (client_id, status);
DROP INDEX scope_requests_status;

-- Lists ordered within one owner, user or grant: the index serves the order too, so a page
-- never sorts (and the FK lookups use the same index's prefix).
CREATE INDEX clients_owner_created ON clients (owner_id, created_at);
DROP INDEX clients_owner_id;
CREATE INDEX consents_user_created ON consents (user_id, created_at);
-- /account/apps: each consent's newest refresh token, through the grants of that user and client.
CREATE INDEX grants_user_client ON grants (user_id, client_id);
DROP INDEX grants_user_id;
CREATE INDEX refresh_tokens_grant_created ON refresh_tokens (grant_id, created_at);
DROP INDEX refresh_tokens_grant_id;
