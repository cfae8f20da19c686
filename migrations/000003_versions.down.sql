-- Undoes 000003.
ALTER TABLE memberships DROP COLUMN IF EXISTS version;
ALTER TABLE companies DROP COLUMN IF EXISTS version;
