package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald/app"
)

// DigestArgs is the hourly job that queues the daily notification digests of the people
// whose local time is app.DigestHour.
type DigestArgs struct{}

// Kind implements river.JobArgs.
func (DigestArgs) Kind() string { return "notification_digest" }

// InsertOpts implements river.JobArgsWithInsertOpts: one run per hour, however many
// leaders come and go (each digest's event key also holds the day, so a second run only
// costs a look).
func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	notifications *app.Notifications
	log           *slog.Logger
}

// Work implements river.Worker. One person's failure is logged and does not stop the
// others; the job then fails, and its retry skips the digests already queued.
func (w *digestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	n, err := w.notifications.SendDigests(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "queued daily notification digests", "people", n)
	}
	if err != nil {
		return fmt.Errorf("queue: notification digests: %w", err)
	}
	return nil
}

// hourly runs a periodic job a minute past every hour of UTC, so each person's local
// digest hour (every zone's hour starts on a whole quarter-hour of UTC) holds exactly one run.
type hourly struct{}

// Next implements river.PeriodicSchedule.
func (hourly) Next(t time.Time) time.Time {
	return t.UTC().Truncate(time.Hour).Add(time.Hour + time.Minute)
}
