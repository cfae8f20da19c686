-- Post metrics: every collection is a snapshot (the time series); the latest numbers are
-- also kept on the target for fast reads, with when to collect next.
ALTER TABLE post_targets
    ADD COLUMN metrics_at      timestamptz,
    ADD COLUMN metrics_next_at timestamptz,
    ADD COLUMN likes           bigint NOT NULL DEFAULT 0,
    ADD COLUMN comments        bigint NOT NULL DEFAULT 0,
    ADD COLUMN shares          bigint NOT NULL DEFAULT 0,
    ADD COLUMN reach           bigint NOT NULL DEFAULT 0,
    ADD COLUMN impressions     bigint NOT NULL DEFAULT 0;
-- The collector's look for due targets: never collected yet, or due again.
CREATE INDEX post_targets_metrics_first ON post_targets (published_at) WHERE status = 'published' AND metrics_at IS NULL;
CREATE INDEX post_targets_metrics_next ON post_targets (metrics_next_at) WHERE metrics_next_at IS NOT NULL;

CREATE TABLE metric_snapshots (
    company_id   uuid NOT NULL,
    post_id      uuid NOT NULL,
    account_id   uuid NOT NULL,
    collected_at timestamptz NOT NULL,
    likes        bigint NOT NULL,
    comments     bigint NOT NULL,
    shares       bigint NOT NULL,
    reach        bigint NOT NULL,
    impressions  bigint NOT NULL,
    PRIMARY KEY (company_id, post_id, account_id, collected_at),
    FOREIGN KEY (company_id, post_id, account_id) REFERENCES post_targets (company_id, post_id, account_id) ON DELETE CASCADE
);
CREATE INDEX metric_snapshots_company_time ON metric_snapshots (company_id, collected_at);
