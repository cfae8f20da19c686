package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// unfinished are the states of a job that may still run.
var unfinished = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// CancelCompany implements ports.Jobs. It finds the company's jobs by the company_id every
// company job's args carry (publish_post, publish_target, publish_comment, collect_account_metrics, and any
// later kind that follows the rule), and cancels each through River, on the caller's
// transaction: waiting ones become cancelled at once, running ones are told to stop and
// end cancelled. The periodic jobs (token renewal, metrics fan-out, sweeper, cleanup) carry
// no company: they read the companies that exist when they run.
func (j jobs) CancelCompany(ctx context.Context, company domain.CompanyID) (int, error) {
	params := river.NewJobListParams().States(unfinished...).First(500).
		Where("args->>'company_id' = @company_id", river.NamedArgs{"company_id": string(company)})
	var ids []int64
	for {
		var res *river.JobListResult
		var err error
		if j.tx != nil {
			res, err = j.client.JobListTx(ctx, j.tx, params)
		} else {
			res, err = j.client.JobList(ctx, params)
		}
		if err != nil {
			return 0, fmt.Errorf("queue: list the company's jobs: %w", err)
		}
		for _, job := range res.Jobs {
			ids = append(ids, job.ID)
		}
		if len(res.Jobs) < 500 || res.LastCursor == nil {
			break
		}
		params = params.After(res.LastCursor)
	}
	for _, id := range ids {
		var err error
		if j.tx != nil {
			_, err = j.client.JobCancelTx(ctx, j.tx, id)
		} else {
			_, err = j.client.JobCancel(ctx, id)
		}
		if err != nil {
			return 0, fmt.Errorf("queue: cancel job %d: %w", id, err)
		}
	}
	return len(ids), nil
}

// PurgeMediaArgs is the job that deletes stored media bytes: the keys named, or every file
// of the company when there are none. Storage deletes are idempotent, so retries are safe.
type PurgeMediaArgs struct {
	CompanyID string   `json:"company_id"`
	Keys      []string `json:"keys,omitempty"`
}

// Kind implements river.JobArgs.
func (PurgeMediaArgs) Kind() string { return "purge_media" }

// InsertOpts implements river.JobArgsWithInsertOpts: many attempts, as storage may be
// away for a while and the bytes must go.
func (PurgeMediaArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

type purgeMediaWorker struct {
	river.WorkerDefaults[PurgeMediaArgs]
	media *app.Media
}

// Work implements river.Worker.
func (w *purgeMediaWorker) Work(ctx context.Context, job *river.Job[PurgeMediaArgs]) error {
	return w.media.Purge(ctx, domain.CompanyID(job.Args.CompanyID), job.Args.Keys)
}

// PurgeMedia implements ports.Jobs.
func (j jobs) PurgeMedia(ctx context.Context, company domain.CompanyID, keys []string) error {
	return j.insert(ctx, []river.InsertManyParams{{Args: PurgeMediaArgs{CompanyID: string(company), Keys: keys}}})
}

// SweepUploadsArgs is the periodic job that deletes uploads a crash left pending, and
// resumable uploads that expired.
type SweepUploadsArgs struct{}

// Kind implements river.JobArgs.
func (SweepUploadsArgs) Kind() string { return "sweep_uploads" }

type sweepUploadsWorker struct {
	river.WorkerDefaults[SweepUploadsArgs]
	media *app.Media
	log   *slog.Logger
}

// StaleUpload is how long an upload may stay between reserving its place and completing
// before the sweeper deletes it: far longer than storing the largest file takes.
const StaleUpload = 6 * time.Hour

// Work implements river.Worker.
func (w *sweepUploadsWorker) Work(ctx context.Context, _ *river.Job[SweepUploadsArgs]) error {
	n, err := w.media.Sweep(ctx, StaleUpload)
	if n > 0 {
		w.log.Info("deleted unfinished uploads", "count", n)
	}
	// Resumable uploads that expired, with the bytes that arrived.
	r, rerr := w.media.SweepUploads(ctx)
	if r > 0 {
		w.log.Info("deleted expired resumable uploads", "count", r)
	}
	return errors.Join(err, rerr)
}
