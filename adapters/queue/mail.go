package queue

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// SendEmailArgs is the job that sends one email of the outbox.
type SendEmailArgs struct {
	EmailID string `json:"email_id"`
}

// Kind implements river.JobArgs.
func (SendEmailArgs) Kind() string { return "send_email" }

// InsertOpts implements river.JobArgsWithInsertOpts: an SMTP server may be away a while.
func (SendEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: app.MaxEmailAttempts}
}

type sendEmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	mail *app.Mail
}

// Work implements river.Worker.
func (w *sendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	return w.mail.Deliver(ctx, domain.EmailID(job.Args.EmailID), job.Attempt)
}

// SendEmail implements ports.Jobs.
func (j jobs) SendEmail(ctx context.Context, id domain.EmailID) error {
	return j.insert(ctx, []river.InsertManyParams{{Args: SendEmailArgs{EmailID: string(id)}}})
}
