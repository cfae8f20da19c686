-- The analytics overview summed every published target of its range about five times per
-- request (604 ms p50 for a company with 100,000 posts). Two summaries answer it instead,
-- kept by triggers on post_targets in the same transaction as every change to a target
-- (publishing, the metrics collection, edits, deletes of posts, accounts removed, cascades),
-- so no code path can forget them and their answers are exactly the sums they replace:
--   metric_days:  per company, zone, local day, account and platform;
--   post_metrics: per post, with the earliest and latest publishing time of its targets.
-- Changes are applied as deltas (commutative under concurrent transactions); a change of a
-- company's time zone rebuilds its days.

-- analytics_zone is the zone a company's analytics days are counted in: its time_zone
-- setting, UTC when blank or unknown to PostgreSQL (then the reader's query fails just as
-- the raw one did).
CREATE FUNCTION analytics_zone(settings jsonb) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    z text := coalesce(nullif(settings->>'time_zone', ''), 'UTC');
BEGIN
    IF z = 'UTC' THEN
        RETURN z;
    END IF;
    BEGIN
        PERFORM now() AT TIME ZONE z;
    EXCEPTION WHEN OTHERS THEN
        RETURN 'UTC';
    END;
    RETURN z;
END $$;

CREATE TABLE metric_days (
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    zone        text NOT NULL,
    day         date NOT NULL,
    account_id  uuid NOT NULL, -- no foreign key: an account's removal reaches this table through its targets
    platform    text NOT NULL,
    targets     bigint NOT NULL, -- published targets counted; 0 once all are gone
    likes       bigint NOT NULL,
    comments    bigint NOT NULL,
    shares      bigint NOT NULL,
    reach       bigint NOT NULL,
    impressions bigint NOT NULL,
    PRIMARY KEY (company_id, zone, day, account_id, platform)
);

CREATE TABLE post_metrics (
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    post_id     uuid NOT NULL, -- no foreign key: a post's deletion reaches this table through its targets
    -- Bounds of the publishing times of the post's published targets: they may be wider than
    -- the targets left (a removed target does not narrow them), never narrower, which is all
    -- the reader needs to tell posts wholly inside a range from those crossing its ends.
    first_at    timestamptz,
    last_at     timestamptz,
    targets     bigint NOT NULL,
    likes       bigint NOT NULL,
    comments    bigint NOT NULL,
    shares      bigint NOT NULL,
    reach       bigint NOT NULL,
    impressions bigint NOT NULL,
    PRIMARY KEY (company_id, post_id)
);
-- Top posts of a range: the best first, and the posts crossing an end of the range.
CREATE INDEX post_metrics_top ON post_metrics (company_id, impressions DESC, likes DESC, post_id) WHERE targets > 0;
CREATE INDEX post_metrics_first ON post_metrics (company_id, first_at) WHERE targets > 0;
CREATE INDEX post_metrics_span ON post_metrics USING gist (tstzrange(first_at, last_at, '[]')) WHERE targets > 0 AND first_at < last_at;


CREATE FUNCTION metric_rollups_insert() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION metric_rollups_update() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION metric_rollups_delete() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER metric_rollups_insert AFTER INSERT ON post_targets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION metric_rollups_insert();
CREATE TRIGGER metric_rollups_update AFTER UPDATE ON post_targets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION metric_rollups_update();
CREATE TRIGGER metric_rollups_delete AFTER DELETE ON post_targets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION metric_rollups_delete();

-- metric_days_rebuild counts a company's days again in its zone; the rows of other zones go.
CREATE FUNCTION metric_days_rebuild(company uuid) RETURNS void LANGUAGE sql AS $$
    DELETE FROM metric_days WHERE company_id = company;
    INSERT INTO metric_days (company_id, zone, day, account_id, platform, targets, likes, comments, shares, reach, impressions)
    SELECT t.company_id, z.zone, (t.published_at AT TIME ZONE z.zone)::date, t.account_id, t.platform, count(*),
           sum(t.likes), sum(t.comments), sum(t.shares), sum(t.reach), sum(t.impressions)
    FROM post_targets t CROSS JOIN (SELECT analytics_zone(settings) AS zone FROM companies WHERE id = company) z
    WHERE t.company_id = company AND t.status = 'published' AND t.published_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5;
$$;

-- metric_days_rezone rebuilds a company's days when its zone changes, once every
-- transaction adding to them has finished (they hold the lock shared).
CREATE FUNCTION metric_days_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(34, hashtext(NEW.id::text));
    PERFORM metric_days_rebuild(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER metric_days_rezone AFTER UPDATE OF settings ON companies
    FOR EACH ROW WHEN (OLD.settings->>'time_zone' IS DISTINCT FROM NEW.settings->>'time_zone')
    EXECUTE FUNCTION metric_days_rezone();

-- The summaries of what is already published.
INSERT INTO metric_days (company_id, zone, day, account_id, platform, targets, likes, comments, shares, reach, impressions)
SELECT t.company_id, z.zone, (t.published_at AT TIME ZONE z.zone)::date, t.account_id, t.platform, count(*),
       sum(t.likes), sum(t.comments), sum(t.shares), sum(t.reach), sum(t.impressions)
FROM post_targets t JOIN (SELECT id, analytics_zone(settings) AS zone FROM companies) z ON z.id = t.company_id
WHERE t.status = 'published' AND t.published_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO post_metrics (company_id, post_id, first_at, last_at, targets, likes, comments, shares, reach, impressions)
SELECT t.company_id, t.post_id, min(t.published_at), max(t.published_at), count(*),
       sum(t.likes), sum(t.comments), sum(t.shares), sum(t.reach), sum(t.impressions)
FROM post_targets t
WHERE t.status = 'published' AND t.published_at IS NOT NULL
GROUP BY 1, 2;
