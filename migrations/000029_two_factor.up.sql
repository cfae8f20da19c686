-- Two-factor sign-in (issue 17): an authenticator app's TOTP secret per person (RFC 6238),
-- single-use recovery codes, and the short-lived challenge between the password and the
-- second factor. Users are not tenant rows: these tables belong to a person, not a company.

-- sealed_secret is the TOTP secret sealed under the key ring (aad: the user id), never in
-- clear. enabled_at is null while an enrolment waits for its first code. last_step is the
-- last 30-second time step a code was accepted for: a code of that step or an earlier one
-- is refused (replay).
CREATE TABLE user_totp (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret bytea NOT NULL,
    enabled_at    timestamptz,
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL
);

-- Recovery codes, hashed (SHA-256 of the user id and the code); used_at marks a used one.
-- Regenerating deletes every old code of the person.
CREATE TABLE user_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in waiting for its second factor: the hash of the random token the client holds,
-- whose person passed the password, until expires_at (5 minutes), with its wrong attempts.
CREATE TABLE mfa_challenges (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash bytea NOT NULL UNIQUE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempts   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);
