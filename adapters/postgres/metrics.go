package postgres

import (
	"context"
	"database/sql"
	"strings"
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

// published is the filter of a MetricsQuery; $1 company, $2 from, $3 to, $4 platform ("" any),
// $5 label ("" any; the post's labels through the indexed lower_labels, in the same company).
const published = `t.company_id = $1 AND t.status = 'published' AND t.published_at >= $2 AND t.published_at < $3 AND ($4 = '' OR t.platform = $4)
	AND ($5 = '' OR EXISTS (SELECT 1 FROM posts p WHERE p.company_id = t.company_id AND p.id = t.post_id AND lower_labels(p.labels) @> ARRAY[lower($5)]))`

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
	return s.summed(ctx, q, `to_char(r.day, 'YYYY-MM-DD')`, `to_char(t.published_at AT TIME ZONE $zone, 'YYYY-MM-DD')`)
}

// ByPlatform implements ports.MetricsReader.
func (s metrics) ByPlatform(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return s.summed(ctx, q, `r.platform`, `t.platform`)
}

// ByAccount implements ports.MetricsReader.
func (s metrics) ByAccount(ctx context.Context, q ports.MetricsQuery) ([]ports.MetricsRow, error) {
	return s.summed(ctx, q, `r.account_id::text`, `t.account_id::text`)
}

// summed sums the query's published targets per key: rollupKey over the rows of
// metric_days (r), targetKey over post_targets (t) ($zone is the query's zone). The whole days of the range come from
// metric_days when they were counted in the query's zone; the hours before the first and
// after the last whole day, and everything of a label's query, from the targets.
func (s metrics) summed(ctx context.Context, q ports.MetricsQuery, rollupKey, targetKey string) ([]ports.MetricsRow, error) {
	first, end, start, stop, ok := wholeDays(q)
	if !ok || q.Label != "" {
		return s.rawSummed(ctx, q, targetKey)
	}
	return s.rows(ctx, `SELECT key, `+sumsOf+` FROM (
		SELECT `+rollupKey+` AS key, r.likes, r.comments, r.shares, r.reach, r.impressions FROM metric_days r
		WHERE r.company_id = $1 AND r.zone = $5 AND r.day >= $6::date AND r.day < $7::date AND r.targets > 0 AND ($4 = '' OR r.platform = $4)
		  AND `+zoneCounted+` = $5
		UNION ALL
		SELECT `+strings.ReplaceAll(targetKey, "$zone", "$5")+`, t.likes, t.comments, t.shares, t.reach, t.impressions FROM post_targets t
		WHERE t.company_id = $1 AND t.status = 'published' AND ($4 = '' OR t.platform = $4)
		  AND ((t.published_at >= $2 AND t.published_at < $8) OR (t.published_at >= $9 AND t.published_at < $3))
		UNION ALL
		SELECT `+strings.ReplaceAll(targetKey, "$zone", "$5")+`, t.likes, t.comments, t.shares, t.reach, t.impressions FROM post_targets t
		WHERE t.company_id = $1 AND t.status = 'published' AND ($4 = '' OR t.platform = $4)
		  AND t.published_at >= $8 AND t.published_at < $9 AND `+zoneCounted+` <> $5
		) x GROUP BY key ORDER BY key`,
		string(q.Company), q.From, q.To, string(q.Platform), q.Zone, first, end, start, stop)
}

// zoneCounted is the zone company $1's days are counted in (000034 analytics_zone): when it
// is not the reader's, the whole days are read from the targets instead.
const zoneCounted = `analytics_zone((SELECT c.settings FROM companies c WHERE c.id = $1))`

const sumsOf = `sum(likes) AS likes, sum(comments) AS comments, sum(shares) AS shares, sum(reach) AS reach, sum(impressions) AS impressions`

// rawSummed is summed over the targets alone.
func (s metrics) rawSummed(ctx context.Context, q ports.MetricsQuery, targetKey string) ([]ports.MetricsRow, error) {
	args := []any{string(q.Company), q.From, q.To, string(q.Platform), q.Label}
	if strings.Contains(targetKey, "$zone") {
		targetKey, args = strings.ReplaceAll(targetKey, "$zone", "$6"), append(args, q.Zone)
	}
	return s.rows(ctx, `SELECT `+targetKey+` AS key, `+sums+`
		FROM post_targets t WHERE `+published+` GROUP BY 1 ORDER BY 1`, args...)
}

// wholeDays returns the whole days of q.Zone inside [q.From, q.To): the dates first
// (included) to end (excluded), which begin at start and end at stop. ok is false when there
// is no whole day, or when a day's first instant is not where Go puts its midnight (a clock
// change at midnight), so the caller reads the targets instead.
func wholeDays(q ports.MetricsQuery) (first, end string, start, stop time.Time, ok bool) {
	loc, err := time.LoadLocation(q.Zone)
	if err != nil {
		return "", "", time.Time{}, time.Time{}, false
	}
	dayStart := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	}
	// isFirstInstant: t is midnight and a microsecond earlier (PostgreSQL's resolution) was
	// the day before.
	isFirstInstant := func(t time.Time) bool {
		l, p := t.In(loc), t.Add(-time.Microsecond).In(loc)
		return l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0 &&
			p.Format(time.DateOnly) < l.Format(time.DateOnly)
	}
	start = dayStart(q.From)
	if start.Before(q.From) {
		f := q.From.In(loc)
		start = time.Date(f.Year(), f.Month(), f.Day()+1, 0, 0, 0, 0, loc)
	}
	stop = dayStart(q.To)
	if !start.Before(stop) || !isFirstInstant(start) || !isFirstInstant(stop) {
		return "", "", time.Time{}, time.Time{}, false
	}
	return start.In(loc).Format(time.DateOnly), stop.In(loc).Format(time.DateOnly), start.UTC(), stop.UTC(), true
}

// TopPosts implements ports.MetricsReader. For every platform and label, the posts wholly
// inside the range come best first from post_metrics, and the few posts with targets on
// both sides of an end of the range are summed from their targets; a platform's or a
// label's top posts are summed from the targets.
func (s metrics) TopPosts(ctx context.Context, q ports.MetricsQuery, limit int) ([]ports.MetricsRow, error) {
	if q.Platform != "" || q.Label != "" {
		return s.rawTopPosts(ctx, q, limit)
	}
	return s.rows(ctx, `SELECT key, likes, comments, shares, reach, impressions FROM (
		(SELECT m.post_id::text AS key, m.likes, m.comments, m.shares, m.reach, m.impressions FROM post_metrics m
		 WHERE m.company_id = $1 AND m.targets > 0 AND m.first_at >= $2 AND m.last_at < $3
		 ORDER BY m.impressions DESC, m.likes DESC, m.post_id LIMIT $4)
		UNION ALL
		(SELECT t.post_id::text AS key, `+sums+` FROM post_targets t
		 WHERE t.company_id = $1 AND t.status = 'published' AND t.published_at >= $2 AND t.published_at < $3
		   AND t.post_id IN (SELECT m.post_id FROM post_metrics m
		       WHERE m.company_id = $1 AND m.targets > 0 AND m.first_at < m.last_at
		         AND (tstzrange(m.first_at, m.last_at, '[]') @> $2::timestamptz OR tstzrange(m.first_at, m.last_at, '[]') @> $3::timestamptz)
		         AND NOT (m.first_at >= $2 AND m.last_at < $3))
		 GROUP BY 1)
		) x ORDER BY impressions DESC, likes DESC, key LIMIT $4`, string(q.Company), q.From, q.To, limit)
}

// rawTopPosts is TopPosts summed from the targets alone.
func (s metrics) rawTopPosts(ctx context.Context, q ports.MetricsQuery, limit int) ([]ports.MetricsRow, error) {
	return s.rows(ctx, `SELECT t.post_id::text AS key, `+sums+` FROM post_targets t WHERE `+published+`
		GROUP BY 1 ORDER BY impressions DESC, likes DESC, 1 LIMIT $6`, string(q.Company), q.From, q.To, string(q.Platform), q.Label, limit)
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
