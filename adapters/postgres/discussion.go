package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// postComments implements ports.PostComments on q. Inside InTx a new comment is announced
// by the process after commit (ann), like a post's change, which wakes the live thread.
type postComments struct {
	q   sqlx.ExtContext
	ann *announced
}

var _ ports.PostComments = postComments{}

const postCommentColumns = `id, company_id, post_id, author_id, author_name, by_client, body, array_to_json(mentions) AS mentions,
	review_link_id, kind, created_at`

type postCommentRow struct {
	ID           string         `db:"id"`
	CompanyID    string         `db:"company_id"`
	PostID       string         `db:"post_id"`
	AuthorID     sql.NullString `db:"author_id"`
	AuthorName   string         `db:"author_name"`
	ByClient     bool           `db:"by_client"`
	Body         string         `db:"body"`
	Mentions     []byte         `db:"mentions"`
	ReviewLinkID sql.NullString `db:"review_link_id"`
	Kind         string         `db:"kind"`
	CreatedAt    time.Time      `db:"created_at"`
}

func (r postCommentRow) toComment() domain.PostComment {
	var ids []string
	_ = json.Unmarshal(r.Mentions, &ids) // array_to_json of a uuid[]
	c := domain.PostComment{ID: domain.PostCommentID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), PostID: domain.PostID(r.PostID),
		AuthorID: domain.UserID(r.AuthorID.String), AuthorName: r.AuthorName, ByClient: r.ByClient, Body: r.Body,
		ReviewLinkID: domain.ReviewLinkID(r.ReviewLinkID.String), Kind: domain.PostCommentKind(r.Kind), CreatedAt: r.CreatedAt.UTC()}
	for _, id := range ids {
		c.Mentions = append(c.Mentions, domain.UserID(id))
	}
	return c
}

// Add implements ports.PostComments.
func (s postComments) Add(ctx context.Context, c *domain.PostComment) error {
	if !domain.IsUUID(string(c.PostID)) {
		return domain.Errorf(domain.CodeNotFound, "That post does not exist.")
	}
	if err := s.ann.quiet(ctx, s.q, c.CompanyID); err != nil {
		return err
	}
	mentions := make([]string, len(c.Mentions))
	for i, m := range c.Mentions {
		mentions[i] = string(m)
	}
	link := sql.NullString{String: string(c.ReviewLinkID), Valid: c.ReviewLinkID != ""}
	var id string
	err := sqlx.GetContext(ctx, s.q, &id, `
		INSERT INTO post_comments (company_id, post_id, author_id, author_name, by_client, body, mentions, review_link_id, kind, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8, $9, $10) RETURNING id`,
		c.CompanyID, c.PostID, nullUser(c.AuthorID), c.AuthorName, c.ByClient, c.Body, mentions, link, c.Kind, c.CreatedAt)
	if err != nil {
		return translate(err, "post")
	}
	c.ID = domain.PostCommentID(id)
	return nil
}

// List implements ports.PostComments.
func (s postComments) List(ctx context.Context, company domain.CompanyID, post domain.PostID, limit int) ([]domain.PostComment, error) {
	if !domain.IsUUID(string(post)) {
		return nil, nil
	}
	if limit <= 0 {
		limit = 1 << 30
	}
	var rows []postCommentRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT id, company_id, post_id, author_id, author_name, by_client, body, mentions, review_link_id, kind, created_at
		FROM (SELECT `+postCommentColumns+` FROM post_comments
		WHERE company_id = $1 AND post_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3) AS newest ORDER BY created_at, id`,
		company, post, limit); err != nil {
		return nil, translate(err, "comment")
	}
	out := make([]domain.PostComment, len(rows))
	for i, r := range rows {
		out[i] = r.toComment()
	}
	return out, nil
}

// Count implements ports.PostComments.
func (s postComments) Count(ctx context.Context, company domain.CompanyID, post domain.PostID) (int, error) {
	if !domain.IsUUID(string(post)) {
		return 0, nil
	}
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `SELECT count(*) FROM post_comments WHERE company_id = $1 AND post_id = $2`, company, post)
	if err != nil {
		return 0, translate(err, "comment")
	}
	return n, nil
}

// reviewLinks implements ports.ReviewLinks on q.
type reviewLinks struct{ q sqlx.ExtContext }

var _ ports.ReviewLinks = reviewLinks{}

const reviewLinkColumns = `id, company_id, post_id, range_from, range_to, expires_at, revoked_at, created_by, created_at, last_used_at`

type reviewLinkRow struct {
	ID         string         `db:"id"`
	CompanyID  string         `db:"company_id"`
	PostID     sql.NullString `db:"post_id"`
	RangeFrom  sql.NullTime   `db:"range_from"`
	RangeTo    sql.NullTime   `db:"range_to"`
	ExpiresAt  time.Time      `db:"expires_at"`
	RevokedAt  sql.NullTime   `db:"revoked_at"`
	CreatedBy  sql.NullString `db:"created_by"`
	CreatedAt  time.Time      `db:"created_at"`
	LastUsedAt sql.NullTime   `db:"last_used_at"`
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func (r reviewLinkRow) toLink() domain.ReviewLink {
	return domain.ReviewLink{ID: domain.ReviewLinkID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), PostID: domain.PostID(r.PostID.String),
		From: utcOrZero(r.RangeFrom), To: utcOrZero(r.RangeTo), ExpiresAt: r.ExpiresAt.UTC(), RevokedAt: utcOrZero(r.RevokedAt),
		CreatedBy: domain.UserID(r.CreatedBy.String), CreatedAt: r.CreatedAt.UTC(), LastUsedAt: utcOrZero(r.LastUsedAt)}
}

// Create implements ports.ReviewLinks.
func (s reviewLinks) Create(ctx context.Context, l *domain.ReviewLink, hash []byte) error {
	if l.PostID != "" && !domain.IsUUID(string(l.PostID)) {
		return domain.Errorf(domain.CodeNotFound, "That post does not exist.")
	}
	post := sql.NullString{String: string(l.PostID), Valid: l.PostID != ""}
	var id string
	err := sqlx.GetContext(ctx, s.q, &id, `
		INSERT INTO review_links (company_id, post_id, range_from, range_to, token_hash, expires_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		l.CompanyID, post, nullTime(l.From), nullTime(l.To), hash, l.ExpiresAt, nullUser(l.CreatedBy), l.CreatedAt)
	if err != nil {
		return translate(err, "post")
	}
	l.ID = domain.ReviewLinkID(id)
	return nil
}

// Get implements ports.ReviewLinks.
func (s reviewLinks) Get(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID) (domain.ReviewLink, error) {
	if !domain.IsUUID(string(id)) {
		return domain.ReviewLink{}, domain.Errorf(domain.CodeNotFound, "That review link does not exist.")
	}
	var r reviewLinkRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+reviewLinkColumns+` FROM review_links WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return domain.ReviewLink{}, translate(err, "review link")
	}
	return r.toLink(), nil
}

// ForPost implements ports.ReviewLinks.
func (s reviewLinks) ForPost(ctx context.Context, company domain.CompanyID, post domain.PostID) ([]domain.ReviewLink, error) {
	if !domain.IsUUID(string(post)) {
		return nil, nil
	}
	var rows []reviewLinkRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+reviewLinkColumns+` FROM review_links
		WHERE company_id = $1 AND post_id = $2 ORDER BY created_at DESC, id DESC`, company, post); err != nil {
		return nil, translate(err, "review link")
	}
	out := make([]domain.ReviewLink, len(rows))
	for i, r := range rows {
		out[i] = r.toLink()
	}
	return out, nil
}

// Revoke implements ports.ReviewLinks.
func (s reviewLinks) Revoke(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID, now time.Time) (domain.ReviewLink, error) {
	if !domain.IsUUID(string(id)) {
		return domain.ReviewLink{}, domain.Errorf(domain.CodeNotFound, "That review link does not exist.")
	}
	var r reviewLinkRow
	err := sqlx.GetContext(ctx, s.q, &r, `UPDATE review_links SET revoked_at = coalesce(revoked_at, $3)
		WHERE company_id = $1 AND id = $2 RETURNING `+reviewLinkColumns, company, id, now)
	if err != nil {
		return domain.ReviewLink{}, translate(err, "review link")
	}
	return r.toLink(), nil
}

// ByToken implements ports.ReviewLinks.
func (s reviewLinks) ByToken(ctx context.Context, hash []byte) (domain.ReviewLink, error) {
	var r reviewLinkRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+reviewLinkColumns+` FROM review_links WHERE token_hash = $1`, hash)
	if err != nil {
		return domain.ReviewLink{}, translate(err, "review link")
	}
	return r.toLink(), nil
}

// Used implements ports.ReviewLinks.
func (s reviewLinks) Used(ctx context.Context, company domain.CompanyID, id domain.ReviewLinkID, now time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE review_links SET last_used_at = $3 WHERE company_id = $1 AND id = $2`, company, id, now)
	if err != nil {
		return translate(err, "review link")
	}
	return oneRow(res, "review link")
}
