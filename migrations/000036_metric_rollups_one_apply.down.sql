-- The trigger functions as migration 000034 made them.
CREATE OR REPLACE FUNCTION metric_rollups_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    -- A company's zone cannot change while this transaction adds to its days (see
    -- metric_days_rezone); taken before the statement below so its snapshot is current.
    PERFORM pg_advisory_xact_lock_shared(34, hashtext(c::text)) FROM (SELECT DISTINCT company_id AS c FROM new_rows) x;
    WITH d AS MATERIALIZED (
          SELECT 1 AS sign, company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL),
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
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION metric_rollups_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') AND NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    -- A company's zone cannot change while this transaction adds to its days (see
    -- metric_days_rezone); taken before the statement below so its snapshot is current.
    PERFORM pg_advisory_xact_lock_shared(34, hashtext(c::text)) FROM (SELECT DISTINCT company_id AS c FROM new_rows) x;
    WITH d AS MATERIALIZED (
          (SELECT 1 AS sign, * FROM (SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL
                      EXCEPT ALL SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL) n)
          UNION ALL
          (SELECT -1 AS sign, * FROM (SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL
                      EXCEPT ALL SELECT company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM new_rows WHERE status = 'published' AND published_at IS NOT NULL) o)),
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
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION metric_rollups_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most writes of the publishing path touch no published target: done at once.
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'published') THEN
        RETURN NULL;
    END IF;
    -- A company's zone cannot change while this transaction adds to its days (see
    -- metric_days_rezone); taken before the statement below so its snapshot is current.
    PERFORM pg_advisory_xact_lock_shared(34, hashtext(c::text)) FROM (SELECT DISTINCT company_id AS c FROM old_rows) x;
    WITH d AS MATERIALIZED (
          SELECT -1 AS sign, company_id, post_id, account_id, platform, published_at, likes, comments, shares, reach, impressions FROM old_rows WHERE status = 'published' AND published_at IS NOT NULL),
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
    RETURN NULL;
END $$;

DROP FUNCTION metric_rollups_apply(metric_change[]);
DROP TYPE metric_change;
