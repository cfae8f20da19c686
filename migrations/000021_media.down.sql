DROP INDEX IF EXISTS post_targets_media_ids;
DROP INDEX IF EXISTS posts_media_ids;
ALTER TABLE post_targets DROP COLUMN IF EXISTS media_ids;
ALTER TABLE posts DROP COLUMN IF EXISTS media_ids;
DROP TABLE IF EXISTS media;
