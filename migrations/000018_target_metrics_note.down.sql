ALTER TABLE post_targets DROP COLUMN metrics_note;
