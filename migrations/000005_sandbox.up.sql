-- The sandbox platform: a simulated social network inside Herald, so connecting, publishing
-- and analytics work offline. These tables are the simulated network's own, not tenant
-- tables: its users, its OAuth codes and tokens (stored only as SHA-256 hashes) and what was
-- published to it. sandbox_posts is never deduplicated: tests count its rows per reference to
-- prove Herald publishes a target once.

CREATE TABLE sandbox_users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle     text NOT NULL UNIQUE CHECK (length(handle) BETWEEN 1 AND 60),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sandbox_codes (
    hash           bytea PRIMARY KEY CHECK (length(hash) = 32),
    user_id        uuid NOT NULL REFERENCES sandbox_users (id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    code_challenge text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX sandbox_codes_user_id ON sandbox_codes (user_id);

CREATE TABLE sandbox_tokens (
    hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
    kind       text NOT NULL CHECK (kind IN ('access', 'refresh')),
    user_id    uuid NOT NULL REFERENCES sandbox_users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz, -- NULL: does not expire (refresh tokens, until used)
    used_at    timestamptz  -- a refresh token is single use: set when it is rotated
);
CREATE INDEX sandbox_tokens_user_id ON sandbox_tokens (user_id);

CREATE TABLE sandbox_posts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES sandbox_users (id) ON DELETE CASCADE,
    reference    text NOT NULL,
    text         text NOT NULL,
    media_urls   text[] NOT NULL DEFAULT '{}',
    published_at timestamptz NOT NULL
);
CREATE INDEX sandbox_posts_user_id_reference ON sandbox_posts (user_id, reference);
CREATE INDEX sandbox_posts_published_at_id ON sandbox_posts (published_at DESC, id DESC);
