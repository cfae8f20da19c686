-- The team workflow's core (issue 17): verified addresses, the email outbox, in-app
-- notifications with each person's email choices, and the per-member approver grant.

-- People who registered before verification existed keep working: they count as verified.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;
-- digest: notification emails go out once a day in one digest instead of one by one.
ALTER TABLE users ADD COLUMN digest boolean NOT NULL DEFAULT false;

-- approver: the member may approve posts whatever their role (owners and admins always may).
ALTER TABLE memberships ADD COLUMN approver boolean NOT NULL DEFAULT false;

-- The email outbox: one row per email Herald decided to send, written in the transaction
-- of the change that causes it, with its send_email job. event_key makes a second email for
-- one event impossible. The template's data is sealed under the key ring, because it may
-- carry a single-use link (password reset, verification, invitation).
CREATE TABLE emails (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid REFERENCES companies (id) ON DELETE CASCADE,
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    to_address  text NOT NULL CHECK (to_address = lower(to_address)),
    template    text NOT NULL,
    subject     text NOT NULL,
    event_key   text NOT NULL UNIQUE,
    sealed_data bytea NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'unsent')),
    attempts    integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz
);
CREATE INDEX emails_company ON emails (company_id, created_at DESC, id DESC);
CREATE INDEX emails_user ON emails (user_id, created_at DESC, id DESC);

-- In-app notifications: one row per person and event (event_key), kept with the company.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    post_id    uuid,
    account_id uuid,
    text       text NOT NULL,
    event_key  text NOT NULL,
    read_at    timestamptz,
    -- emailed: an email (one by one or in a digest) has been decided for it.
    emailed    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    UNIQUE (user_id, event_key),
    -- A notification names only its own company's post or account.
    FOREIGN KEY (company_id, post_id) REFERENCES posts (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, account_id) REFERENCES social_accounts (company_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_list ON notifications (user_id, company_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id, company_id) WHERE read_at IS NULL;
CREATE INDEX notifications_digest ON notifications (user_id, created_at) WHERE NOT emailed;
CREATE INDEX notifications_company ON notifications (company_id);
CREATE INDEX notifications_post ON notifications (post_id);
CREATE INDEX notifications_account ON notifications (account_id);

-- A person's email choice per notification kind; no row means the kind's default (email on).
CREATE TABLE notification_prefs (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    text NOT NULL,
    email   boolean NOT NULL,
    PRIMARY KEY (user_id, kind)
);
