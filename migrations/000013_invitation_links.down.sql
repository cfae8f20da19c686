-- Back to invitations without links: the tokens are dropped with their column.
CREATE INDEX invitations_email ON invitations (email);
DROP INDEX invitations_token_hash;
ALTER TABLE invitations DROP COLUMN expires_at, DROP COLUMN token_hash;
