DROP TABLE IF EXISTS passkey_ceremonies;
DROP TABLE IF EXISTS passkeys;
