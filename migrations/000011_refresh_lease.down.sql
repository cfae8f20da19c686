ALTER TABLE social_accounts DROP COLUMN refresh_lease_until, DROP COLUMN refresh_started_at, DROP COLUMN token_lost_at;
