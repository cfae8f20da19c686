-- The media library (issue 15): one row per file a company uploaded. A row is pending from
-- the moment its place in the quota is taken until its bytes are stored; the sweeper deletes
-- pending rows left by an upload that ended halfway, with whatever bytes they stored.
CREATE TABLE media (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    name        text NOT NULL,
    mime_type   text NOT NULL CHECK (mime_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'video/quicktime')),
    size        bigint NOT NULL CHECK (size >= 0),
    width       integer NOT NULL DEFAULT 0,
    height      integer NOT NULL DEFAULT 0,
    duration_ms bigint NOT NULL DEFAULT 0,
    alt         text NOT NULL DEFAULT '',
    has_thumb   boolean NOT NULL DEFAULT false,
    sha256      bytea NOT NULL,
    ready       boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
-- The library, newest first.
CREATE INDEX media_company_created ON media (company_id, created_at DESC, id DESC) WHERE ready;
-- The sweeper's look for uploads that never finished.
CREATE INDEX media_pending ON media (created_at) WHERE NOT ready;
CREATE INDEX media_created_by ON media (created_by);

-- A post's library files, in order; a target's own subset (NULL: the post's).
ALTER TABLE posts ADD COLUMN media_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE post_targets ADD COLUMN media_ids uuid[];
-- Which posts use a file (the library's "used by", and refusing to delete a scheduled one's).
CREATE INDEX posts_media_ids ON posts USING gin (media_ids) WHERE media_ids <> '{}';
CREATE INDEX post_targets_media_ids ON post_targets USING gin (media_ids) WHERE media_ids IS NOT NULL;
