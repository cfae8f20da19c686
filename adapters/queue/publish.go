package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// QueuePublish is the queue of publishing jobs, apart from maintenance so a burst of due
// posts never waits behind it (or the reverse).
const QueuePublish = "publish"

// PublishPostArgs is the job that claims a scheduled post at its time and fans it out.
// The version fences it: an edited, rescheduled or unscheduled post has moved on.
type PublishPostArgs struct {
	CompanyID string `json:"company_id" river:"unique"`
	PostID    string `json:"post_id" river:"unique"`
	Version   int    `json:"version" river:"unique"`
}

// Kind implements river.JobArgs.
func (PublishPostArgs) Kind() string { return "publish_post" }

// InsertOpts implements river.JobArgsWithInsertOpts: one job per post version.
func (PublishPostArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePublish, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PublishTargetArgs is the job that publishes one target of one post version.
type PublishTargetArgs struct {
	CompanyID string `json:"company_id" river:"unique"`
	PostID    string `json:"post_id" river:"unique"`
	AccountID string `json:"account_id" river:"unique"`
	Version   int    `json:"version" river:"unique"`
}

// Kind implements river.JobArgs.
func (PublishTargetArgs) Kind() string { return "publish_target" }

// InsertOpts implements river.JobArgsWithInsertOpts. Herald counts the target's attempts
// itself (app.PublishingConfig); River's attempts only bound faults of Herald's own.
func (PublishTargetArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePublish, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PublishCommentArgs is the job that sends the first comment of one target under the
// platform's post Parent, enqueued when the target's post is published (see
// app.CommentJob). Round tells apart the sends a person asks for again (0 the first time):
// River keeps one job per set of args.
type PublishCommentArgs struct {
	CompanyID string `json:"company_id" river:"unique"`
	PostID    string `json:"post_id" river:"unique"`
	AccountID string `json:"account_id" river:"unique"`
	Version   int    `json:"version" river:"unique"`
	Parent    string `json:"parent" river:"unique"`
	Round     int64  `json:"round" river:"unique"`
}

// Kind implements river.JobArgs.
func (PublishCommentArgs) Kind() string { return "publish_comment" }

// InsertOpts implements river.JobArgsWithInsertOpts. Herald counts the comment's attempts
// itself; River's attempts only bound faults of Herald's own.
func (PublishCommentArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePublish, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type publishCommentWorker struct {
	river.WorkerDefaults[PublishCommentArgs]
	publishing *app.Publishing
	timeout    time.Duration
}

// Work implements river.Worker, as publishTargetWorker's.
func (w *publishCommentWorker) Work(ctx context.Context, job *river.Job[PublishCommentArgs]) error {
	a := job.Args
	err := w.publishing.PublishComment(ctx, app.CommentJob{Company: domain.CompanyID(a.CompanyID), Post: domain.PostID(a.PostID),
		Account: domain.AccountID(a.AccountID), Version: a.Version, Parent: a.Parent})
	var retry *app.Retry
	if errors.As(err, &retry) {
		return river.JobSnooze(retry.After)
	}
	return err
}

// Timeout implements river.Worker: one platform call plus a token refresh and a retry.
func (w *publishCommentWorker) Timeout(*river.Job[PublishCommentArgs]) time.Duration {
	return w.timeout
}

type publishPostWorker struct {
	river.WorkerDefaults[PublishPostArgs]
	batcher *app.Batcher
	timeout time.Duration
}

// Work implements river.Worker: the post goes out with the batcher's next batch, and the
// job ends when its targets' results are recorded. A post another transaction held is
// looked at again a second later, without counting an attempt.
func (w *publishPostWorker) Work(ctx context.Context, job *river.Job[PublishPostArgs]) error {
	a := job.Args
	err := w.batcher.Publish(ctx, domain.CompanyID(a.CompanyID), domain.PostID(a.PostID), a.Version)
	var retry *app.Retry
	if errors.As(err, &retry) {
		return river.JobSnooze(retry.After)
	}
	return err
}

// Timeout implements river.Worker: the claim, the platform calls (a token refresh and a
// second call at most) and the results.
func (w *publishPostWorker) Timeout(*river.Job[PublishPostArgs]) time.Duration { return w.timeout }

type publishTargetWorker struct {
	river.WorkerDefaults[PublishTargetArgs]
	publishing *app.Publishing
	timeout    time.Duration
}

// Work implements river.Worker. A transient failure snoozes the job for the wait the app
// asks for (the platform's Retry-After or the backoff); the app counts attempts.
func (w *publishTargetWorker) Work(ctx context.Context, job *river.Job[PublishTargetArgs]) error {
	a := job.Args
	err := w.publishing.PublishTarget(ctx, app.TargetJob{Company: domain.CompanyID(a.CompanyID), Post: domain.PostID(a.PostID),
		Account: domain.AccountID(a.AccountID), Version: a.Version})
	var retry *app.Retry
	if errors.As(err, &retry) {
		return river.JobSnooze(retry.After)
	}
	return err
}

// Timeout implements river.Worker: one platform call plus a token refresh and a retry.
func (w *publishTargetWorker) Timeout(*river.Job[PublishTargetArgs]) time.Duration { return w.timeout }

// SweepArgs is the periodic job that gives stalled posts a job again (app.Publishing.Sweep).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "sweep_publishing" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	publishing *app.Publishing
	log        *slog.Logger
}

// Sweep margins: a scheduled post is overdue after sweepGrace (its job starts within a
// second normally); a publishing post is stalled after sweepQuiet without a change, longer
// than a target's whole retry schedule between two changes.
const (
	sweepGrace = 5 * time.Minute
	sweepQuiet = 30 * time.Minute
)

// Work implements river.Worker.
func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	n, err := w.publishing.Sweep(ctx, sweepGrace, sweepQuiet)
	if err != nil {
		return fmt.Errorf("queue: sweep: %w", err)
	}
	if n > 0 {
		w.log.InfoContext(ctx, "gave stalled posts their jobs again (unless River still had them)", "posts", n)
	}
	return nil
}

// RenewArgs is the periodic job that renews tokens ahead of their expiry, and warns of
// those that cannot be renewed.
type RenewArgs struct{}

// Kind implements river.JobArgs.
func (RenewArgs) Kind() string { return "renew_tokens" }

// renewWithin is how far ahead tokens are renewed: Meta's long-lived tokens (60 days) can
// only be renewed while valid, and an account may publish less than weekly.
const renewWithin = 7 * 24 * time.Hour

type renewWorker struct {
	river.WorkerDefaults[RenewArgs]
	credentials *app.Credentials
	log         *slog.Logger
}

// Work implements river.Worker: it renews the tokens that can be renewed, then warns the
// companies whose tokens cannot be and expire soon (account.expiring, once per expiry).
// One account's failure is logged and does not stop the others; the job itself fails (and
// is retried) only for a fault of Herald's own.
func (w *renewWorker) Work(ctx context.Context, _ *river.Job[RenewArgs]) error {
	n, err := w.credentials.RenewExpiring(ctx, renewWithin)
	if n > 0 {
		w.log.InfoContext(ctx, "renewed tokens ahead of their expiry", "accounts", n)
	}
	warned, warnErr := w.credentials.WarnExpiring(ctx)
	if warned > 0 {
		w.log.InfoContext(ctx, "warned companies of tokens that expire soon and cannot be renewed", "accounts", warned)
	}
	if domain.CodeOf(err) == domain.CodeInternal {
		return fmt.Errorf("queue: renew tokens: %w", err)
	}
	if warnErr != nil {
		return fmt.Errorf("queue: warn of expiring tokens: %w", warnErr)
	}
	return nil
}

// jobs implements ports.Jobs on a transaction (or at once when tx is nil).
type jobs struct {
	client *river.Client[*sql.Tx]
	tx     *sql.Tx
}

var _ ports.Jobs = jobs{}

func (j jobs) insert(ctx context.Context, params []river.InsertManyParams) error {
	var err error
	if j.tx != nil {
		_, err = j.client.InsertManyTx(ctx, j.tx, params)
	} else {
		_, err = j.client.InsertMany(ctx, params)
	}
	if err != nil {
		return fmt.Errorf("queue: insert: %w", err)
	}
	return nil
}

// PublishPost implements ports.Jobs.
func (j jobs) PublishPost(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, at time.Time) error {
	return j.insert(ctx, []river.InsertManyParams{{
		Args:       PublishPostArgs{CompanyID: string(company), PostID: string(post), Version: v},
		InsertOpts: &river.InsertOpts{ScheduledAt: at},
	}})
}

// PublishPosts implements ports.Jobs: one InsertManyTx for every post.
func (j jobs) PublishPosts(ctx context.Context, company domain.CompanyID, posts []ports.PostDue) error {
	if len(posts) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(posts))
	for i, p := range posts {
		params[i] = river.InsertManyParams{Args: PublishPostArgs{CompanyID: string(company), PostID: string(p.Post), Version: p.Version},
			InsertOpts: &river.InsertOpts{ScheduledAt: p.At}}
	}
	return j.insert(ctx, params)
}

// PublishTargets implements ports.Jobs.
func (j jobs) PublishTargets(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, accounts []domain.AccountID) error {
	if len(accounts) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(accounts))
	for i, a := range accounts {
		params[i] = river.InsertManyParams{Args: PublishTargetArgs{CompanyID: string(company), PostID: string(post), AccountID: string(a), Version: v}}
	}
	return j.insert(ctx, params)
}

// PublishTargetAt implements ports.Jobs.
func (j jobs) PublishTargetAt(ctx context.Context, company domain.CompanyID, post domain.PostID, v int, account domain.AccountID, at time.Time) error {
	return j.insert(ctx, []river.InsertManyParams{{
		Args:       PublishTargetArgs{CompanyID: string(company), PostID: string(post), AccountID: string(account), Version: v},
		InsertOpts: &river.InsertOpts{ScheduledAt: at},
	}})
}

// PublishComment implements ports.Jobs.
func (j jobs) PublishComment(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, v int, parent string, round int64) error {
	return j.insert(ctx, []river.InsertManyParams{{Args: PublishCommentArgs{CompanyID: string(company), PostID: string(post),
		AccountID: string(account), Version: v, Parent: parent, Round: round}}})
}

// dueOnTime makes jobs scheduled for a time "available" at insert, keeping their
// scheduled_at. River's fetch only takes available jobs whose scheduled_at has come, so
// they start within one fetch poll of their time instead of waiting for the leader's
// scheduler, which promotes scheduled jobs only every 5 seconds (JobSchedulerIntervalDefault in
// https://github.com/riverqueue/river/blob/v0.51.2/internal/maintenance/job_scheduler.go).
// Snoozed and retried jobs still go through the scheduler. TestDueOnTime guards this
// undocumented behaviour of River's fetch query.
type dueOnTime struct {
	river.JobInsertMiddlewareDefaults
	queues []string
}

// InsertMany implements rivertype.JobInsertMiddleware.
func (m *dueOnTime) InsertMany(ctx context.Context, params []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	for _, p := range params {
		if p.State == rivertype.JobStateScheduled && slices.Contains(m.queues, p.Queue) {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}
