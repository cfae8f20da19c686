package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestMetricRollups_AnswerAsTheTargetsDo holds the analytics summaries of 000034 to the
// answers summed from the targets themselves, on random data changed every way Herald
// changes it: metrics collected, targets published, failed and republished, posts deleted,
// an account removed, targets upserted, time zones changed (days with summer time, a
// +05:45 zone, the reader asking in a zone the days were not counted in), for ranges of
// whole days, of any instants, and the period before a range.
func TestMetricRollups_AnswerAsTheTargetsDo(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	rng := rand.New(rand.NewPCG(34, uint64(time.Now().UnixNano())))
	raw, reader := postgres.NewRawMetrics(db)
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // Europe's and near America's summer time changes
	type company struct {
		id       domain.CompanyID
		accounts []domain.AccountID
	}
	exec := func(query string, args ...any) sql.Result {
		t.Helper()
		res, err := db.SQL().ExecContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return res
	}
	var companies []company
	for _, zone := range []string{"America/New_York", "Asia/Kathmandu"} {
		// With its owner: other tests list every company of this database.
		c := company{id: newFixture(t, db).company.ID}
		exec(`UPDATE companies SET settings = settings || jsonb_build_object('time_zone', $2::text) WHERE id = $1`, c.id, zone)
		for _, p := range []string{"sandbox", "linkedin", "facebook"} {
			var id domain.AccountID
			if err := db.SQL().QueryRowContext(ctx, `INSERT INTO social_accounts (company_id, platform, external_id, access_token)
				VALUES ($1, $2, $3, '\x00') RETURNING id`, c.id, p, fmt.Sprintf("ext-%d", rng.Int64())).Scan(&id); err != nil {
				t.Fatal(err)
			}
			c.accounts = append(c.accounts, id)
		}
		// Posts with one to three targets, mostly published, over 150 days; a post's targets
		// are published up to two days apart.
		for i := range 150 {
			var post string
			if err := db.SQL().QueryRowContext(ctx, `INSERT INTO posts (company_id, content, status) VALUES ($1, $2, 'published') RETURNING id`,
				c.id, fmt.Sprint("post ", i)).Scan(&post); err != nil {
				t.Fatal(err)
			}
			at := base.Add(time.Duration(rng.Int64N(int64(150 * 24 * time.Hour)))).Add(-100 * 24 * time.Hour).Truncate(time.Microsecond)
			for k, a := range c.accounts[:1+rng.IntN(3)] {
				status := []string{"published", "published", "published", "failed", "pending"}[rng.IntN(5)]
				var published any
				if status == "published" {
					published = at.Add(time.Duration(rng.Int64N(int64(48 * time.Hour)))).Truncate(time.Microsecond)
				}
				exec(`INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, published_at,
					likes, comments, shares, reach, impressions)
					SELECT $1, $2, $3, $4, platform, $5, $6, $7, $8, $9, $10, $11 FROM social_accounts WHERE id = $3`,
					c.id, post, a, k, status, published, rng.Int64N(50), rng.Int64N(9), rng.Int64N(5), rng.Int64N(500), rng.Int64N(20)*10)
			}
		}
		companies = append(companies, c)
	}

	check := func(step string) {
		t.Helper()
		for _, c := range companies {
			var zone string
			if err := db.SQL().QueryRowContext(ctx, `SELECT coalesce(nullif(settings->>'time_zone', ''), 'UTC') FROM companies WHERE id = $1`, c.id).Scan(&zone); err != nil {
				t.Fatal(err)
			}
			zones := []string{zone, "Europe/London"} // the second: days not counted in it
			for range 12 {
				z := zones[rng.IntN(2)]
				loc, _ := time.LoadLocation(z)
				var from, to time.Time
				switch rng.IntN(3) {
				case 0: // whole days, as the pages ask
					d := base.AddDate(0, 0, rng.IntN(120)-100).In(loc)
					from = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
					to = time.Date(d.Year(), d.Month(), d.Day()+1+rng.IntN(60), 0, 0, 0, 0, loc)
				case 1: // the period before whole days
					d := base.AddDate(0, 0, rng.IntN(120)-100).In(loc)
					f := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
					to2 := time.Date(d.Year(), d.Month(), d.Day()+30, 0, 0, 0, 0, loc)
					from, to = f.Add(-to2.Sub(f)), f
				default: // any instants
					from = base.Add(time.Duration(rng.Int64N(int64(120 * 24 * time.Hour)))).Add(-100 * 24 * time.Hour)
					to = from.Add(time.Duration(rng.Int64N(int64(70 * 24 * time.Hour))))
				}
				for _, platform := range []domain.Platform{"", "linkedin"} {
					q := ports.MetricsQuery{Company: c.id, From: from.UTC(), To: to.UTC(), Platform: platform, Zone: z}
					for name, pair := range map[string][2]func() ([]ports.MetricsRow, error){
						"Daily":      {func() ([]ports.MetricsRow, error) { return reader.Daily(ctx, q) }, func() ([]ports.MetricsRow, error) { return raw.Daily(ctx, q) }},
						"ByPlatform": {func() ([]ports.MetricsRow, error) { return reader.ByPlatform(ctx, q) }, func() ([]ports.MetricsRow, error) { return raw.ByPlatform(ctx, q) }},
						"ByAccount":  {func() ([]ports.MetricsRow, error) { return reader.ByAccount(ctx, q) }, func() ([]ports.MetricsRow, error) { return raw.ByAccount(ctx, q) }},
						"TopPosts":   {func() ([]ports.MetricsRow, error) { return reader.TopPosts(ctx, q, 10) }, func() ([]ports.MetricsRow, error) { return raw.TopPosts(ctx, q, 10) }},
						"AllPosts":   {func() ([]ports.MetricsRow, error) { return reader.TopPosts(ctx, q, 1000) }, func() ([]ports.MetricsRow, error) { return raw.TopPosts(ctx, q, 1000) }},
					} {
						got, err := pair[0]()
						if err != nil {
							t.Fatalf("%s: %s: %v", step, name, err)
						}
						want, err := pair[1]()
						if err != nil {
							t.Fatalf("%s: raw %s: %v", step, name, err)
						}
						if len(got) != 0 || len(want) != 0 {
							if !reflect.DeepEqual(got, want) {
								t.Errorf("%s: %s of %s..%s in %s on %q (company zone %s) differs from the targets' sums:\ngot  %v\nwant %v",
									step, name, from.Format(time.RFC3339), to.Format(time.RFC3339), z, platform, zone, got, want)
							}
						}
					}
				}
			}
		}
		// The summaries themselves equal a count from scratch (post bounds may only be wider).
		bad := summariesOff(t, db, companies[0].id, companies[1].id)
		if bad != 0 {
			t.Errorf("%s: %d summary rows differ from a count from scratch", step, bad)
		}
	}
	check("as made")

	pick := func(c company, where string) []struct{ post, account string } {
		t.Helper()
		rows, err := db.SQL().QueryContext(ctx, `SELECT post_id, account_id FROM post_targets WHERE company_id = $1 AND `+where+` ORDER BY random() LIMIT 40`, c.id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []struct{ post, account string }
		for rows.Next() {
			var p, a string
			if err := rows.Scan(&p, &a); err != nil {
				t.Fatal(err)
			}
			out = append(out, struct{ post, account string }{p, a})
		}
		return out
	}
	for _, c := range companies {
		// The collection records new numbers, as app.Analytics does.
		for _, tg := range pick(c, `status = 'published'`) {
			m := domain.Metrics{Likes: rng.Int64N(90), Comments: rng.Int64N(9), Shares: rng.Int64N(9), Reach: rng.Int64N(900), Impressions: rng.Int64N(30) * 10}
			if err := db.InTx(ctx, func(tx ports.Tx) error {
				return tx.Metrics().Record(ctx, c.id, domain.PostID(tg.post), domain.AccountID(tg.account), time.Now(), m, time.Time{})
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Publishing settles targets (some with numbers already, as a republished target has).
		for _, tg := range pick(c, `status <> 'published'`) {
			exec(`UPDATE post_targets SET status = 'published', published_at = $4, attempts = attempts + 1 WHERE company_id = $1 AND post_id = $2 AND account_id = $3`,
				c.id, tg.post, tg.account, base.Add(time.Duration(rng.Int64N(int64(100*24*time.Hour)))-50*24*time.Hour))
		}
		// Targets that stop counting, and ones whose time moves.
		for _, tg := range pick(c, `status = 'published'`)[:10] {
			exec(`UPDATE post_targets SET status = 'unknown' WHERE company_id = $1 AND post_id = $2 AND account_id = $3`, c.id, tg.post, tg.account)
		}
		for _, tg := range pick(c, `status = 'published'`)[:10] {
			exec(`UPDATE post_targets SET published_at = published_at + interval '3 days 5 hours' WHERE company_id = $1 AND post_id = $2 AND account_id = $3`, c.id, tg.post, tg.account)
		}
		// Changes that touch nothing counted, and an upsert as saving a post's targets does.
		exec(`UPDATE post_targets SET attempts = attempts + 1 WHERE company_id = $1`, c.id)
		exec(`INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, published_at, likes)
			SELECT company_id, post_id, account_id, position, platform, status, published_at, likes + 7 FROM post_targets WHERE company_id = $1
			ON CONFLICT (company_id, post_id, account_id) DO UPDATE SET likes = excluded.likes`, c.id)
	}
	check("after collecting, publishing and upserting")

	for _, c := range companies {
		exec(`DELETE FROM posts WHERE company_id = $1 AND id IN (SELECT id FROM posts WHERE company_id = $1 ORDER BY random() LIMIT 20)`, c.id)
	}
	exec(`DELETE FROM social_accounts WHERE company_id = $1 AND id = $2`, companies[0].id, companies[0].accounts[2])
	check("after deleting posts and an account")

	exec(`UPDATE companies SET settings = settings || '{"time_zone": "Europe/Berlin"}' WHERE id = $1`, companies[0].id)
	exec(`UPDATE companies SET settings = settings - 'time_zone' WHERE id = $1`, companies[1].id)
	check("after changing time zones")

	// The reader does read the summaries: a wrong one shows.
	exec(`UPDATE metric_days SET likes = likes + 1 WHERE company_id = $1`, companies[1].id)
	q := ports.MetricsQuery{Company: companies[1].id, From: base.AddDate(0, 0, -100), To: base.AddDate(0, 0, 50), Zone: "UTC"}
	got, _ := reader.ByPlatform(ctx, q)
	want, _ := raw.ByPlatform(ctx, q)
	if reflect.DeepEqual(got, want) {
		t.Errorf("a changed summary left ByPlatform as the targets' sums: the summaries are not read")
	}
}

// summariesOff counts the summary rows of the companies that differ from a count from
// scratch of their published targets (a post's bounds may be wider, never narrower).
func summariesOff(t *testing.T, db *postgres.DB, companies ...domain.CompanyID) int {
	t.Helper()
	ids := make([]string, len(companies))
	for i, c := range companies {
		ids[i] = string(c)
	}
	var bad int
	if err := db.SQL().QueryRowContext(context.Background(), `
			WITH fresh AS (
				SELECT t.company_id, analytics_zone(c.settings) AS zone, (t.published_at AT TIME ZONE analytics_zone(c.settings))::date AS day,
				       t.account_id, t.platform, count(*) AS targets, sum(t.likes) AS likes, sum(t.comments) AS comments,
				       sum(t.shares) AS shares, sum(t.reach) AS reach, sum(t.impressions) AS impressions
				FROM post_targets t JOIN companies c ON c.id = t.company_id
				WHERE t.status = 'published' AND t.published_at IS NOT NULL AND t.company_id = ANY($1::uuid[])
				GROUP BY 1, 2, 3, 4, 5),
			kept AS (SELECT company_id, zone, day, account_id, platform, targets, likes, comments, shares, reach, impressions
				FROM metric_days WHERE targets <> 0 AND company_id = ANY($1::uuid[]))
			SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM fresh)) x)
			     + (SELECT count(*) FROM (
				SELECT t.company_id, t.post_id, min(t.published_at) AS first_at, max(t.published_at) AS last_at, count(*) AS targets,
				       sum(t.likes) AS likes, sum(t.impressions) AS impressions
				FROM post_targets t WHERE t.status = 'published' AND t.published_at IS NOT NULL AND t.company_id = ANY($1::uuid[]) GROUP BY 1, 2) f
				FULL JOIN (SELECT * FROM post_metrics WHERE targets <> 0 AND company_id = ANY($1::uuid[])) m USING (company_id, post_id)
				WHERE m.targets IS DISTINCT FROM f.targets OR m.likes IS DISTINCT FROM f.likes OR m.impressions IS DISTINCT FROM f.impressions
				   OR NOT (m.first_at <= f.first_at AND m.last_at >= f.last_at))`, ids).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	return bad
}

// TestMetricRollups_StayExactUnderConcurrentWrites: transactions collecting numbers,
// publishing targets and deleting posts of one company at once, while its time zone
// changes, leave the summaries equal to a count from scratch (deltas commute; a zone change
// waits for the transactions adding to the old zone's days).
func TestMetricRollups_StayExactUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	c := newFixture(t, db).company.ID
	exec := func(query string, args ...any) error {
		for {
			_, err := db.SQL().ExecContext(ctx, query, args...)
			var pg *pgconn.PgError
			if errors.As(err, &pg) && pg.Code == "40P01" { // deadlock detected: one side retries
				continue
			}
			return err
		}
	}
	if err := exec(`INSERT INTO social_accounts (company_id, platform, external_id, access_token)
		SELECT $1, p, 'c-' || p, '\x00' FROM unnest(ARRAY['sandbox', 'linkedin']) p`, c); err != nil {
		t.Fatal(err)
	}
	if err := exec(`WITH p AS (INSERT INTO posts (company_id, content, status) SELECT $1, 'p' || g, 'publishing' FROM generate_series(1, 400) g RETURNING id)
		INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, published_at, likes, impressions)
		SELECT $1, p.id, a.id, 0, a.platform, CASE WHEN random() < 0.5 THEN 'published' ELSE 'publishing' END,
		       now() - random() * interval '20 days', (random() * 100)::bigint, (random() * 1000)::bigint
		FROM p, social_accounts a WHERE a.company_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	work := []string{
		`UPDATE post_targets SET likes = likes + 1, impressions = impressions + 10 WHERE company_id = $1 AND post_id IN
			(SELECT post_id FROM post_targets WHERE company_id = $1 AND status = 'published' ORDER BY random() LIMIT 3)`,
		`UPDATE post_targets SET status = 'published', published_at = now() - random() * interval '20 days' WHERE company_id = $1 AND post_id IN
			(SELECT post_id FROM post_targets WHERE company_id = $1 AND status = 'publishing' ORDER BY random() LIMIT 2)`,
		`DELETE FROM posts WHERE company_id = $1 AND id IN (SELECT id FROM posts WHERE company_id = $1 ORDER BY random() LIMIT 1)`,
		`UPDATE post_targets SET status = 'unknown' WHERE company_id = $1 AND post_id IN
			(SELECT post_id FROM post_targets WHERE company_id = $1 AND status = 'published' ORDER BY random() LIMIT 1)`,
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(work)+1)
	for _, q := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				if err := exec(q, c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 12 {
			zone := []string{"Asia/Kathmandu", "America/New_York", "UTC"}[i%3]
			if err := exec(`UPDATE companies SET settings = settings || jsonb_build_object('time_zone', $2::text) WHERE id = $1`, c, zone); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if bad := summariesOff(t, db, c); bad != 0 {
		t.Errorf("%d summary rows differ from a count from scratch after concurrent writes", bad)
	}
}
