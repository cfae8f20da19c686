DROP TABLE metric_snapshots;
DROP INDEX post_targets_metrics_next;
DROP INDEX post_targets_metrics_first;
ALTER TABLE post_targets DROP COLUMN metrics_at, DROP COLUMN metrics_next_at, DROP COLUMN likes, DROP COLUMN comments,
    DROP COLUMN shares, DROP COLUMN reach, DROP COLUMN impressions;
