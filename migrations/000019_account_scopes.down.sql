ALTER TABLE social_accounts DROP COLUMN scopes;
