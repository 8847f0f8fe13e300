-- Token versions: a platform token carries the version of its user's tokens it was
-- issued at ("ver"), and is valid only while that is still the user's. Raising it
-- (a password change does) revokes every token issued before, at once.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS token_version INT NOT NULL DEFAULT 0;
