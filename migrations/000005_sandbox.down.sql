-- Undoes 000005: removes the sandbox platform's simulated network and everything published to it.
DROP TABLE IF EXISTS sandbox_posts;
DROP TABLE IF EXISTS sandbox_tokens;
DROP TABLE IF EXISTS sandbox_codes;
DROP TABLE IF EXISTS sandbox_users;
