DROP TABLE IF EXISTS user_login_addresses;
