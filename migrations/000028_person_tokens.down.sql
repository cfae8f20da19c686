DROP TABLE IF EXISTS person_tokens;
