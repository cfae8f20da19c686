DROP INDEX social_accounts_company_live;
DROP TABLE scheduled_post_counts;
ALTER TABLE companies DROP COLUMN status_changed_at, DROP COLUMN status_reason;
