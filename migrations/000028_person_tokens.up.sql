-- Single-use links about a person's own account (issue 17): verifying their email address
-- and resetting a forgotten password. Only the SHA-256 of a link's token is kept. email is
-- the address the link was sent to: a verification counts only for that address.
CREATE TABLE person_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash bytea NOT NULL UNIQUE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email = lower(email)),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX person_tokens_user ON person_tokens (user_id, purpose);
CREATE INDEX person_tokens_expires ON person_tokens (expires_at);
