package queue_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/queue"
)

func TestQueue_RunsCleanupOnStartAndReportsDepth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t)
	listener, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	ran := make(chan time.Time, 1)
	q, err := queue.New(queue.Config{DB: db.SQL(), Listener: listener, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SoftStop: time.Second,
		Cleanup: func(_ context.Context, now time.Time) (int64, error) {
			select {
			case ran <- now:
			default:
			}
			return 0, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the cleanup job did not run after start")
	}
	depth, err := q.Depth(ctx)
	if err != nil {
		t.Fatalf("Depth: %v", err)
	}
	for _, state := range []string{"available", "scheduled", "retryable", "running", "pending"} {
		if _, ok := depth[state]; !ok {
			t.Errorf("Depth lacks state %s: %v", state, depth)
		}
	}
}
