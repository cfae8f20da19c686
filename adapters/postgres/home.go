package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Upcoming implements ports.Posts. It walks posts_company_when.
func (s posts) Upcoming(ctx context.Context, company domain.CompanyID, from time.Time, limit int) ([]domain.Post, error) {
	return s.withTargets(ctx, company, `
		SELECT `+postColumns+` FROM posts p
		WHERE p.company_id = $1 AND p.status = 'scheduled' AND coalesce(p.scheduled_for, p.created_at) >= $2
		ORDER BY coalesce(p.scheduled_for, p.created_at), p.id
		LIMIT $3`, string(company), from, limit)
}

// NeedingAttention implements ports.Posts.
func (s posts) NeedingAttention(ctx context.Context, company domain.CompanyID, limit int) ([]domain.Post, error) {
	return s.withTargets(ctx, company, `
		SELECT `+postColumns+` FROM posts p
		WHERE p.company_id = $1
		  AND (p.status IN ('failed', 'partially_published')
		       OR EXISTS (SELECT 1 FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id AND t.status = 'unknown'))
		ORDER BY p.updated_at DESC, p.id DESC
		LIMIT $2`, string(company), limit)
}

// withTargets runs query, which selects postColumns of the company's posts, and returns
// those posts in its order with their targets.
func (s posts) withTargets(ctx context.Context, company domain.CompanyID, query string, args ...any) ([]domain.Post, error) {
	var rows []postRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, query, args...); err != nil {
		return nil, translate(err, "post")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ts []targetRow
	if err := sqlx.SelectContext(ctx, s.q, &ts, `SELECT `+targetColumns+` FROM post_targets
		WHERE company_id = $1 AND post_id = ANY($2::uuid[]) ORDER BY post_id, position`, string(company), ids); err != nil {
		return nil, translate(err, "post")
	}
	byPost := map[string][]targetRow{}
	for _, t := range ts {
		byPost[t.PostID] = append(byPost[t.PostID], t)
	}
	out := make([]domain.Post, len(rows))
	for i, r := range rows {
		out[i] = r.toPost(byPost[r.ID])
	}
	return out, nil
}

// Published implements ports.MetricsReader.
func (s metrics) Published(ctx context.Context, q ports.MetricsQuery) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `SELECT count(DISTINCT t.post_id) FROM post_targets t WHERE `+published,
		string(q.Company), q.From, q.To, string(q.Platform))
	return n, translateIf(err, "metrics")
}
