-- Migrations 000004 and 000007 were edited after they were first committed, so a database
-- migrated before those edits lacks what they added later. This brings every database to
-- the one schema the current files describe; on a database that already has it, it changes
-- nothing but rebuilding post_targets_account.

-- 000004, first edit: the account index leaves out status, so publishing's updates can be HOT.
DROP INDEX IF EXISTS post_targets_account;
CREATE INDEX post_targets_account ON post_targets (company_id, account_id);

-- 000004, second edit: the sweeper's look for posts that should have moved on.
CREATE INDEX IF NOT EXISTS posts_unfinished ON posts (updated_at) WHERE status IN ('scheduled', 'publishing');

-- 000004, third edit: the token renewer's look for tokens about to expire.
CREATE INDEX IF NOT EXISTS social_accounts_expiring ON social_accounts (token_expires_at) WHERE status = 'active';

-- 000007, first edit: analytics reads published targets by company and publishing time.
CREATE INDEX IF NOT EXISTS post_targets_published ON post_targets (company_id, published_at) WHERE status = 'published';
