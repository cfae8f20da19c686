-- Passkeys (WebAuthn, issue 17): a person's passkeys, and the short-lived state of the
-- ceremonies that register one or sign in with one.

-- One row per passkey. credential_id is the authenticator's id of the credential, unique
-- across Herald (a credential belongs to one person); public_key is its COSE key.
CREATE TABLE passkeys (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   bytea NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key      bytea NOT NULL,
    sign_count      bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    transports      text[] NOT NULL DEFAULT '{}',
    aaguid          bytea NOT NULL DEFAULT '',
    attestation     text NOT NULL DEFAULT '',
    user_verified   boolean NOT NULL DEFAULT false,
    backup_eligible boolean NOT NULL DEFAULT false,
    backup_state    boolean NOT NULL DEFAULT false,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at, id);

-- A ceremony's state between its begin and its finish, by the SHA-256 of the random id the
-- client holds: single use (finish deletes it) and short-lived. user_id is set for
-- registration, empty for a sign-in (the passkey names its person).
CREATE TABLE passkey_ceremonies (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    kind       text NOT NULL CHECK (kind IN ('register', 'login')),
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    state      bytea NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id);
