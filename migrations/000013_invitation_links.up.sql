-- Invitations become single-use links: a random token, kept only as its SHA-256, that
-- expires after 7 days. Nobody joins by registering with an invited email any more, so
-- the pending invitations from before (which have no token) are dropped: their inviters
-- invite again and send the new link.
DELETE FROM invitations;
ALTER TABLE invitations
    ADD COLUMN token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
    ADD COLUMN expires_at timestamptz NOT NULL;
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash);
-- Invitations are no longer looked up by email across companies.
DROP INDEX invitations_email;
