-- Connected social accounts, posts and their per-account targets, and connect flows in
-- progress. Tenant rows reference each other with company_id in the key, so a row of one
-- company can never point at another's.

CREATE TABLE social_accounts (
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id       uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    platform         text NOT NULL CHECK (platform IN ('linkedin', 'instagram', 'facebook', 'tiktok', 'sandbox')),
    external_id      text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 500),
    display_name     text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reauth_required', 'disconnected')),
    status_reason    text NOT NULL DEFAULT '',
    -- AES-256-GCM ciphertexts (key id inside); never the tokens themselves.
    access_token     bytea NOT NULL,
    refresh_token    bytea,
    token_expires_at timestamptz,
    connected_at     timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    UNIQUE (company_id, platform, external_id)
);

CREATE TABLE oauth_states (
    state_hash bytea PRIMARY KEY CHECK (length(state_hash) = 32),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform   text NOT NULL,
    verifier   bytea NOT NULL,
    return_to  text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);
CREATE INDEX oauth_states_company_id ON oauth_states (company_id);
CREATE INDEX oauth_states_user_id ON oauth_states (user_id);

CREATE TABLE posts (
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id    uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    content       text NOT NULL,
    media_urls    jsonb NOT NULL DEFAULT '[]',
    status        text NOT NULL CHECK (status IN ('draft', 'scheduled', 'publishing', 'published', 'partially_published', 'failed')),
    status_reason text NOT NULL DEFAULT '',
    scheduled_for timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    CHECK ((status = 'draft') = (scheduled_for IS NULL) OR status NOT IN ('draft', 'scheduled'))
);
-- Lists, newest first, and the calendar (scheduled, else created time).
CREATE INDEX posts_company_created ON posts (company_id, created_at DESC, id DESC);
CREATE INDEX posts_company_when ON posts (company_id, (coalesce(scheduled_for, created_at)));
CREATE INDEX posts_created_by ON posts (created_by);

CREATE TABLE post_targets (
    company_id    uuid NOT NULL,
    post_id       uuid NOT NULL,
    account_id    uuid NOT NULL,
    position      integer NOT NULL,
    platform      text NOT NULL,
    variant       text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'publishing', 'published', 'failed', 'unknown')),
    external_id   text NOT NULL DEFAULT '',
    external_url  text NOT NULL DEFAULT '',
    reason        text NOT NULL DEFAULT '',
    attempts      integer NOT NULL DEFAULT 0,
    attempt_open  boolean NOT NULL DEFAULT false,
    published_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, post_id, account_id),
    FOREIGN KEY (company_id, post_id) REFERENCES posts (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, account_id) REFERENCES social_accounts (company_id, id) ON DELETE CASCADE
);
CREATE INDEX post_targets_account ON post_targets (company_id, account_id, status);
CREATE INDEX post_targets_platform ON post_targets (company_id, platform, post_id);

-- The people's time zone, for showing times; everything is stored in UTC.
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT '';
