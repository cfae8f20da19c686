package queue

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/heraldhq/herald/domain"
)

// unfinished are the states of a job that may still run.
var unfinished = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// CancelCompany implements ports.Jobs. It finds the company's jobs by the company_id every
// company job's args carry (publish_post, publish_target, collect_account_metrics, and any
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
