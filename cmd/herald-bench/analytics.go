package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// analyticsCmd runs `herald-bench analytics`: it fills a scratch database with
// snapshots spread over companies and measures a company's 90-day overview (see
// BENCHMARKS.md).
func analyticsCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("analytics", flag.ContinueOnError)
	fs.SetOutput(out)
	companies := fs.Int("companies", 1000, "companies")
	snapshots := fs.Int("snapshots", 10_000_000, "metric snapshots in all")
	perTarget := fs.Int("per-target", 20, "snapshots per published target")
	queries := fs.Int("queries", 300, "overviews measured, for random companies")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *companies < 1 || *perTarget < 1 || *snapshots < *companies**perTarget || *queries < 1 {
		return errors.New("analytics: need companies >= 1, per-target >= 1, snapshots >= companies*per-target, queries >= 1")
	}
	targets := *snapshots / *perTarget / *companies // per company
	fmt.Fprintf(out, "herald-bench analytics --companies %d --snapshots %d --per-target %d --queries %d\n", *companies, *snapshots, *perTarget, *queries)
	return scratchDatabase(ctx, cfg, log, func(url string) error {
		if _, err := postgres.Migrate(ctx, url, postgres.Up, log); err != nil {
			return err
		}
		db, err := postgres.Open(ctx, url, 8)
		if err != nil {
			return err
		}
		defer db.Close()
		start := time.Now()
		if err := fillAnalytics(ctx, db, *companies, targets, *perTarget); err != nil {
			return err
		}
		var rows int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM metric_snapshots`).Scan(&rows); err != nil {
			return err
		}
		fmt.Fprintf(out, "data: %d companies, %d published targets each, %d snapshots in all, made in %s\n",
			*companies, targets, rows, time.Since(start).Round(time.Second))
		enf, err := authz.New(ctx, db.Pool(), log)
		if err != nil {
			return err
		}
		an := app.NewAnalytics(db, enf, nil, nil, domain.DefaultMetricsSchedule, time.Now, log)
		var actors []domain.Actor
		r, err := db.SQL().QueryContext(ctx, `SELECT company_id, user_id FROM memberships`)
		if err != nil {
			return err
		}
		for r.Next() {
			var a domain.Actor
			if err := r.Scan(&a.CompanyID, &a.UserID); err != nil {
				r.Close()
				return err
			}
			actors = append(actors, a)
		}
		r.Close()
		from := time.Now().UTC().AddDate(0, 0, -90).Format(time.DateOnly)
		for range 20 { // warm the caches as a running server would be
			if _, err := an.Overview(ctx, actors[rand.IntN(len(actors))], from, ""); err != nil {
				return err
			}
		}
		lat := make([]time.Duration, *queries)
		for i := range lat {
			a := actors[rand.IntN(len(actors))]
			t0 := time.Now()
			rep, err := an.Overview(ctx, a, from, "")
			lat[i] = time.Since(t0)
			if err != nil {
				return err
			}
			if i == 0 && rep.Totals.Impressions == 0 {
				return errors.New("bench analytics: the overview found no data")
			}
		}
		slices.Sort(lat)
		p := func(q float64) time.Duration {
			return lat[min(len(lat)-1, int(q*float64(len(lat))))].Round(10 * time.Microsecond)
		}
		fmt.Fprintf(out, "overview over 90 days (daily series, previous period, by platform, by account, top posts):\n")
		fmt.Fprintf(out, "  p50 %s  p95 %s  max %s over %d companies picked at random  (target: p95 < 50ms)\n", p(0.5), p(0.95), lat[len(lat)-1].Round(10*time.Microsecond), *queries)
		return nil
	})
}

// fillAnalytics makes companies with one owner and one sandbox account each, and targets
// published over the last 120 days with perTarget snapshots each, in set-based SQL.
func fillAnalytics(ctx context.Context, db *postgres.DB, companies, targets, perTarget int) error {
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO companies (name) SELECT 'Bench ' || g FROM generate_series(1, $1) g`, []any{companies}},
		{`INSERT INTO users (email, name, password_hash) SELECT 'bench-' || c.id || '@example.com', 'Bench', 'x' FROM companies c`, nil},
		{`INSERT INTO memberships (company_id, user_id, role)
		  SELECT c.id, u.id, 'owner' FROM companies c JOIN users u ON u.email = 'bench-' || c.id || '@example.com'`, nil},
		{`INSERT INTO social_accounts (company_id, platform, external_id, display_name, access_token)
		  SELECT id, 'sandbox', 'bench-' || id, 'Bench', '\x00' FROM companies`, nil},
	} {
		if _, err := db.SQL().ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("bench analytics: %w", err)
		}
	}
	// Posts and targets, one target per post, published over 120 days; company by company so
	// each statement stays small.
	rows, err := db.SQL().QueryContext(ctx, `SELECT c.id, a.id FROM companies c JOIN social_accounts a ON a.company_id = c.id`)
	if err != nil {
		return err
	}
	var pairs [][2]string
	for rows.Next() {
		var c, a string
		if err := rows.Scan(&c, &a); err != nil {
			rows.Close()
			return err
		}
		pairs = append(pairs, [2]string{c, a})
	}
	rows.Close()
	for _, p := range pairs {
		_, err := db.SQL().ExecContext(ctx, `
			WITH p AS (
				INSERT INTO posts (company_id, content, status, created_at)
				SELECT $1, 'Bench post ' || g, 'published', now() - (g * interval '120 days' / $3) FROM generate_series(1, $3) g
				RETURNING id, created_at)
			INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, external_id, attempts, published_at,
			                          metrics_at, likes, comments, shares, reach, impressions)
			SELECT $1, p.id, $2, 0, 'sandbox', 'published', p.id::text, 1, p.created_at, now(),
			       (random() * 500)::bigint, (random() * 50)::bigint, (random() * 20)::bigint, (random() * 5000)::bigint, (random() * 9000)::bigint
			FROM p`, p[0], p[1], targets)
		if err != nil {
			return fmt.Errorf("bench analytics: targets: %w", err)
		}
		_, err = db.SQL().ExecContext(ctx, `
			INSERT INTO metric_snapshots (company_id, post_id, account_id, collected_at, likes, comments, shares, reach, impressions)
			SELECT t.company_id, t.post_id, t.account_id, t.published_at + s * interval '1 hour', t.likes * s / $2, t.comments * s / $2,
			       t.shares * s / $2, t.reach * s / $2, t.impressions * s / $2
			FROM post_targets t, generate_series(1, $2) s WHERE t.company_id = $1`, p[0], perTarget)
		if err != nil {
			return fmt.Errorf("bench analytics: snapshots: %w", err)
		}
	}
	_, err = db.SQL().ExecContext(ctx, `ANALYZE`)
	return err
}
