-- Revoking an application's access or disabling a user deletes their outstanding authorization
-- codes; this index finds them without scanning every code.
CREATE INDEX auth_codes_user_client ON auth_codes (user_id, client_id);
