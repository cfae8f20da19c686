-- What the sandbox received of each media item of a post, so its operator page and its
-- tests can show that the right bytes arrived: per item, in order, the address it was
-- given, the file's name, and for streamed library files the byte count and SHA-256 the
-- sandbox computed while reading them, with the alt text. media_urls stays as it was.
ALTER TABLE sandbox_posts ADD COLUMN media jsonb NOT NULL DEFAULT '[]';
