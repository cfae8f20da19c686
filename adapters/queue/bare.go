package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// queueBare is the queue of the bare-River baseline; nothing else uses it.
const queueBare = "bench_bare"

// BareArgs is a job that only waits: the baseline's stand-in for a platform call.
type BareArgs struct {
	N int `json:"n"`
}

// Kind implements river.JobArgs.
func (BareArgs) Kind() string { return "bench_bare" }

type bareWorker struct {
	river.WorkerDefaults[BareArgs]
	latency time.Duration
}

func (w *bareWorker) Work(ctx context.Context, _ *river.Job[BareArgs]) error {
	select {
	case <-time.After(w.latency):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BareResult is what the baseline measured, from River's own job rows.
type BareResult struct {
	Jobs                 int
	LagP50, LagP99, Lag  time.Duration // job start minus due time: median, 99th percentile, max
	Drain                time.Duration // last job finished minus due time
	JobsPerSecond        float64
	CompletedWithinLimit bool
}

// Bare measures River alone with Herald's tuning: n jobs that each wait latency, all due
// at the same instant, worked by one client with the publish queue's settings (and the
// same due-time insert middleware). It is the limit the publish benchmark compares with.
func Bare(ctx context.Context, db *sql.DB, listener *pgxpool.Pool, t Tuning, n int, latency time.Duration, log *slog.Logger) (BareResult, error) {
	return bare(ctx, riverdatabasesql.NewWithPgxListener(db, listener), db, t, n, latency, log)
}

// BarePgx is Bare on River's pgx driver (riverpgxv5) over pool, River at its fastest: the
// baseline the publish benchmark compares Herald with. db reads the results.
func BarePgx(ctx context.Context, pool *pgxpool.Pool, db *sql.DB, t Tuning, n int, latency time.Duration, log *slog.Logger) (BareResult, error) {
	return bare(ctx, riverpgxv5.New(pool), db, t, n, latency, log)
}

func bare[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], db *sql.DB, t Tuning, n int, latency time.Duration, log *slog.Logger) (BareResult, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &bareWorker{latency: latency})
	client, err := river.NewClient(driver, &river.Config{
		Logger:     log,
		Queues:     map[string]river.QueueConfig{queueBare: {MaxWorkers: t.PublishWorkers, FetchCooldown: t.FetchCooldown, FetchPollInterval: t.PollInterval}},
		Workers:    workers,
		Middleware: []rivertype.Middleware{&dueOnTime{queues: []string{queueBare}}},
	})
	if err != nil {
		return BareResult{}, fmt.Errorf("queue: bare client: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return BareResult{}, fmt.Errorf("queue: bare start: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()
	// Insert in batches, then make every job due at one instant after the inserts.
	due := time.Now().Add(3*time.Second + time.Duration(n)*50*time.Microsecond).Truncate(time.Millisecond)
	for start := 0; start < n; start += 1000 {
		batch := make([]river.InsertManyParams, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			batch = append(batch, river.InsertManyParams{Args: BareArgs{N: i}, InsertOpts: &river.InsertOpts{Queue: queueBare, ScheduledAt: due}})
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return BareResult{}, fmt.Errorf("queue: bare insert: %w", err)
		}
	}
	if time.Now().After(due) {
		return BareResult{}, fmt.Errorf("queue: inserting %d jobs took past their due time", n)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var left int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'bench_bare' AND state <> 'completed'`).Scan(&left); err != nil {
			return BareResult{}, err
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			return BareResult{}, fmt.Errorf("queue: %d bare jobs left after 10 minutes", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var r BareResult
	var p50, p99, worst, drain float64
	err = db.QueryRowContext(ctx, `
		SELECT count(*),
		       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - $1::timestamptz)),
		       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM attempted_at - $1::timestamptz)),
		       max(extract(epoch FROM attempted_at - $1::timestamptz)),
		       max(extract(epoch FROM finalized_at - $1::timestamptz))
		FROM river_job WHERE kind = 'bench_bare'`, due).Scan(&r.Jobs, &p50, &p99, &worst, &drain)
	if err != nil {
		return BareResult{}, fmt.Errorf("queue: bare results: %w", err)
	}
	r.LagP50, r.LagP99, r.Lag, r.Drain = seconds(p50), seconds(p99), seconds(worst), seconds(drain)
	r.JobsPerSecond = float64(r.Jobs) / r.Drain.Seconds()
	if _, err := db.ExecContext(ctx, `DELETE FROM river_job WHERE kind = 'bench_bare'`); err != nil {
		return r, err
	}
	return r, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
