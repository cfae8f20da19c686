ALTER TABLE post_targets
    DROP COLUMN first_comment, DROP COLUMN comment_status, DROP COLUMN comment_external_id,
    DROP COLUMN comment_reason, DROP COLUMN comment_attempts, DROP COLUMN comment_attempt_open,
    DROP COLUMN comment_published_at;
DROP INDEX IF EXISTS posts_labels;
ALTER TABLE posts DROP COLUMN labels, DROP COLUMN first_comment;
DROP FUNCTION IF EXISTS lower_labels(text[]);
