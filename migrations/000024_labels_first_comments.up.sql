-- Labels (campaigns) on posts, and a first comment published right after the post (issue 16).
-- A post's labels are kept as written (trimmed, unique regardless of case); filtering matches
-- them without regard to case through lower_labels, which the index covers.
ALTER TABLE posts
    ADD COLUMN labels        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN first_comment text   NOT NULL DEFAULT '';
CREATE FUNCTION lower_labels(labels text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(lower(l)), '{}') FROM unnest(labels) AS l $$;
CREATE INDEX posts_labels ON posts USING gin (lower_labels(labels));

-- The first comment of one target: its own text (a variant's; '' = the post's) and its own
-- state, recorded like the target's: intent (attempt_open) before the platform is called.
-- comment_status '' means the target has no first comment.
ALTER TABLE post_targets
    ADD COLUMN first_comment        text    NOT NULL DEFAULT '',
    ADD COLUMN comment_status       text    NOT NULL DEFAULT ''
        CHECK (comment_status IN ('', 'pending', 'publishing', 'published', 'failed', 'unknown')),
    ADD COLUMN comment_external_id  text    NOT NULL DEFAULT '',
    ADD COLUMN comment_reason       text    NOT NULL DEFAULT '',
    ADD COLUMN comment_attempts     integer NOT NULL DEFAULT 0,
    ADD COLUMN comment_attempt_open boolean NOT NULL DEFAULT false,
    ADD COLUMN comment_published_at timestamptz;
