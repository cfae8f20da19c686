-- Resumable uploads (tus 1.0, issue 15): one row per large file a person is sending in
-- parts. The bytes that arrived wait in a spool file on Herald's disk, named by the id;
-- the row says whose upload it is, how long the file will be, and when it expires. A
-- finished upload becomes a media row and its upload row is deleted.
CREATE TABLE uploads (
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length     bigint NOT NULL CHECK (length > 0),
    name       text NOT NULL DEFAULT '',
    alt        text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
-- The sweeper's look for expired uploads.
CREATE INDEX uploads_expires_at ON uploads (expires_at);
CREATE INDEX uploads_user_id ON uploads (user_id);
