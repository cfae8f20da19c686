package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// planUsage implements ports.PlanUsage on q.
type planUsage struct{ q sqlx.ExtContext }

var _ ports.PlanUsage = planUsage{}

// Lock implements ports.PlanUsage. FOR NO KEY UPDATE conflicts with itself and with the
// team's FOR UPDATE, not with the key-share locks that inserting posts, accounts or audit
// entries of the company take, so nothing but other limit checks waits for it.
func (s planUsage) Lock(ctx context.Context, company domain.CompanyID) (domain.Company, error) {
	var r companyRow
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+companyColumns+` FROM companies WHERE id = $1 FOR NO KEY UPDATE`, company); err != nil {
		return domain.Company{}, translate(err, "company")
	}
	return r.toCompany(), nil
}

// Of implements ports.PlanUsage.
func (s planUsage) Of(ctx context.Context, company domain.CompanyID, month time.Time) (domain.PlanUsage, error) {
	u := domain.PlanUsage{Month: domain.MonthOf(month)}
	err := s.q.QueryRowxContext(ctx, `
		SELECT (SELECT count(*) FROM social_accounts WHERE company_id = $1 AND status <> 'disconnected'),
		       (SELECT count(*) FROM memberships WHERE company_id = $1) + (SELECT count(*) FROM invitations WHERE company_id = $1),
		       (SELECT count(*) FROM scheduled_post_counts WHERE company_id = $1 AND month = $2::date),
		       coalesce((SELECT prompt_tokens + completion_tokens FROM ai_usage WHERE company_id = $1 AND month = $2::date), 0)`,
		company, u.Month).Scan(&u.Accounts, &u.Members, &u.ScheduledPosts, &u.AITokens)
	if err != nil {
		return domain.PlanUsage{}, translate(err, "company")
	}
	return u, nil
}

// PostMonth implements ports.PlanUsage.
func (s planUsage) PostMonth(ctx context.Context, company domain.CompanyID, post domain.PostID) (time.Time, bool, error) {
	var month time.Time
	err := sqlx.GetContext(ctx, s.q, &month, `SELECT month FROM scheduled_post_counts WHERE company_id = $1 AND post_id = $2`, company, post)
	if domain.CodeOf(translateIf(err, "post")) == domain.CodeNotFound {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, translate(err, "post")
	}
	return domain.MonthOf(time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)), true, nil
}

// CountPost implements ports.PlanUsage.
func (s planUsage) CountPost(ctx context.Context, company domain.CompanyID, post domain.PostID, month, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO scheduled_post_counts (company_id, post_id, month, counted_at) VALUES ($1, $2, $3::date, $4)
		ON CONFLICT (company_id, post_id) DO UPDATE SET month = excluded.month, counted_at = excluded.counted_at`,
		company, post, domain.MonthOf(month), at)
	return translateIf(err, "post")
}

// UncountPost implements ports.PlanUsage.
func (s planUsage) UncountPost(ctx context.Context, company domain.CompanyID, post domain.PostID) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM scheduled_post_counts WHERE company_id = $1 AND post_id = $2`, company, post)
	return translateIf(err, "post")
}
