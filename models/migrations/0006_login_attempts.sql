-- Login and sign-up attempts, for the throttles (issue #8). An attempt is reserved here before the
-- password is checked and counted with its own row included, so concurrent guesses on any
-- number of instances cannot all slip under a limit. Rows are removed once they can no longer
-- count (Store.Purge); a successful login removes its own.
CREATE TABLE login_attempts (
    id         {{ID}},
    kind       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    created_at {{TIME}} NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (kind, email, created_at);
CREATE INDEX login_attempts_ip ON login_attempts (kind, ip, created_at);
CREATE INDEX login_attempts_created ON login_attempts (created_at);

-- One row per limit, subject (an email or an IP) and window in which that limit refused
-- someone. The primary key lets exactly one refusal per window write the audit event, however
-- many requests are refused at once.
CREATE TABLE throttle_refusals (
    rule         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    window_start {{TIME}} NOT NULL,
    PRIMARY KEY (rule, subject, window_start)
);
CREATE INDEX throttle_refusals_window ON throttle_refusals (window_start);
