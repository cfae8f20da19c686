-- The scopes (permissions) the platform granted at the last connect, so an adapter decides
-- per account what it may call (LinkedIn reads a member's post metrics only with
-- r_member_social). Not a secret. Empty when the platform did not say.
ALTER TABLE social_accounts ADD COLUMN scopes text[] NOT NULL DEFAULT '{}';
