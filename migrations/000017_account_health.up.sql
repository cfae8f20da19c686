-- Why (issue 13, account health): each account shows when Herald last heard a success
-- from its platform (a publish, metrics, a token refresh), written at most once a minute
-- per account; and an account whose token cannot be renewed is announced once per expiry
-- with an account.expiring webhook event 7 days ahead: expiry_warned_for is the token
-- expiry that event was sent for (a reconnect brings a new expiry, announced again).
ALTER TABLE social_accounts
    ADD COLUMN last_success_at   timestamptz,
    ADD COLUMN expiry_warned_for timestamptz;

-- The warning job's read: active accounts without a refresh token whose token expires soon.
CREATE INDEX social_accounts_expiring_unrenewable ON social_accounts (token_expires_at)
    WHERE status = 'active' AND refresh_token IS NULL;
