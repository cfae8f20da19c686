-- Sign-in throttling no longer locks the real owner out: guesses are counted per client
-- address and email, and the slower per-email limit lets through a person signing in from an
-- address they signed in from before. Those addresses are kept here, hashed with the user's
-- id, never in the clear; ones unused for 180 days are dropped by the maintenance job.
CREATE TABLE user_login_addresses (
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address_hash bytea       NOT NULL,
    last_seen_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, address_hash)
);

CREATE INDEX user_login_addresses_last_seen_at_idx ON user_login_addresses (last_seen_at);
