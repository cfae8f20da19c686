package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// aiUsage implements ports.AIUsage on q.
type aiUsage struct{ q sqlx.ExtContext }

var _ ports.AIUsage = aiUsage{}

// Add implements ports.AIUsage.
func (s aiUsage) Add(ctx context.Context, company domain.CompanyID, month time.Time, prompt, completion int64) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO ai_usage (company_id, month, prompt_tokens, completion_tokens, requests) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (company_id, month) DO UPDATE SET prompt_tokens = ai_usage.prompt_tokens + excluded.prompt_tokens,
		    completion_tokens = ai_usage.completion_tokens + excluded.completion_tokens, requests = ai_usage.requests + 1`,
		company, month.Format(time.DateOnly), prompt, completion)
	return translateIf(err, "AI usage")
}

// Get implements ports.AIUsage.
func (s aiUsage) Get(ctx context.Context, company domain.CompanyID, month time.Time) (int64, int64, error) {
	var prompt, completion int64
	err := s.q.QueryRowxContext(ctx, `SELECT prompt_tokens, completion_tokens FROM ai_usage WHERE company_id = $1 AND month = $2`,
		company, month.Format(time.DateOnly)).Scan(&prompt, &completion)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return prompt, completion, translateIf(err, "AI usage")
}

// Reserve implements ports.AIUsage. The month's usage row is created if needed and locked
// for the rest of the transaction, so reservations of one company are decided one at a time.
func (s aiUsage) Reserve(ctx context.Context, company domain.CompanyID, month time.Time, tokens, allowance int64, now, expires time.Time) (string, int64, int64, error) {
	m := month.Format(time.DateOnly)
	if _, err := s.q.ExecContext(ctx, `INSERT INTO ai_usage (company_id, month) VALUES ($1, $2) ON CONFLICT (company_id, month) DO NOTHING`, company, m); err != nil {
		return "", 0, 0, translate(err, "AI usage")
	}
	// Lock first, then count in a statement of its own: under READ COMMITTED the locking
	// statement's snapshot predates the wait and would miss reservations committed meanwhile.
	var used, reserved int64
	err := s.q.QueryRowxContext(ctx, `SELECT prompt_tokens + completion_tokens FROM ai_usage WHERE company_id = $1 AND month = $2 FOR UPDATE`,
		company, m).Scan(&used)
	if err != nil {
		return "", 0, 0, translate(err, "AI usage")
	}
	err = s.q.QueryRowxContext(ctx, `SELECT coalesce(sum(tokens), 0) FROM ai_reservations WHERE company_id = $1 AND month = $2 AND expires_at > $3`,
		company, m, now).Scan(&reserved)
	if err != nil {
		return "", 0, 0, translate(err, "AI reservation")
	}
	if allowance != domain.Unlimited && used+reserved+tokens > allowance {
		return "", used, reserved, nil
	}
	var id string
	err = s.q.QueryRowxContext(ctx, `INSERT INTO ai_reservations (company_id, month, tokens, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		company, m, tokens, expires).Scan(&id)
	if err != nil {
		return "", 0, 0, translate(err, "AI reservation")
	}
	// Expired reservations of crashed requests are not counted above; drop them here.
	if _, err := s.q.ExecContext(ctx, `DELETE FROM ai_reservations WHERE company_id = $1 AND expires_at <= $2`, company, now); err != nil {
		return "", 0, 0, translate(err, "AI reservation")
	}
	return id, used, reserved, nil
}

// Settle implements ports.AIUsage.
func (s aiUsage) Settle(ctx context.Context, company domain.CompanyID, id string, month time.Time, prompt, completion int64) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM ai_reservations WHERE company_id = $1 AND id = $2`, company, id); err != nil {
		return translate(err, "AI reservation")
	}
	if prompt+completion == 0 {
		return nil
	}
	return s.Add(ctx, company, month, prompt, completion)
}
