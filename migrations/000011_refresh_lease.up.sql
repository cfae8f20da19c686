-- A token refresh no longer holds the account's row lock (and a pooled connection) while
-- the platform answers: it takes a lease, records its intent, calls the platform, then
-- records the result. An intent left behind (refresh_started_at with no result) tells the
-- next refresher that a rotated refresh token may have been lost; token_lost_at marks an
-- account that needs reconnecting for that reason, whose due posts wait for it.
ALTER TABLE social_accounts
    ADD COLUMN refresh_lease_until timestamptz,
    ADD COLUMN refresh_started_at  timestamptz,
    ADD COLUMN token_lost_at       timestamptz;
