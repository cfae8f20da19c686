package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
)

// apiOptions are the flags of `herald-bench api`.
type apiOptions struct {
	Posts     int // in all companies
	Companies int
	Big       int // published posts of the big company, the one measured
	Requests  int // per endpoint
	Callers   int // at once, per endpoint
	Days      int // the overview's range, over which the big company's posts are spread
	Herald    string
}

// apiCmd runs `herald-bench api`: it fills a scratch database with posts in many companies
// (one big one), starts Herald as `herald serve` on a loopback port, and measures the read
// endpoints of the JSON API with concurrent callers (see BENCHMARKS.md).
func apiCmd(ctx context.Context, cfg config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(out)
	var o apiOptions
	fs.IntVar(&o.Posts, "posts", 200_000, "posts in all companies")
	fs.IntVar(&o.Companies, "companies", 50, "companies, the big one included")
	fs.IntVar(&o.Big, "big", 100_000, "published posts of the big company (part of --posts)")
	fs.IntVar(&o.Requests, "requests", 2000, "requests measured per endpoint")
	fs.IntVar(&o.Callers, "callers", 10, "concurrent callers per endpoint")
	fs.IntVar(&o.Days, "days", 90, "the overview's range in days; the big company's posts are spread over it")
	fs.StringVar(&o.Herald, "herald", "", "the herald binary to run (default: built from this repository)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Companies < 1 || o.Big < 1 || o.Posts < o.Big || (o.Companies > 1 && o.Posts-o.Big < o.Companies-1) || o.Requests < 1 || o.Callers < 1 || o.Days < 1 || o.Days > 366 {
		return errors.New("api: need companies >= 1, 1 <= big <= posts, one post at least per other company, requests >= 1, callers >= 1, 1 <= days <= 366")
	}
	fmt.Fprintf(out, "herald-bench api --posts %d --companies %d --big %d --requests %d --callers %d --days %d\n",
		o.Posts, o.Companies, o.Big, o.Requests, o.Callers, o.Days)
	fmt.Fprintf(out, "machine: %d CPUs, %s, %s/%s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	work, err := os.MkdirTemp("", "herald-bench-api-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.Herald, err = heraldBinary(ctx, o.Herald, work, out); err != nil {
		return fmt.Errorf("api: %w", err)
	}
	return scratchDatabase(ctx, cfg, log, func(dbURL string) error {
		srv, err := startHeraldProcess(ctx, o.Herald, filepath.Join(work, "data"), "DATABASE_URL="+dbURL,
			"HERALD_API_RATE_LIMIT=0", "HERALD_LOG_LEVEL=warn", "HERALD_LOG_FORMAT=text")
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		defer srv.stop()
		return benchAPI(ctx, dbURL, srv, o, out)
	})
}

// benchAPI signs a person up (their company is the big one), fills the database, and
// measures each endpoint.
func benchAPI(ctx context.Context, dbURL string, srv *heraldProcess, o apiOptions, out io.Writer) error {
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: o.Callers * 2}}
	api := &benchClient{hc: hc, base: srv.url + "/api/v1"}
	if err := api.register(); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, dbURL, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	ids, err := fillAPI(ctx, db, api.company, o)
	if err != nil {
		return err
	}
	var posts, targets, snapshots int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_targets), (SELECT count(*) FROM metric_snapshots)`).
		Scan(&posts, &targets, &snapshots); err != nil {
		return err
	}
	fmt.Fprintf(out, "data: %d posts (%d published in the big company over %d days), %d targets, %d snapshots, %d companies, made in %s\n",
		posts, o.Big, o.Days, targets, snapshots, o.Companies, time.Since(start).Round(time.Second))

	today := time.Now().UTC()
	from := today.AddDate(0, 0, -(o.Days - 1)).Format(time.DateOnly)
	overview := "/analytics/overview?from=" + from + "&to=" + today.Format(time.DateOnly)
	// One check of each answer before measuring: the overview sees the big company's posts.
	res, err := api.do("GET", overview, nil, nil)
	if err != nil {
		return err
	}
	var ov struct {
		Totals struct {
			Impressions int64 `json:"impressions"`
		} `json:"totals"`
		Daily    []json.RawMessage `json:"daily"`
		TopPosts []json.RawMessage `json:"top_posts"`
	}
	if err := json.Unmarshal(res.body, &ov); err != nil || ov.Totals.Impressions == 0 || len(ov.Daily) != o.Days || len(ov.TopPosts) == 0 {
		return fmt.Errorf("api: the overview found no data (%v): %.300s", err, res.body)
	}
	if res, err = api.do("GET", "/posts", nil, nil); err != nil {
		return err
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(res.body, &list); err != nil || len(list.Items) == 0 {
		return fmt.Errorf("api: GET /posts listed nothing (%v): %.300s", err, res.body)
	}

	fmt.Fprintf(out, "%d requests per endpoint, %d callers at once, after %d warm-up requests; the machine is shared, so compare runs of the same day\n",
		o.Requests, o.Callers, min(o.Requests, 100))
	fmt.Fprintf(out, "%-32s %8s %9s %9s %9s %9s %13s %11s\n", "endpoint", "rps", "p50", "p95", "p99", "max", "herald CPU/req", "pg CPU/req")
	for _, e := range []struct {
		name string
		path func() string
	}{
		{"GET /analytics/overview (" + fmt.Sprint(o.Days) + "d)", func() string { return overview }},
		{"GET /posts (first page)", func() string { return "/posts" }},
		{"GET /posts/:id (random)", func() string { return "/posts/" + ids[rand.IntN(len(ids))] }},
	} {
		if _, err := load(api, min(o.Requests, 100), o.Callers, e.path); err != nil {
			return err
		}
		hBefore, pgBefore := cpuTime([]int{srv.cmd.Process.Pid}), databaseBackendsCPU(ctx, db)
		r, err := load(api, o.Requests, o.Callers, e.path)
		if err != nil {
			return err
		}
		hCPU, pgCPU := cpuTime([]int{srv.cmd.Process.Pid})-hBefore, databaseBackendsCPU(ctx, db)-pgBefore
		fmt.Fprintf(out, "%-32s %8.1f %9s %9s %9s %9s %13s %11s\n", e.name, r.rps, r.p(0.50), r.p(0.95), r.p(0.99), r.lat[len(r.lat)-1].Round(10*time.Microsecond),
			(hCPU / time.Duration(o.Requests)).Round(10*time.Microsecond), (pgCPU / time.Duration(o.Requests)).Round(10*time.Microsecond))
	}
	fmt.Fprintln(out, "targets: overview p95 < 50ms; GET /posts and GET /posts/:id p99 < 30ms")
	fmt.Fprintln(out, "CPU/req: user+system time of the herald process and of the PostgreSQL backends serving this database, per request (less swayed by a busy machine than the latencies)")
	return nil
}

// cpuTime sums the user and system time of the processes (from /proc; 0 where unreadable).
func cpuTime(pids []int) time.Duration {
	var t time.Duration
	for _, pid := range pids {
		t += processCPU(pid)
	}
	return t
}

// databaseBackendsCPU is the CPU time of the server processes connected to db's database
// (Herald's pool, which stays open while measuring); 0 when the server is not local.
func databaseBackendsCPU(ctx context.Context, db *postgres.DB) time.Duration {
	rows, err := db.SQL().QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			pids = append(pids, pid)
		}
	}
	return cpuTime(pids)
}

// loadResult is what one endpoint measured.
type loadResult struct {
	rps float64
	lat []time.Duration // sorted
}

func (r loadResult) p(q float64) time.Duration {
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))].Round(10 * time.Microsecond)
}

// load sends n requests from callers goroutines at once and measures each.
func load(api *benchClient, n, callers int, path func() string) (loadResult, error) {
	lat := make([]time.Duration, n)
	next := make(chan int)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				if _, err := api.do("GET", path(), nil, nil); err != nil {
					errs <- err
					for range next { // let the feeder finish
					}
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	select {
	case err := <-errs:
		return loadResult{}, err
	default:
	}
	slices.Sort(lat)
	return loadResult{rps: float64(n) / wall.Seconds(), lat: lat}, nil
}

// fillAPI makes the data set in set-based SQL, as Herald's own use cases would have left
// it: big, the signed-up person's company, gets four accounts (one per platform) and
// o.Big posts published over the last o.Days days, a third of them on two accounts; the
// other companies share the remaining posts (a quarter drafts, a quarter scheduled ahead,
// half published). Published targets have their latest numbers and three snapshots, and
// their next collection is a day ahead, so collection stays quiet while measuring. It
// returns the big company's post ids.
func fillAPI(ctx context.Context, db *postgres.DB, big string, o apiOptions) ([]string, error) {
	others := o.Companies - 1
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO social_accounts (company_id, platform, external_id, display_name, access_token)
		  SELECT $1, p, 'bench-' || p, 'Bench ' || p, '\x00' FROM unnest(ARRAY['sandbox', 'linkedin', 'facebook', 'instagram']) p`, []any{big}},
		{`INSERT INTO companies (name) SELECT 'Bench ' || g FROM generate_series(1, $1) g`, []any{others}},
		{`INSERT INTO users (email, name, password_hash) SELECT 'bench-' || c.id || '@example.com', 'Bench', 'x' FROM companies c WHERE c.id <> $1`, []any{big}},
		{`INSERT INTO memberships (company_id, user_id, role)
		  SELECT c.id, u.id, 'owner' FROM companies c JOIN users u ON u.email = 'bench-' || c.id || '@example.com'`, nil},
		{`INSERT INTO social_accounts (company_id, platform, external_id, display_name, access_token)
		  SELECT id, 'sandbox', 'bench-' || id, 'Bench', '\x00' FROM companies WHERE id <> $1`, []any{big}},
		// The big company: post g is published at now - g*days/big, on account g%4 and, for
		// every third post, on the next account too.
		{`WITH a AS (SELECT id, platform, row_number() OVER (ORDER BY platform) - 1 AS n FROM social_accounts WHERE company_id = $1),
		  u AS (SELECT user_id FROM memberships WHERE company_id = $1 LIMIT 1),
		  p AS (
			INSERT INTO posts (company_id, created_by, content, status, scheduled_for, created_at, updated_at, labels)
			SELECT $1, (SELECT user_id FROM u), 'Bench post ' || g || ': ' || repeat('words ', 20), 'published',
			       now() - (g * ($3 * interval '1 day') / $2), now() - (g * ($3 * interval '1 day') / $2) - interval '1 day',
			       now() - (g * ($3 * interval '1 day') / $2), CASE WHEN g % 5 = 0 THEN ARRAY['launch'] ELSE '{}' END
			FROM generate_series(1, $2) g
			RETURNING id, scheduled_for)
		  INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, external_id, external_url, attempts,
		                            published_at, metrics_at, metrics_next_at, likes, comments, shares, reach, impressions, updated_at)
		  SELECT $1, p.id, a.id, k, a.platform, 'published', p.id::text || '-' || k, 'https://example.com/' || p.id || '/' || k, 1,
		         p.scheduled_for + k * interval '2 seconds', now(), now() + interval '1 day',
		         (random() * 500)::bigint, (random() * 50)::bigint, (random() * 20)::bigint, (random() * 5000)::bigint,
		         (random() * 9000)::bigint, p.scheduled_for
		  FROM (SELECT id, scheduled_for, row_number() OVER () AS g FROM p) p
		  CROSS JOIN generate_series(0, 1) k
		  JOIN a ON a.n = (p.g + k) % 4
		  WHERE k = 0 OR p.g % 3 = 0`, []any{big, o.Big, o.Days}},
	}
	for _, st := range steps {
		if _, err := db.SQL().ExecContext(ctx, st.sql, st.args...); err != nil {
			return nil, fmt.Errorf("api: fill: %w", err)
		}
	}
	if others > 0 {
		_, err := db.SQL().ExecContext(ctx, `
			WITH a AS (SELECT company_id, id, row_number() OVER (ORDER BY company_id) - 1 AS n FROM social_accounts WHERE company_id <> $1),
			p AS (
				INSERT INTO posts (company_id, content, status, scheduled_for, created_at, updated_at)
				SELECT a.company_id, 'Other post ' || g, s.status,
				       CASE s.status WHEN 'draft' THEN NULL WHEN 'scheduled' THEN now() + (g % 30) * interval '1 day' ELSE now() - (g % 120) * interval '1 day' END,
				       now() - (g % 120) * interval '1 day' - interval '1 hour', now() - (g % 120) * interval '1 day'
				FROM generate_series(1, $2) g
				JOIN a ON a.n = g % $3
				CROSS JOIN LATERAL (SELECT CASE g % 4 WHEN 0 THEN 'draft' WHEN 1 THEN 'scheduled' ELSE 'published' END AS status) s
				RETURNING id, company_id, status, scheduled_for)
			INSERT INTO post_targets (company_id, post_id, account_id, position, platform, status, external_id, attempts, published_at,
			                          metrics_at, metrics_next_at, likes, comments, shares, reach, impressions)
			SELECT p.company_id, p.id, a.id, 0, 'sandbox', CASE p.status WHEN 'published' THEN 'published' ELSE 'pending' END,
			       CASE p.status WHEN 'published' THEN p.id::text ELSE '' END, CASE p.status WHEN 'published' THEN 1 ELSE 0 END,
			       CASE p.status WHEN 'published' THEN p.scheduled_for END,
			       CASE p.status WHEN 'published' THEN now() END, CASE p.status WHEN 'published' THEN now() + interval '1 day' END,
			       (random() * 500)::bigint, (random() * 50)::bigint, (random() * 20)::bigint, (random() * 5000)::bigint, (random() * 9000)::bigint
			FROM p JOIN a ON a.company_id = p.company_id`, big, o.Posts-o.Big, others)
		if err != nil {
			return nil, fmt.Errorf("api: fill other companies: %w", err)
		}
		// Unpublished targets have no numbers.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE post_targets SET likes = 0, comments = 0, shares = 0, reach = 0, impressions = 0
			WHERE status <> 'published'`); err != nil {
			return nil, err
		}
	}
	// Three snapshots per published target, the last equal to its latest numbers.
	if _, err := db.SQL().ExecContext(ctx, `
		INSERT INTO metric_snapshots (company_id, post_id, account_id, collected_at, likes, comments, shares, reach, impressions)
		SELECT t.company_id, t.post_id, t.account_id, t.published_at + s * interval '1 hour', t.likes * s / 3, t.comments * s / 3,
		       t.shares * s / 3, t.reach * s / 3, t.impressions * s / 3
		FROM post_targets t, generate_series(1, 3) s WHERE t.status = 'published'`); err != nil {
		return nil, fmt.Errorf("api: fill snapshots: %w", err)
	}
	if _, err := db.SQL().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	var ids []string
	err := db.SQL().QueryRowContext(ctx, `SELECT array_to_json(array_agg(id))::text FROM posts WHERE company_id = $1`, big).Scan(jsonText{&ids})
	return ids, err
}

// jsonText scans a JSON text column into v.
type jsonText struct{ v any }

func (j jsonText) Scan(src any) error {
	switch s := src.(type) {
	case string:
		return json.Unmarshal([]byte(s), j.v)
	case []byte:
		return json.Unmarshal(s, j.v)
	}
	return fmt.Errorf("api: cannot read %T as JSON", src)
}
