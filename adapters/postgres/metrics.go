package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// metrics implements ports.Metrics on q.
type metrics struct{ q sqlx.ExtContext }

var _ ports.Metrics = metrics{}

// DueAccounts implements ports.Metrics.
func (s metrics) DueAccounts(ctx context.Context, now, since time.Time, limit int) ([]ports.AccountRef, error) {
	var rows []struct {
		Company string `db:"company_id"`
		Account string `db:"account_id"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT DISTINCT t.company_id, t.account_id FROM post_targets t
		JOIN social_accounts a ON a.company_id = t.company_id AND a.id = t.account_id AND a.status = 'active'
		WHERE t.status = 'published' AND t.published_at > $2 AND
		      ((t.metrics_at IS NULL AND t.metrics_next_at IS NULL) OR t.metrics_next_at <= $1)
		LIMIT $3`, now, since, limit)
	if err != nil {
		return nil, translate(err, "metrics")
	}
	out := make([]ports.AccountRef, len(rows))
	for i, r := range rows {
		out[i] = ports.AccountRef{Company: domain.CompanyID(r.Company), Account: domain.AccountID(r.Account)}
	}
	return out, nil
}

// Due implements ports.Metrics.
func (s metrics) Due(ctx context.Context, company domain.CompanyID, account domain.AccountID, now, since time.Time, limit int) ([]ports.DueTarget, error) {
	var rows []struct {
		Post        string    `db:"post_id"`
		Account     string    `db:"account_id"`
		ExternalID  string    `db:"external_id"`
		PublishedAt time.Time `db:"published_at"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT t.post_id, t.account_id, t.external_id, t.published_at FROM post_targets t
		WHERE t.company_id = $1 AND t.account_id = $2 AND t.status = 'published' AND t.published_at > $4 AND
		      ((t.metrics_at IS NULL AND t.metrics_next_at IS NULL) OR t.metrics_next_at <= $3)
		ORDER BY coalesce(t.metrics_next_at, t.published_at) LIMIT $5`, company, account, now, since, limit)
	if err != nil {
		return nil, translate(err, "metrics")
	}
	out := make([]ports.DueTarget, len(rows))
	for i, r := range rows {
		out[i] = ports.DueTarget{Post: domain.PostID(r.Post), Account: domain.AccountID(r.Account), ExternalID: r.ExternalID, PublishedAt: r.PublishedAt.UTC()}
	}
	return out, nil
}

// Record implements ports.Metrics.
func (s metrics) Record(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, at time.Time, m domain.Metrics, next time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO metric_snapshots (company_id, post_id, account_id, collected_at, likes, comments, shares, reach, impressions)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		company, post, account, at, m.Likes, m.Comments, m.Shares, m.Reach, m.Impressions)
	if err != nil {
		return translate(err, "metrics")
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE post_targets SET metrics_at = $4, metrics_next_at = $5, likes = $6, comments = $7, shares = $8, reach = $9, impressions = $10
		WHERE company_id = $1 AND post_id = $2 AND account_id = $3`,
		company, post, account, at, nullTime(next), m.Likes, m.Comments, m.Shares, m.Reach, m.Impressions)
	if err != nil {
		return translate(err, "metrics")
	}
	return oneRow(res, "post target")
}

// Postpone implements ports.Metrics.
func (s metrics) Postpone(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, next time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE post_targets SET metrics_next_at = $4 WHERE company_id = $1 AND post_id = $2 AND account_id = $3`,
		company, post, account, sql.NullTime{Time: next, Valid: !next.IsZero()})
	return translateIf(err, "metrics")
}

// Unsupported implements ports.Metrics.
func (s metrics) Unsupported(ctx context.Context, company domain.CompanyID, post domain.PostID, account domain.AccountID, note string) error {
	_, err := s.q.ExecContext(ctx, `UPDATE post_targets SET metrics_next_at = NULL, metrics_note = $4 WHERE company_id = $1 AND post_id = $2 AND account_id = $3`,
		company, post, account, note)
	return translateIf(err, "metrics")
}

var _ ports.MetricsReader = metrics{}

const sums = `coalesce(sum(t.likes), 0) AS likes, coalesce(sum(t.comments), 0) AS comments, coalesce(sum(t.shares), 0) AS shares,
	coalesce(sum(t.reach), 0) AS reach, coalesce(sum(t.impressions), 0) AS impressions`

// published is the filter of a MetricsQuery; $1 company, $2 from, $3 to, $4 platform ("" any).
const published = `t.company_id = $1 AND t.status = 'published' AND t.published_at >= $2 AND t.published_at < $3 AND ($4 = '' OR t.platform = $4)`

type metricsRow struct {
	Key         string `db:"key"`
	Likes       int64  `db:"likes"`
	Comments    int64  `db:"comments"`
	Shares      int64  `db:"shares"`
	Reach       int64  `db:"reach"`
	Impressions int64  `db:"impressions"`
}

func (s metrics) rows(ctx context.Context, query string, args ...any) ([]ports.MetricsRow, error) {
	var rows []metricsRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, query, args...); err != nil {
		return nil, translate(err, "metrics")
	}
	out := make([]ports.MetricsRow, len(rows))
	for i, r := range rows {
		out[i] = ports.MetricsRow{Key: r.Key, Metrics: domain.Metrics{Likes: r.Likes, Comments: r.Comments, Shares: r.Shares, Reach: r.Reach, Impressions: r.Impressions}}
	}
	return out, nil
}

// Daily implements ports.MetricsReader.
func (s metrics) Daily(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT to_char(t.published_at AT TIME ZONE $5, 'YYYY-MM-DD') AS key, `+sums+`
		FROM post_targets t WHERE `+published+` GROUP BY 1 ORDER BY 1`, string(q.Company), q.From, q.To, string(q.Platform), q.Zone)
}

// ByPlatform implements ports.MetricsReader.
func (s metrics) ByPlatform(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT t.platform AS key, `+sums+` FROM post_targets t WHERE `+published+` GROUP BY 1 ORDER BY 1`,
		string(q.Company), q.From, q.To, string(q.Platform))
}

// ByAccount implements ports.MetricsReader.
func (s metrics) ByAccount(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT t.account_id::text AS key, `+sums+` FROM post_targets t WHERE `+published+` GROUP BY 1 ORDER BY 1`,
		string(q.Company), q.From, q.To, string(q.Platform))
}

// TopPosts implements ports.MetricsReader.
func (s metrics) TopPosts(ctx context.Context, q ports.MetricsQuery, limit int) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT t.post_id::text AS key, `+sums+` FROM post_targets t WHERE `+published+`
		GROUP BY 1 ORDER BY impressions DESC, likes DESC, 1 LIMIT $5`, string(q.Company), q.From, q.To, string(q.Platform), limit)
}

// Post implements ports.MetricsReader.
func (s metrics) Post(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]ports.TargetMetrics, error) {
	var exists bool
	if err := sqlx.GetContext(ctx, s.q, &exists, `SELECT EXISTS (SELECT 1 FROM posts WHERE company_id = $1 AND id = $2)`, company, post); err != nil {
		return nil, translate(err, "post")
	}
	if !exists {
		return nil, domain.Errorf(domain.CodeNotFound, "That post does not exist.")
	}
	var rows []struct {
		Account     string       `db:"account_id"`
		Platform    string       `db:"platform"`
		CollectedAt sql.NullTime `db:"metrics_at"`
		Note        string       `db:"metrics_note"`
		metricsRow
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT account_id, platform, metrics_at, metrics_note, '' AS key, likes, comments, shares, reach, impressions
		FROM post_targets WHERE company_id = $1 AND post_id = $2 ORDER BY position`, company, post)
	if err != nil {
		return nil, translate(err, "post")
	}
	out := make([]ports.TargetMetrics, len(rows))
	for i, r := range rows {
		out[i] = ports.TargetMetrics{Account: domain.AccountID(r.Account), Platform: domain.Platform(r.Platform), Note: r.Note,
			Metrics: domain.Metrics{Likes: r.Likes, Comments: r.Comments, Shares: r.Shares, Reach: r.Reach, Impressions: r.Impressions}}
		if r.CollectedAt.Valid {
			out[i].CollectedAt = r.CollectedAt.Time.UTC()
		}
	}
	return out, nil
}

// Series implements ports.MetricsReader. Targets are collected one after another, so their
// snapshots are grouped by the minute they were taken in, each target counting once per
// minute with its latest snapshot of that minute.
func (s metrics) Series(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS key,
		sum(likes) AS likes, sum(comments) AS comments, sum(shares) AS shares, sum(reach) AS reach, sum(impressions) AS impressions
		FROM (SELECT DISTINCT ON (account_id, date_trunc('minute', collected_at)) account_id, date_trunc('minute', collected_at) AS minute,
		             likes, comments, shares, reach, impressions
		      FROM metric_snapshots WHERE company_id = $1 AND post_id = $2
		      ORDER BY account_id, date_trunc('minute', collected_at), collected_at DESC) latest
		GROUP BY minute ORDER BY minute`, company, post)
}

// ByHour implements ports.MetricsReader.
func (s metrics) ByHour(ctx context.Context, company domain.CompanyID, account domain.AccountID, zone string) ([]ports.HourMetrics, error) {
	var rows []struct {
		Weekday int `db:"weekday"`
		Hour    int `db:"hour"`
		Posts   int `db:"posts"`
		metricsRow
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT extract(isodow FROM t.published_at AT TIME ZONE $3)::int AS weekday, extract(hour FROM t.published_at AT TIME ZONE $3)::int AS hour,
		       count(*) AS posts, '' AS key, `+sums+`
		FROM post_targets t
		WHERE t.company_id = $1 AND t.account_id = $2 AND t.status = 'published' AND t.published_at IS NOT NULL AND t.metrics_at IS NOT NULL
		GROUP BY 1, 2 ORDER BY 1, 2`, company, account, zone)
	if err != nil {
		return nil, translate(err, "metrics")
	}
	out := make([]ports.HourMetrics, len(rows))
	for i, r := range rows {
		out[i] = ports.HourMetrics{Weekday: r.Weekday, Hour: r.Hour, Posts: r.Posts,
			Metrics: domain.Metrics{Likes: r.Likes, Comments: r.Comments, Shares: r.Shares, Reach: r.Reach, Impressions: r.Impressions}}
	}
	return out, nil
}
