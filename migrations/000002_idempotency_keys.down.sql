-- Undoes 000002.
DROP TABLE IF EXISTS idempotency_keys;
