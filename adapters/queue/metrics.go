package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// QueueMetrics is the queue of metrics collection, apart from publishing.
const QueueMetrics = river.QueueDefault

// CollectArgs is the periodic job that gives every account with due metrics a collection job.
type CollectArgs struct{}

// Kind implements river.JobArgs.
func (CollectArgs) Kind() string { return "collect_metrics" }

// CollectAccountArgs is one account's metrics collection.
type CollectAccountArgs struct {
	CompanyID string `json:"company_id" river:"unique"`
	AccountID string `json:"account_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (CollectAccountArgs) Kind() string { return "collect_account_metrics" }

// InsertOpts implements river.JobArgsWithInsertOpts: one waiting, snoozed or running job
// per account (a finished one does not block the next round).
func (CollectAccountArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMetrics, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
}

type collectWorker struct {
	river.WorkerDefaults[CollectArgs]
	analytics *app.Analytics
}

// Work implements river.Worker: it fans out one job per account with due metrics.
func (w *collectWorker) Work(ctx context.Context, _ *river.Job[CollectArgs]) error {
	due, err := w.analytics.DueAccounts(ctx)
	if err != nil || len(due) == 0 {
		return err
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("queue: collect: %w", err)
	}
	params := make([]river.InsertManyParams, len(due))
	for i, d := range due {
		params[i] = river.InsertManyParams{Args: CollectAccountArgs{CompanyID: string(d.Company), AccountID: string(d.Account)}}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("queue: collect: %w", err)
	}
	return nil
}

type collectAccountWorker struct {
	river.WorkerDefaults[CollectAccountArgs]
	analytics *app.Analytics
}

// Work implements river.Worker. A platform's rate limit snoozes the account's collection
// for the platform's wait instead of failing it.
func (w *collectAccountWorker) Work(ctx context.Context, job *river.Job[CollectAccountArgs]) error {
	_, err := w.analytics.CollectAccount(ctx, domain.CompanyID(job.Args.CompanyID), domain.AccountID(job.Args.AccountID))
	var retry *app.Retry
	if errors.As(err, &retry) {
		return river.JobSnooze(retry.After)
	}
	return err
}
