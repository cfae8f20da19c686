package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/heraldhq/herald/domain"
)

// The set-based writes of a bulk request (app.Posts.CreateMany): each takes every row as
// one JSON array, expanded by jsonb_to_recordset, so a thousand posts cost one statement
// per table instead of one per row. JSON rather than unnest because posts carry arrays
// (media ids, labels) and unnest flattens arrays of arrays.

// bulkPostRow is a post as posts' jsonb_to_recordset reads it.
type bulkPostRow struct {
	ID           string          `json:"id"`
	CompanyID    string          `json:"company_id"`
	CreatedBy    *string         `json:"created_by"`
	Content      string          `json:"content"`
	MediaURLs    []string        `json:"media_urls"`
	MediaIDs     []string        `json:"media_ids"`
	Status       string          `json:"status"`
	StatusReason string          `json:"status_reason"`
	ScheduledFor *time.Time      `json:"scheduled_for"`
	Version      int             `json:"version"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Labels       []string        `json:"labels"`
	FirstComment string          `json:"first_comment"`
	AIAssisted   bool            `json:"ai_assisted"`
	Targets      []bulkTargetRow `json:"-"`
}

// bulkTargetRow is a new target as post_targets' jsonb_to_recordset reads it.
type bulkTargetRow struct {
	CompanyID     string   `json:"company_id"`
	PostID        string   `json:"post_id"`
	AccountID     string   `json:"account_id"`
	Position      int      `json:"position"`
	Platform      string   `json:"platform"`
	Variant       string   `json:"variant"`
	Status        string   `json:"status"`
	MediaIDs      []string `json:"media_ids"` // null: the post's
	FirstComment  string   `json:"first_comment"`
	CommentStatus string   `json:"comment_status"`
}

// CreateMany implements ports.Posts: the posts in one statement, their targets in another.
// Ids are made here so each post gets its own without relying on the order of RETURNING.
// New posts have no attempts and no results yet: only what a new post holds is written.
func (s posts) CreateMany(ctx context.Context, ps []*domain.Post) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]bulkPostRow, len(ps))
	var targets []bulkTargetRow
	for i, p := range ps {
		if err := s.ann.quiet(ctx, s.q, p.CompanyID); err != nil {
			return err
		}
		id := uuid.NewString()
		r := bulkPostRow{ID: id, CompanyID: string(p.CompanyID), Content: p.Content, MediaURLs: orEmpty(p.MediaURLs), MediaIDs: mediaIDs(p.MediaIDs),
			Status: string(p.Status()), StatusReason: p.Reason(), ScheduledFor: timeOrNil(p.ScheduledFor()), Version: p.Version(),
			CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Labels: orEmpty(p.Labels), FirstComment: p.FirstComment, AIAssisted: p.AIAssisted}
		if p.CreatedBy != "" {
			by := string(p.CreatedBy)
			r.CreatedBy = &by
		}
		rows[i] = r
		for pos, t := range p.Targets {
			var media []string
			if t.OwnMedia {
				media = mediaIDs(t.MediaIDs)
			}
			targets = append(targets, bulkTargetRow{CompanyID: string(p.CompanyID), PostID: id, AccountID: string(t.AccountID), Position: pos,
				Platform: string(t.Platform), Variant: t.Variant, Status: string(t.Status()), MediaIDs: media, FirstComment: t.CommentText,
				CommentStatus: string(t.Comment().Status)})
		}
	}
	postsJSON, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("postgres: bulk posts: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, `
		INSERT INTO posts (id, company_id, created_by, content, media_urls, media_ids, status, status_reason, scheduled_for, version,
		                   created_at, updated_at, labels, first_comment, ai_assisted)
		SELECT id, company_id, created_by, content, media_urls, media_ids, status, status_reason, scheduled_for, version,
		       created_at, updated_at, labels, first_comment, ai_assisted
		FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, company_id uuid, created_by uuid, content text, media_urls jsonb, media_ids uuid[],
		     status text, status_reason text, scheduled_for timestamptz, version integer, created_at timestamptz, updated_at timestamptz,
		     labels text[], first_comment text, ai_assisted boolean)`, string(postsJSON)); err != nil {
		return translate(err, "post")
	}
	if len(targets) > 0 {
		targetsJSON, err := json.Marshal(targets)
		if err != nil {
			return fmt.Errorf("postgres: bulk targets: %w", err)
		}
		if _, err := s.q.ExecContext(ctx, `
			INSERT INTO post_targets (company_id, post_id, account_id, position, platform, variant, status, media_ids, first_comment, comment_status)
			SELECT company_id, post_id, account_id, position, platform, variant, status, media_ids, first_comment, comment_status
			FROM jsonb_to_recordset($1::jsonb) AS r(company_id uuid, post_id uuid, account_id uuid, position integer, platform text,
			     variant text, status text, media_ids uuid[], first_comment text, comment_status text)`, string(targetsJSON)); err != nil {
			return translate(err, "account")
		}
	}
	for i, p := range ps {
		p.ID = domain.PostID(rows[i].ID)
	}
	return nil
}

// bulkAuditRow is an audit entry as audit_log's jsonb_to_recordset reads it.
type bulkAuditRow struct {
	CompanyID string            `json:"company_id"`
	ActorID   string            `json:"actor_id"`
	IP        string            `json:"ip"`
	Action    string            `json:"action"`
	Subject   string            `json:"subject"`
	Details   map[string]string `json:"details"`
	At        time.Time         `json:"created_at"`
}

// RecordMany implements ports.Audit.
func (s audit) RecordMany(ctx context.Context, es []domain.AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]bulkAuditRow, len(es))
	for i, e := range es {
		if e.IP == "" && e.ActorID != "" {
			e.IP = domain.ClientIP(ctx)
		}
		if e.At.IsZero() {
			e.At = time.Now()
		}
		d := e.Details
		if d == nil {
			d = map[string]string{}
		}
		rows[i] = bulkAuditRow{CompanyID: string(e.CompanyID), ActorID: string(e.ActorID), IP: e.IP, Action: e.Action, Subject: e.Subject, Details: d, At: e.At}
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("postgres: audit entries: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO audit_log (company_id, actor_id, ip, action, subject, details, created_at)
		SELECT nullif(company_id, '')::uuid, nullif(actor_id, '')::uuid, nullif(ip, '')::inet, action, subject, details, created_at
		FROM jsonb_to_recordset($1::jsonb) AS r(company_id text, actor_id text, ip text, action text, subject text,
		     details jsonb, created_at timestamptz)`, string(raw))
	return translateIf(err, "audit entry")
}

// CountPosts implements ports.PlanUsage.
func (s planUsage) CountPosts(ctx context.Context, company domain.CompanyID, posts []domain.PostID, months []time.Time, at time.Time) error {
	if len(posts) == 0 {
		return nil
	}
	ids, ms := make([]string, len(posts)), make([]string, len(posts))
	for i, p := range posts {
		ids[i], ms[i] = string(p), domain.MonthOf(months[i]).Format(time.DateOnly)
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO scheduled_post_counts (company_id, post_id, month, counted_at)
		SELECT $1, post_id, month, $4 FROM unnest($2::uuid[], $3::date[]) AS u(post_id, month)`,
		company, ids, ms, at)
	return translateIf(err, "post")
}
