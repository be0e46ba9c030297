-- Optional two-factor sign-in: the confirmed authenticator secret, a
-- secret waiting for confirmation, and the last time step used, so a code
-- cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
