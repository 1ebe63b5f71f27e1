-- Three indexes over columns that are NULL when their row is inserted, and stay NULL for most
-- rows: every authorization code and every grant added an entry for NULL to each, so a code
-- exchange wrote four index pages that no query ever reads (issue 14). The queries that use
-- them name a value (revoked_at < ?, grant_id = ?, api_id = ? of the foreign-key actions),
-- which implies NOT NULL on both databases, so they keep these indexes.
DROP INDEX grants_revoked_at;
CREATE INDEX grants_revoked_at ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
DROP INDEX auth_codes_grant_id;
CREATE INDEX auth_codes_grant_id ON auth_codes (grant_id) WHERE grant_id IS NOT NULL;
DROP INDEX auth_codes_api_id;
CREATE INDEX auth_codes_api_id ON auth_codes (api_id) WHERE api_id IS NOT NULL;
