-- Comments on posts and review links (issue 17). A post's thread is the team's discussion
-- of it (not the "first comments" Herald publishes to platforms): members write with
-- @mentions, and clients outside Herald answer through a review link, by comment or
-- approval. A client's approval is an entry of the thread; it never changes the post.

-- A review link opens a read-only preview of one post, or of the posts of a period of the
-- calendar, to whoever holds its random token. Only the token's SHA-256 is kept.
CREATE TABLE review_links (
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    post_id      uuid,
    -- A period of the calendar: posts whose time (scheduled, else created) is in [range_from, range_to).
    range_from   timestamptz,
    range_to     timestamptz,
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    FOREIGN KEY (company_id, post_id) REFERENCES posts (company_id, id) ON DELETE CASCADE,
    CHECK ((post_id IS NOT NULL AND range_from IS NULL AND range_to IS NULL)
        OR (post_id IS NULL AND range_from IS NOT NULL AND range_to IS NOT NULL AND range_from < range_to))
);
CREATE UNIQUE INDEX review_links_token_hash ON review_links (token_hash);
CREATE INDEX review_links_post ON review_links (company_id, post_id, created_at);
CREATE INDEX review_links_created_by ON review_links (created_by);

CREATE TABLE post_comments (
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    company_id     uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    post_id        uuid NOT NULL,
    -- author_id is the member who wrote it (NULL for a client, or once the member is gone);
    -- author_name is a client's name as they gave it, or the member's name when they wrote.
    author_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    author_name    text NOT NULL CHECK (char_length(author_name) BETWEEN 1 AND 100),
    by_client      boolean NOT NULL DEFAULT false,
    body           text NOT NULL CHECK (char_length(body) <= 5000),
    -- mentions: the members the body @mentions (users' ids; no foreign key on an array).
    mentions       uuid[] NOT NULL DEFAULT '{}',
    review_link_id uuid,
    kind           text NOT NULL DEFAULT 'comment' CHECK (kind IN ('comment', 'client_approval')),
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    FOREIGN KEY (company_id, post_id) REFERENCES posts (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, review_link_id) REFERENCES review_links (company_id, id) ON DELETE CASCADE,
    CHECK (NOT by_client OR (author_id IS NULL AND review_link_id IS NOT NULL)),
    CHECK (kind = 'comment' OR by_client),
    CHECK (kind = 'client_approval' OR char_length(body) >= 1)
);
CREATE INDEX post_comments_thread ON post_comments (company_id, post_id, created_at, id);
CREATE INDEX post_comments_author ON post_comments (author_id);
CREATE INDEX post_comments_review_link ON post_comments (company_id, review_link_id);

-- A new or deleted comment wakes the post page's live thread, like a change of the post.
CREATE TRIGGER post_comments_notify_insert AFTER INSERT ON post_comments
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_inserted_or_updated();
CREATE TRIGGER post_comments_notify_delete AFTER DELETE ON post_comments
    REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_posts_deleted();
