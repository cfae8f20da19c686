ALTER TABLE sandbox_posts DROP COLUMN media;
