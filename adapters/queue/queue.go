// Package queue runs Herald's background work on River, inside PostgreSQL: the client,
// job args and workers. Workers call functions handed in by cmd/herald; the package
// imports domain, ports and app, never another adapter.
package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/app"
)

// Queue is the River client that works Herald's jobs.
type Queue struct {
	client  *river.Client[*sql.Tx]
	batcher *app.Batcher // nil without publishing
	db      *sql.DB
	rescuer *rescuer // nil without a Listener
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// Config is what the queue needs from the wiring.
type Config struct {
	DB       *sql.DB       // the app's pool seen by database/sql: jobs join its transactions
	Listener *pgxpool.Pool // a small pool River takes one LISTEN connection from
	Log      *slog.Logger
	// Cleanup deletes expired sessions, tokens and throttle windows, returning how many rows went.
	Cleanup func(ctx context.Context, now time.Time) (int64, error)
	// SoftStop is how long Stop lets running jobs finish before cancelling them.
	SoftStop time.Duration
	// App holds the use cases the workers run (app.New): Publishing works the publish
	// queue, Credentials renews tokens ahead of their expiry, Analytics collects post
	// metrics, Webhooks works the webhooks queue. A nil App, or a nil service in it, leaves
	// those jobs out (only the cleanup job runs).
	App    *app.Services
	Tuning Tuning
	// ClientID names this process's River client; empty means NewClientID(). Jobs left
	// running by a process that stopped are rescued by the others (see rescue.go).
	ClientID string
	Rescue   RescueConfig
}

// Tuning is how hard the publish queue works; BENCHMARKS.md says how these were chosen.
type Tuning struct {
	PublishWorkers int           // jobs of the publish queue run at once by this process
	FetchCooldown  time.Duration // least time between two fetches of the publish queue
	PollInterval   time.Duration // how often the publish queue looks for jobs that came due
	TargetTimeout  time.Duration // one publish-target job
	// Batch tunes the batched claim and results of publish_post jobs (zero fields:
	// app.DefaultBatch's).
	Batch app.BatchConfig
}

// DefaultTuning serves a due post within about 100 ms of its time and keeps up to 10,000
// publish jobs running per process. A publish_post job mostly waits (for its batch, and
// for a place among its account's calls: see app.Batcher), so its worker costs a goroutine
// and little else; River fetches jobs in order, and a burst of many posts per account
// fetched by 1,000 workers kept only a few accounts busy at once (BENCHMARKS.md, issue 18).
var DefaultTuning = Tuning{PublishWorkers: 10_000, FetchCooldown: 20 * time.Millisecond, PollInterval: 100 * time.Millisecond, TargetTimeout: 3 * time.Minute,
	Batch: app.DefaultBatch}

// New returns a queue whose client is not yet started. It returns an error when River
// rejects the configuration.
func New(cfg Config) (*Queue, error) {
	t := cfg.Tuning
	if t == (Tuning{}) {
		t = DefaultTuning
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &cleanupWorker{cleanup: cfg.Cleanup, log: cfg.Log})
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
	periodic := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
		&river.PeriodicJobOpts{ID: "cleanup_expired", RunOnStart: true})}
	svc := cfg.App
	if svc == nil {
		svc = &app.Services{}
	}
	var batcher *app.Batcher
	if svc.Publishing != nil {
		batcher = svc.Publishing.NewBatcher(t.Batch)
		river.AddWorker(workers, &publishPostWorker{batcher: batcher, timeout: t.TargetTimeout})
		river.AddWorker(workers, &publishTargetWorker{publishing: svc.Publishing, timeout: t.TargetTimeout})
		river.AddWorker(workers, &publishCommentWorker{publishing: svc.Publishing, timeout: t.TargetTimeout})
		queues[QueuePublish] = river.QueueConfig{MaxWorkers: t.PublishWorkers, FetchCooldown: t.FetchCooldown, FetchPollInterval: t.PollInterval}
		river.AddWorker(workers, &sweepWorker{publishing: svc.Publishing, log: cfg.Log})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "sweep_publishing", RunOnStart: true}))
	}
	if svc.Analytics != nil {
		river.AddWorker(workers, &collectWorker{analytics: svc.Analytics})
		river.AddWorker(workers, &collectAccountWorker{analytics: svc.Analytics})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(5*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return CollectArgs{}, nil },
			&river.PeriodicJobOpts{ID: "collect_metrics", RunOnStart: true}))
	}
	if svc.Webhooks != nil {
		river.AddWorker(workers, &deliverWebhookWorker{webhooks: svc.Webhooks})
		queues[QueueWebhooks] = river.QueueConfig{MaxWorkers: 20}
	}
	if svc.Credentials != nil {
		river.AddWorker(workers, &renewWorker{credentials: svc.Credentials, log: cfg.Log})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return RenewArgs{}, nil },
			&river.PeriodicJobOpts{ID: "renew_tokens", RunOnStart: true}))
	}
	if svc.Mail != nil {
		river.AddWorker(workers, &sendEmailWorker{mail: svc.Mail})
	}
	if svc.Notifications != nil {
		river.AddWorker(workers, &digestWorker{notifications: svc.Notifications, log: cfg.Log})
		periodic = append(periodic, river.NewPeriodicJob(hourly{},
			func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil },
			&river.PeriodicJobOpts{ID: "notification_digest", RunOnStart: true}))
	}
	// Media purges are registered whatever runs here: a deleted company's files must go.
	river.AddWorker(workers, &purgeMediaWorker{media: svc.Media})
	if svc.Media.Enabled() {
		river.AddWorker(workers, &sweepUploadsWorker{media: svc.Media, log: cfg.Log})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return SweepUploadsArgs{}, nil },
			&river.PeriodicJobOpts{ID: "sweep_uploads", RunOnStart: true}))
	}
	if cfg.ClientID == "" {
		cfg.ClientID = NewClientID()
	}
	client, err := river.NewClient(riverdatabasesql.NewWithPgxListener(cfg.DB, cfg.Listener), &river.Config{
		ID:              cfg.ClientID,
		Logger:          cfg.Log,
		Queues:          queues,
		Workers:         workers,
		Middleware:      []rivertype.Middleware{&dueOnTime{queues: []string{QueuePublish}}},
		SoftStopTimeout: cfg.SoftStop,
		// A publish-target job that died with its process is re-run after this; it finds
		// its attempt open and reconciles instead of publishing again.
		RescueStuckJobsAfter: t.TargetTimeout + 2*time.Minute,
		PeriodicJobs:         periodic,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: new client: %w", err)
	}
	q := &Queue{client: client, db: cfg.DB, batcher: batcher}
	if cfg.Listener != nil {
		q.rescuer = newRescuer(cfg.ClientID, cfg.DB, cfg.Listener, cfg.Rescue, cfg.Log)
	}
	return q, nil
}

// Start starts fetching and working jobs; it returns an error when River cannot start.
func (q *Queue) Start(ctx context.Context) error {
	if q.rescuer != nil {
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		q.stop = stop
		q.done.Add(2)
		go func() { defer q.done.Done(); q.rescuer.hold(rctx) }()
		go func() { defer q.done.Done(); q.rescuer.run(rctx) }()
	}
	if q.batcher != nil {
		q.batcher.Start()
	}
	if err := q.client.Start(ctx); err != nil {
		q.stopRescuer()
		q.stopBatcher(ctx)
		return fmt.Errorf("queue: start: %w", err)
	}
	return nil
}

// stopBatcher stops the batcher once River's workers have returned: its last batches
// record their results.
func (q *Queue) stopBatcher(ctx context.Context) {
	if q.batcher != nil {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = q.batcher.Stop(bctx)
	}
}

func (q *Queue) stopRescuer() {
	if q.stop != nil {
		q.stop()
		q.done.Wait()
		q.stop = nil
	}
}

// Stop stops fetching and waits for running jobs until ctx ends, then cancels them.
func (q *Queue) Stop(ctx context.Context) error {
	defer q.stopRescuer()
	defer q.stopBatcher(ctx)
	if err := q.client.Stop(ctx); err != nil {
		cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err2 := q.client.StopAndCancel(cancelCtx); err2 != nil {
			return fmt.Errorf("queue: stop: %w (then cancel: %v)", err, err2)
		}
		return fmt.Errorf("queue: stop: %w", err)
	}
	return nil
}

// Client returns the River client, for tests that drive or wait on jobs.
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// Depth returns the number of jobs in each state that is still waiting or running, for
// the readiness check and the metrics. It returns an error when River's table is unreachable.
func (q *Queue) Depth(ctx context.Context) (map[string]int, error) {
	// Publish jobs wait as "available" with a future scheduled_at (see dueOnTime): count
	// those as scheduled, as River's own scheduler would have them.
	rows, err := q.db.QueryContext(ctx, `
		SELECT CASE WHEN state = 'available' AND scheduled_at > now() THEN 'scheduled' ELSE state::text END, count(*)
		FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending')
		GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("queue: depth: %w", err)
	}
	defer rows.Close()
	out := map[string]int{"available": 0, "scheduled": 0, "retryable": 0, "running": 0, "pending": 0}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("queue: depth: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

// CleanupArgs is the periodic job that removes expired credentials and throttle windows.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "cleanup_expired" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	cleanup func(context.Context, time.Time) (int64, error)
	log     *slog.Logger
}

// Work deletes what expired; a failure is retried by River with backoff.
func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[CleanupArgs]) error {
	n, err := w.cleanup(ctx, time.Now())
	if err != nil {
		return fmt.Errorf("queue: cleanup: %w", err)
	}
	w.log.InfoContext(ctx, "removed expired credentials and throttle windows", "rows", n)
	return nil
}
