ALTER TABLE users DROP COLUMN time_zone;
DROP TABLE post_targets;
DROP TABLE posts;
DROP TABLE oauth_states;
DROP TABLE social_accounts;
