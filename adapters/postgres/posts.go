package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// posts implements ports.Posts on q. Inside InTx its changes are announced by the process
// after commit (ann), not by the triggers; see announcer.
type posts struct {
	q   sqlx.ExtContext
	ann *announced
}

var _ ports.Posts = posts{}

const postColumns = `id, company_id, created_by, content, media_urls, array_to_json(media_ids) AS media_ids, status, status_reason, scheduled_for, version, created_at, updated_at,
	array_to_json(labels) AS labels, first_comment, submitted_by, submitted_at, decided_by, decided_at, decision_comment, ai_assisted`

type postRow struct {
	ID           string         `db:"id"`
	CompanyID    string         `db:"company_id"`
	CreatedBy    sql.NullString `db:"created_by"`
	Content      string         `db:"content"`
	MediaURLs    []byte         `db:"media_urls"`
	MediaIDs     []byte         `db:"media_ids"`
	Status       string         `db:"status"`
	StatusReason string         `db:"status_reason"`
	ScheduledFor sql.NullTime   `db:"scheduled_for"`
	Version      int            `db:"version"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
	Labels       []byte         `db:"labels"` // JSON of a text[]
	FirstComment string         `db:"first_comment"`
	// The post's last trip through review (000030).
	SubmittedBy     sql.NullString `db:"submitted_by"`
	SubmittedAt     sql.NullTime   `db:"submitted_at"`
	DecidedBy       sql.NullString `db:"decided_by"`
	DecidedAt       sql.NullTime   `db:"decided_at"`
	DecisionComment string         `db:"decision_comment"`
	AIAssisted      bool           `db:"ai_assisted"`
}

type targetRow struct {
	PostID      string       `db:"post_id"`
	AccountID   string       `db:"account_id"`
	Platform    string       `db:"platform"`
	Variant     string       `db:"variant"`
	MediaIDs    []byte       `db:"media_ids"` // JSON; NULL: the post's
	Status      string       `db:"status"`
	ExternalID  string       `db:"external_id"`
	ExternalURL string       `db:"external_url"`
	Reason      string       `db:"reason"`
	Attempts    int          `db:"attempts"`
	AttemptOpen bool         `db:"attempt_open"`
	PublishedAt sql.NullTime `db:"published_at"`

	FirstComment       string       `db:"first_comment"`
	CommentStatus      string       `db:"comment_status"`
	CommentExternalID  string       `db:"comment_external_id"`
	CommentReason      string       `db:"comment_reason"`
	CommentAttempts    int          `db:"comment_attempts"`
	CommentAttemptOpen bool         `db:"comment_attempt_open"`
	CommentPublishedAt sql.NullTime `db:"comment_published_at"`
}

func (r postRow) toPost(targets []targetRow) domain.Post {
	var media []string
	_ = json.Unmarshal(r.MediaURLs, &media) // written only by this file, from a []string
	var ids []domain.MediaID
	_ = json.Unmarshal(r.MediaIDs, &ids) // array_to_json of a uuid[]
	labels := []string{}
	_ = json.Unmarshal(r.Labels, &labels) // array_to_json of a text[]
	p := domain.Post{ID: domain.PostID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), CreatedBy: domain.UserID(r.CreatedBy.String),
		Content: r.Content, MediaURLs: media, MediaIDs: ids, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Labels: labels, FirstComment: r.FirstComment, AIAssisted: r.AIAssisted}
	a := domain.Approval{SubmittedBy: domain.UserID(r.SubmittedBy.String), DecidedBy: domain.UserID(r.DecidedBy.String), Comment: r.DecisionComment}
	if r.SubmittedAt.Valid {
		a.SubmittedAt = r.SubmittedAt.Time.UTC()
	}
	if r.DecidedAt.Valid {
		a.DecidedAt = r.DecidedAt.Time.UTC()
	}
	p = domain.RestoreApproval(p, a)
	for _, t := range targets {
		var published time.Time
		if t.PublishedAt.Valid {
			published = t.PublishedAt.Time.UTC()
		}
		target := domain.Target{AccountID: domain.AccountID(t.AccountID), Platform: domain.Platform(t.Platform), Variant: t.Variant,
			CommentText: t.FirstComment}
		var commented time.Time
		if t.CommentPublishedAt.Valid {
			commented = t.CommentPublishedAt.Time.UTC()
		}
		target = domain.RestoreComment(target, domain.CommentState{Status: domain.CommentStatus(t.CommentStatus),
			ExternalID: t.CommentExternalID, Reason: t.CommentReason, Attempts: t.CommentAttempts, AttemptOpen: t.CommentAttemptOpen,
			PublishedAt: commented})
		if len(t.MediaIDs) > 0 && string(t.MediaIDs) != "null" {
			target.OwnMedia = true
			target.MediaIDs = []domain.MediaID{}
			_ = json.Unmarshal(t.MediaIDs, &target.MediaIDs)
		}
		p.Targets = append(p.Targets, domain.RestoreTarget(target,
			domain.TargetStatus(t.Status), t.ExternalID, t.ExternalURL, t.Reason, t.Attempts, t.AttemptOpen, published))
	}
	var at time.Time
	if r.ScheduledFor.Valid {
		at = r.ScheduledFor.Time.UTC()
	}
	return domain.RestorePost(p, domain.PostStatus(r.Status), r.StatusReason, at, r.Version)
}

// mediaIDs is a post's library files as a uuid[] parameter (never NULL).
func mediaIDs(ids []domain.MediaID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// targetMedia is a target's own library files as a uuid[] parameter: NULL when it takes
// the post's.
func targetMedia(t domain.Target) any {
	if !t.OwnMedia {
		return nil
	}
	return mediaIDs(t.MediaIDs)
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// timeOrNil is nullTime for hot paths: pgx encodes a *time.Time directly, not through
// driver.Valuer.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullUser(id domain.UserID) sql.NullString {
	return sql.NullString{String: string(id), Valid: id != ""}
}

// Create implements ports.Posts.
func (s posts) Create(ctx context.Context, p *domain.Post) error {
	if err := s.ann.quiet(ctx, s.q, p.CompanyID); err != nil {
		return err
	}
	media, err := json.Marshal(orEmpty(p.MediaURLs))
	if err != nil {
		return fmt.Errorf("postgres: post media: %w", err)
	}
	err = sqlx.GetContext(ctx, s.q, &p.ID, `
		INSERT INTO posts (company_id, created_by, content, media_urls, media_ids, status, status_reason, scheduled_for, version, created_at, updated_at,
		                   labels, first_comment, ai_assisted)
		VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8, $9, $10, $11, $12::text[], $13, $14)
		RETURNING id`, p.CompanyID, nullUser(p.CreatedBy), p.Content, media, mediaIDs(p.MediaIDs), p.Status(), p.Reason(),
		nullTime(p.ScheduledFor()), p.Version(), p.CreatedAt, p.UpdatedAt, orEmpty(p.Labels), p.FirstComment, p.AIAssisted)
	if err != nil {
		return translate(err, "post")
	}
	return s.insertTargets(ctx, *p)
}

// insertTargets writes the post's targets, inserting new ones and updating the others.
func (s posts) insertTargets(ctx context.Context, p domain.Post) error {
	for i, t := range p.Targets {
		c := t.Comment()
		_, err := s.q.ExecContext(ctx, `
			INSERT INTO post_targets (company_id, post_id, account_id, position, platform, variant, status,
			                          external_id, external_url, reason, attempts, attempt_open, published_at, media_ids,
			                          first_comment, comment_status, comment_external_id, comment_reason, comment_attempts,
			                          comment_attempt_open, comment_published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::uuid[], $15, $16, $17, $18, $19, $20, $21)
			ON CONFLICT (company_id, post_id, account_id) DO UPDATE SET position = excluded.position, platform = excluded.platform,
			    variant = excluded.variant, media_ids = excluded.media_ids, status = excluded.status, external_id = excluded.external_id,
			    external_url = excluded.external_url, reason = excluded.reason, attempts = excluded.attempts,
			    attempt_open = excluded.attempt_open, published_at = excluded.published_at,
			    first_comment = excluded.first_comment, comment_status = excluded.comment_status,
			    comment_external_id = excluded.comment_external_id, comment_reason = excluded.comment_reason,
			    comment_attempts = excluded.comment_attempts, comment_attempt_open = excluded.comment_attempt_open,
			    comment_published_at = excluded.comment_published_at, updated_at = now()`,
			p.CompanyID, p.ID, t.AccountID, i, t.Platform, t.Variant, t.Status(),
			t.ExternalID(), t.ExternalURL(), t.Reason(), t.Attempts(), t.AttemptOpen(), nullTime(t.PublishedAt()), targetMedia(t),
			t.CommentText, string(c.Status), c.ExternalID, c.Reason, c.Attempts, c.AttemptOpen, nullTime(c.PublishedAt))
		if err != nil {
			return translate(err, "account")
		}
	}
	return nil
}

// Get implements ports.Posts.
func (s posts) Get(ctx context.Context, company domain.CompanyID, id domain.PostID) (domain.Post, error) {
	return s.get(ctx, company, id)
}

// Lock implements ports.Posts. The targets are read by a second statement, once the lock
// is held: under READ COMMITTED a statement sees the rows as they were when it began, so
// targets read by the locking statement itself (a subquery) would predate the wait for
// the lock, and a post whose other target finished meanwhile would be settled from a
// stale picture (stuck in publishing with every target final).
func (s posts) Lock(ctx context.Context, company domain.CompanyID, id domain.PostID) (domain.Post, error) {
	var r postRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+postColumns+` FROM posts WHERE company_id = $1 AND id = $2 FOR UPDATE`,
		string(company), string(id))
	if err != nil {
		return domain.Post{}, translate(err, "post")
	}
	var ts []targetRow
	if err := sqlx.SelectContext(ctx, s.q, &ts, `SELECT `+targetColumns+` FROM post_targets
		WHERE company_id = $1 AND post_id = $2 ORDER BY position`, string(company), string(id)); err != nil {
		return domain.Post{}, translate(err, "post")
	}
	return r.toPost(ts), nil
}

func (s posts) get(ctx context.Context, company domain.CompanyID, id domain.PostID) (domain.Post, error) {
	// One round trip: the post row and its targets as JSON. Never with a lock: see Lock.
	var r struct {
		postRow
		Targets []byte `db:"targets"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+postColumns+`,
		    (SELECT coalesce(json_agg(json_build_object('post_id', t.post_id, 'account_id', t.account_id, 'platform', t.platform,
		        'variant', t.variant, 'media_ids', t.media_ids, 'status', t.status, 'external_id', t.external_id, 'external_url', t.external_url,
		        'reason', t.reason, 'attempts', t.attempts, 'attempt_open', t.attempt_open, 'published_at', t.published_at,
		        'first_comment', t.first_comment, 'comment_status', t.comment_status, 'comment_external_id', t.comment_external_id,
		        'comment_reason', t.comment_reason, 'comment_attempts', t.comment_attempts, 'comment_attempt_open', t.comment_attempt_open,
		        'comment_published_at', t.comment_published_at)
		        ORDER BY t.position), '[]')
		     FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id) AS targets
		FROM posts p WHERE p.company_id = $1 AND p.id = $2`, string(company), string(id))
	if err != nil {
		return domain.Post{}, translate(err, "post")
	}
	var ts []targetJSON
	if err := json.Unmarshal(r.Targets, &ts); err != nil {
		return domain.Post{}, fmt.Errorf("postgres: post targets: %w", err)
	}
	rows := make([]targetRow, len(ts))
	for i, t := range ts {
		rows[i] = targetRow{PostID: t.PostID, AccountID: t.AccountID, Platform: t.Platform, Variant: t.Variant, MediaIDs: t.MediaIDs, Status: t.Status,
			ExternalID: t.ExternalID, ExternalURL: t.ExternalURL, Reason: t.Reason, Attempts: t.Attempts, AttemptOpen: t.AttemptOpen,
			FirstComment: t.FirstComment, CommentStatus: t.CommentStatus, CommentExternalID: t.CommentExternalID, CommentReason: t.CommentReason,
			CommentAttempts: t.CommentAttempts, CommentAttemptOpen: t.CommentAttemptOpen}
		if t.PublishedAt != nil {
			rows[i].PublishedAt = sql.NullTime{Time: *t.PublishedAt, Valid: true}
		}
		if t.CommentPublishedAt != nil {
			rows[i].CommentPublishedAt = sql.NullTime{Time: *t.CommentPublishedAt, Valid: true}
		}
	}
	return r.toPost(rows), nil
}

// targetJSON is a target as json_build_object writes it.
type targetJSON struct {
	PostID      string          `json:"post_id"`
	AccountID   string          `json:"account_id"`
	Platform    string          `json:"platform"`
	Variant     string          `json:"variant"`
	MediaIDs    json.RawMessage `json:"media_ids"`
	Status      string          `json:"status"`
	ExternalID  string          `json:"external_id"`
	ExternalURL string          `json:"external_url"`
	Reason      string          `json:"reason"`
	Attempts    int             `json:"attempts"`
	AttemptOpen bool            `json:"attempt_open"`
	PublishedAt *time.Time      `json:"published_at"`

	FirstComment       string     `json:"first_comment"`
	CommentStatus      string     `json:"comment_status"`
	CommentExternalID  string     `json:"comment_external_id"`
	CommentReason      string     `json:"comment_reason"`
	CommentAttempts    int        `json:"comment_attempts"`
	CommentAttemptOpen bool       `json:"comment_attempt_open"`
	CommentPublishedAt *time.Time `json:"comment_published_at"`
}

const targetColumns = `post_id, account_id, platform, variant, array_to_json(media_ids) AS media_ids, status, external_id, external_url, reason, attempts, attempt_open, published_at,
	first_comment, comment_status, comment_external_id, comment_reason, comment_attempts, comment_attempt_open, comment_published_at`

// Update implements ports.Posts. A queued post stays queued only while it stays scheduled at
// the same time: scheduling it by hand, unscheduling or publishing it now frees its slot.
func (s posts) Update(ctx context.Context, p *domain.Post) error {
	if err := s.ann.quiet(ctx, s.q, p.CompanyID); err != nil {
		return err
	}
	media, err := json.Marshal(orEmpty(p.MediaURLs))
	if err != nil {
		return fmt.Errorf("postgres: post media: %w", err)
	}
	a := p.Approval()
	res, err := s.q.ExecContext(ctx, `
		UPDATE posts SET content = $3, media_urls = $4, status = $5, status_reason = $6, scheduled_for = $7,
		                 version = $8, updated_at = $9, media_ids = $10::uuid[], labels = $11::text[], first_comment = $12,
		                 queued = queued AND $5 = 'scheduled' AND scheduled_for IS NOT DISTINCT FROM $7::timestamptz,
		                 ai_assisted = $13, submitted_by = $14, submitted_at = $15, decided_by = $16, decided_at = $17, decision_comment = $18
		WHERE company_id = $1 AND id = $2`, p.CompanyID, p.ID, p.Content, media, p.Status(), p.Reason(),
		nullTime(p.ScheduledFor()), p.Version(), p.UpdatedAt, mediaIDs(p.MediaIDs), orEmpty(p.Labels), p.FirstComment,
		p.AIAssisted, nullUser(a.SubmittedBy), nullTime(a.SubmittedAt), nullUser(a.DecidedBy), nullTime(a.DecidedAt), a.Comment)
	if err != nil {
		return translate(err, "post")
	}
	if err := oneRow(res, "post"); err != nil {
		return err
	}
	// Targets the post no longer has go; the others are updated in place, so a published
	// target keeps its metrics and their history.
	keep := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		keep[i] = string(t.AccountID)
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM post_targets WHERE company_id = $1 AND post_id = $2 AND NOT (account_id = ANY($3::uuid[]))`,
		p.CompanyID, p.ID, keep); err != nil {
		return translate(err, "post")
	}
	return s.insertTargets(ctx, *p)
}

// SetStatus implements ports.Posts.
func (s posts) SetStatus(ctx context.Context, p domain.Post) error {
	if err := s.ann.quiet(ctx, s.q, p.CompanyID); err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `UPDATE posts SET status = $3, status_reason = $4, updated_at = $5
		WHERE company_id = $1 AND id = $2`, string(p.CompanyID), string(p.ID), string(p.Status()), p.Reason(), p.UpdatedAt)
	if err != nil {
		return translate(err, "post")
	}
	return oneRow(res, "post")
}

// SaveTarget implements ports.Posts.
func (s posts) SaveTarget(ctx context.Context, company domain.CompanyID, post domain.PostID, t domain.Target) error {
	if err := s.ann.quiet(ctx, s.q, company); err != nil {
		return err
	}
	c := t.Comment()
	res, err := s.q.ExecContext(ctx, `
		UPDATE post_targets SET status = $4, external_id = $5, external_url = $6, reason = $7, attempts = $8,
		                        attempt_open = $9, published_at = $10, comment_status = $11, comment_external_id = $12,
		                        comment_reason = $13, comment_attempts = $14, comment_attempt_open = $15,
		                        comment_published_at = $16, updated_at = now()
		WHERE company_id = $1 AND post_id = $2 AND account_id = $3`,
		string(company), string(post), string(t.AccountID), string(t.Status()), t.ExternalID(), t.ExternalURL(), t.Reason(), t.Attempts(),
		t.AttemptOpen(), timeOrNil(t.PublishedAt()), string(c.Status), c.ExternalID, c.Reason, c.Attempts, c.AttemptOpen, timeOrNil(c.PublishedAt))
	if err != nil {
		return translate(err, "post")
	}
	return oneRow(res, "post target")
}

// Delete implements ports.Posts.
func (s posts) Delete(ctx context.Context, company domain.CompanyID, id domain.PostID) error {
	if err := s.ann.quiet(ctx, s.q, company); err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM posts WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "post")
	}
	return oneRow(res, "post")
}

// List implements ports.Posts: keyset pagination on (created_at, id), newest first.
func (s posts) List(ctx context.Context, company domain.CompanyID, f ports.PostFilter, p ports.Page) ([]domain.Post, string, error) {
	before, beforeID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []postRow
	err = sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+postColumns+` FROM posts p
		WHERE p.company_id = $1
		  AND ($2 = '' OR p.status = $2)
		  AND ($3 = '' OR EXISTS (SELECT 1 FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id AND t.platform = $3))
		  AND ($4::timestamptz IS NULL OR coalesce(p.scheduled_for, p.created_at) >= $4)
		  AND ($5::timestamptz IS NULL OR coalesce(p.scheduled_for, p.created_at) < $5)
		  AND ($6::timestamptz IS NULL OR (p.created_at, p.id) < ($6, $7::uuid))
		  AND ($9 = '' OR lower_labels(p.labels) @> ARRAY[lower($9)])
		  AND ($10 = '' OR EXISTS (SELECT 1 FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id AND t.account_id::text = $10))
		ORDER BY p.created_at DESC, p.id DESC
		LIMIT $8`, company, f.Status, f.Platform, nullTime(f.From), nullTime(f.To), before, beforeID, p.Limit+1, f.Label, string(f.AccountID))
	if err != nil {
		return nil, "", translate(err, "post")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ts []targetRow
	if len(ids) > 0 {
		err = sqlx.SelectContext(ctx, s.q, &ts, `SELECT `+targetColumns+` FROM post_targets
			WHERE company_id = $1 AND post_id = ANY($2::uuid[]) ORDER BY post_id, position`, company, ids)
		if err != nil {
			return nil, "", translate(err, "post")
		}
	}
	byPost := map[string][]targetRow{}
	for _, t := range ts {
		byPost[t.PostID] = append(byPost[t.PostID], t)
	}
	out := make([]domain.Post, len(rows))
	for i, r := range rows {
		out[i] = r.toPost(byPost[r.ID])
	}
	return out, next, nil
}

// Stalled implements ports.Posts.
func (s posts) Stalled(ctx context.Context, dueBefore, quietSince time.Time, limit int) ([]domain.Post, error) {
	var keys []struct {
		CompanyID string `db:"company_id"`
		ID        string `db:"id"`
	}
	err := sqlx.SelectContext(ctx, s.q, &keys, `
		SELECT company_id, id FROM posts p
		WHERE (status = 'scheduled' AND scheduled_for < $1)
		   OR (status = 'publishing' AND (updated_at < $2 OR NOT EXISTS (
		          SELECT 1 FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id
		          AND t.status NOT IN ('published', 'failed', 'unknown'))))
		ORDER BY updated_at LIMIT $3`, dueBefore, quietSince, limit)
	if err != nil {
		return nil, translate(err, "post")
	}
	out := make([]domain.Post, 0, len(keys))
	for _, k := range keys {
		p, err := s.get(ctx, domain.CompanyID(k.CompanyID), domain.PostID(k.ID))
		if domain.CodeOf(err) == domain.CodeNotFound {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Unfinished implements ports.Posts.
func (s posts) Unfinished(ctx context.Context, company domain.CompanyID, account domain.AccountID) ([]domain.PostID, error) {
	var ids []domain.PostID
	err := sqlx.SelectContext(ctx, s.q, &ids, `
		SELECT DISTINCT p.id FROM posts p JOIN post_targets t ON t.company_id = p.company_id AND t.post_id = p.id
		WHERE p.company_id = $1 AND t.account_id = $2 AND p.status IN ('scheduled', 'publishing')
		  AND t.status IN ('pending', 'publishing')`, company, account)
	return ids, translateIf(err, "post")
}

// UnfinishedPerAccount implements ports.Posts.
func (s posts) UnfinishedPerAccount(ctx context.Context, company domain.CompanyID) (map[domain.AccountID]int, error) {
	var rows []struct {
		Account domain.AccountID `db:"account_id"`
		Posts   int              `db:"posts"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT t.account_id, count(DISTINCT p.id) AS posts
		FROM posts p JOIN post_targets t ON t.company_id = p.company_id AND t.post_id = p.id
		WHERE p.company_id = $1 AND p.status IN ('scheduled', 'publishing') AND t.status IN ('pending', 'publishing')
		GROUP BY t.account_id`, company)
	if err != nil {
		return nil, translate(err, "post")
	}
	out := make(map[domain.AccountID]int, len(rows))
	for _, r := range rows {
		out[r.Account] = r.Posts
	}
	return out, nil
}

// Labels implements ports.Posts.
func (s posts) Labels(ctx context.Context, company domain.CompanyID) ([]ports.LabelCount, error) {
	var out []ports.LabelCount
	err := sqlx.SelectContext(ctx, s.q, &out, `
		SELECT min(l) AS label, count(*) AS posts FROM posts p, unnest(p.labels) AS l
		WHERE p.company_id = $1 GROUP BY lower(l) ORDER BY lower(l) LIMIT 1000`, company)
	return out, translateIf(err, "post")
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// failedOnWhere selects the company's posts that failed on an account: finished (failed or
// partially published) with that account's target failed.
const failedOnWhere = `p.company_id = $1 AND p.status IN ('failed', 'partially_published') AND t.status = 'failed'`

// FailedOn implements ports.Posts.
func (s posts) FailedOn(ctx context.Context, company domain.CompanyID, account domain.AccountID, limit int) ([]domain.PostID, error) {
	var ids []domain.PostID
	err := sqlx.SelectContext(ctx, s.q, &ids, `
		SELECT p.id FROM posts p JOIN post_targets t ON t.company_id = p.company_id AND t.post_id = p.id
		WHERE `+failedOnWhere+` AND t.account_id = $2
		ORDER BY p.scheduled_for NULLS LAST, p.id LIMIT $3`, company, account, limit)
	return ids, translateIf(err, "post")
}

// FailedPerAccount implements ports.Posts.
func (s posts) FailedPerAccount(ctx context.Context, company domain.CompanyID) (map[domain.AccountID]int, error) {
	var rows []struct {
		Account domain.AccountID `db:"account_id"`
		Posts   int              `db:"posts"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT t.account_id, count(*) AS posts
		FROM posts p JOIN post_targets t ON t.company_id = p.company_id AND t.post_id = p.id
		WHERE `+failedOnWhere+` GROUP BY t.account_id`, company)
	if err != nil {
		return nil, translate(err, "post")
	}
	out := make(map[domain.AccountID]int, len(rows))
	for _, r := range rows {
		out[r.Account] = r.Posts
	}
	return out, nil
}
