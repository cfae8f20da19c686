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
