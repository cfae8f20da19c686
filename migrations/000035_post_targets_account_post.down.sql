CREATE INDEX post_targets_account_only ON post_targets (company_id, account_id);
DROP INDEX post_targets_account;
ALTER INDEX post_targets_account_only RENAME TO post_targets_account;
