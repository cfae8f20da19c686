-- The three trigger functions of migration 000034 each repeated the same two upserts (the
-- days of metric_days and the posts of post_metrics); only the rows they sum differ. Here
-- each trigger collects its signed changes and one function applies them, so a fix to the
-- summing is made once. What is summed, the lock and the statements' order are unchanged:
-- the advisory lock on the companies changed is taken before the statement that reads their
-- zones, so that statement's snapshot is current (see metric_days_rezone in 000034).
CREATE TYPE metric_change AS (
    sign         integer, -- 1 adds the row, -1 takes it away
    company_id   uuid,
    post_id      uuid,
    account_id   uuid,
    platform     text,
    published_at timestamptz,
    likes        bigint,
    comments     bigint,
    shares       bigint,
    reach        bigint,
    impressions  bigint
);

CREATE FUNCTION metric_rollups_apply(changes metric_change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(34, hashtext(c::text)) FROM (SELECT DISTINCT company_id AS c FROM unnest(changes)) x;
    WITH d AS MATERIALIZED (SELECT * FROM unnest(changes)),
    z AS (SELECT c.id AS company_id, analytics_zone(c.settings) AS zone FROM companies c WHERE c.id IN (SELECT company_id FROM d)),
    days AS (
        INSERT INTO metric_days AS m (company_id, zone, day, account_id, platform, targets, likes, comments, shares, reach, impressions)
        SELECT d.company_id, z.zone, (d.published_at AT TIME ZONE z.zone)::date, d.account_id, d.platform, sum(d.sign),
               sum(d.sign * d.likes), sum(d.sign * d.comments), sum(d.sign * d.shares), sum(d.sign * d.reach), sum(d.sign * d.impressions)
        FROM d JOIN z ON z.company_id = d.company_id
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (company_id, zone, day, account_id, platform) DO UPDATE SET
            targets = m.targets + excluded.targets, likes = m.likes + excluded.likes, comments = m.comments + excluded.comments,
            shares = m.shares + excluded.shares, reach = m.reach + excluded.reach, impressions = m.impressions + excluded.impressions
        RETURNING 1)
    INSERT INTO post_metrics AS m (company_id, post_id, first_at, last_at, targets, likes, comments, shares, reach, impressions)
    SELECT d.company_id, d.post_id, min(d.published_at) FILTER (WHERE d.sign > 0), max(d.published_at) FILTER (WHERE d.sign > 0), sum(d.sign),
           sum(d.sign * d.likes), sum(d.sign * d.comments), sum(d.sign * d.shares), sum(d.sign * d.reach), sum(d.sign * d.impressions)
    FROM d JOIN z ON z.company_id = d.company_id -- not for a company being deleted
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (company_id, post_id) DO UPDATE SET
        first_at = least(m.first_at, excluded.first_at), last_at = greatest(m.last_at, excluded.last_at),
        targets = m.targets + excluded.targets, likes = m.likes + excluded.likes, comments = m.comments + excluded.comments,
        shares = m.shares + excluded.shares, reach = m.reach + excluded.reach, impressions = m.impressions + excluded.impressions;
END $$;

CREATE OR REPLACE FUNCTION metric_rollups_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    PERFORM metric_rollups_apply(ARRAY(
        SELECT ROW(1, company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions)::metric_change
        FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION metric_rollups_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') AND NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    -- What was published before and after the statement cancels out; the rest is added
    -- (new rows) or taken away (old rows).
    PERFORM metric_rollups_apply(ARRAY(
        SELECT ROW(1, n.*)::metric_change FROM (
            SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL
            EXCEPT ALL SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL) n
        UNION ALL
        SELECT ROW(-1, o.*)::metric_change FROM (
            SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL
            EXCEPT ALL SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL) o));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION metric_rollups_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    PERFORM metric_rollups_apply(ARRAY(
        SELECT ROW(-1, company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions)::metric_change
        FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL));
    RETURN NULL;
END $$;
