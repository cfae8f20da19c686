package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// QueueWebhooks is the queue of webhook deliveries, apart from publishing so a slow or
// failing receiver never delays a post.
const QueueWebhooks = "webhooks"

// DeliverWebhookArgs is the job that delivers one event to one endpoint, retried on
// domain.WebhookRetrySchedule. A delivery has at most one job waiting or running; a
// finished one does not block a person's retry.
type DeliverWebhookArgs struct {
	CompanyID  string `json:"company_id" river:"unique"`
	DeliveryID string `json:"delivery_id" river:"unique"`
	// Again is set on a person's retry that found the delivery's job still running (River
	// had not yet recorded its end): a second job, so the retry is not lost.
	Again string `json:"again,omitempty" river:"unique"`
}

// Kind implements river.JobArgs.
func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhooks, MaxAttempts: domain.WebhookMaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

type deliverWebhookWorker struct {
	river.WorkerDefaults[DeliverWebhookArgs]
	webhooks *app.Webhooks
}

// Work implements river.Worker: an attempt that failed returns an error, so River retries
// it at NextRetry; a 429 with Retry-After snoozes; a delivery that failed for good (410,
// attempts spent, endpoint disabled) is cancelled, never retried.
func (w *deliverWebhookWorker) Work(ctx context.Context, job *river.Job[DeliverWebhookArgs]) error {
	out, err := w.webhooks.Deliver(ctx, domain.CompanyID(job.Args.CompanyID), domain.WebhookDeliveryID(job.Args.DeliveryID), job.Attempt)
	switch {
	case err != nil:
		return err
	case out.Snooze > 0:
		return river.JobSnooze(out.Snooze)
	case out.Failed:
		return river.JobCancel(errors.New(out.Reason))
	}
	return nil
}

// NextRetry implements river.Worker: the wait after the failed attempt follows the
// webhook schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
func (w *deliverWebhookWorker) NextRetry(job *river.Job[DeliverWebhookArgs]) time.Time {
	d, ok := domain.WebhookRetryDelay(job.Attempt)
	if !ok {
		d = domain.WebhookRetrySchedule[len(domain.WebhookRetrySchedule)-1]
	}
	return time.Now().Add(d)
}

// Timeout implements river.Worker: one request plus the database work around it.
func (w *deliverWebhookWorker) Timeout(*river.Job[DeliverWebhookArgs]) time.Duration {
	return domain.WebhookTimeout + 20*time.Second
}

// DeliverWebhooks implements ports.Jobs.
func (j jobs) DeliverWebhooks(ctx context.Context, company domain.CompanyID, deliveries []domain.WebhookDeliveryID) error {
	if len(deliveries) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(deliveries))
	for i, d := range deliveries {
		params[i] = river.InsertManyParams{Args: DeliverWebhookArgs{CompanyID: string(company), DeliveryID: string(d)}}
	}
	var res []*rivertype.JobInsertResult
	var err error
	if j.tx != nil {
		res, err = j.client.InsertManyTx(ctx, j.tx, params)
	} else {
		res, err = j.client.InsertMany(ctx, params)
	}
	if err != nil {
		return fmt.Errorf("queue: insert: %w", err)
	}
	// A delivery whose job waits for its next attempt (or a Retry-After) is due now; one
	// whose job is still running gets a second job.
	var again []river.InsertManyParams
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			continue
		}
		switch r.Job.State {
		case rivertype.JobStateRetryable, rivertype.JobStateScheduled:
			if j.tx != nil {
				_, err = j.client.JobRetryTx(ctx, j.tx, r.Job.ID)
			} else {
				_, err = j.client.JobRetry(ctx, r.Job.ID)
			}
			if err != nil {
				return fmt.Errorf("queue: retry webhook job now: %w", err)
			}
		case rivertype.JobStateRunning:
			var args DeliverWebhookArgs
			if err := json.Unmarshal(r.Job.EncodedArgs, &args); err != nil {
				return fmt.Errorf("queue: webhook job args: %w", err)
			}
			args.Again = strconv.FormatInt(time.Now().UnixNano(), 36)
			again = append(again, river.InsertManyParams{Args: args})
		}
	}
	if len(again) > 0 {
		return j.insert(ctx, again)
	}
	return nil
}
