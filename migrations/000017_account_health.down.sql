DROP INDEX IF EXISTS social_accounts_expiring_unrenewable;
ALTER TABLE social_accounts
    DROP COLUMN IF EXISTS expiry_warned_for,
    DROP COLUMN IF EXISTS last_success_at;
