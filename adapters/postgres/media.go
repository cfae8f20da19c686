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

// media implements ports.MediaLibrary on q.
type media struct{ q sqlx.ExtContext }

var _ ports.MediaLibrary = media{}

const mediaColumns = `id, company_id, created_by, name, mime_type, size, width, height, duration_ms, alt, has_thumb, sha256, version, created_at, updated_at`

type mediaRow struct {
	ID         string         `db:"id"`
	CompanyID  string         `db:"company_id"`
	CreatedBy  sql.NullString `db:"created_by"`
	Name       string         `db:"name"`
	MIMEType   string         `db:"mime_type"`
	Size       int64          `db:"size"`
	Width      int            `db:"width"`
	Height     int            `db:"height"`
	DurationMS int64          `db:"duration_ms"`
	Alt        string         `db:"alt"`
	HasThumb   bool           `db:"has_thumb"`
	SHA256     []byte         `db:"sha256"`
	Version    int            `db:"version"`
	CreatedAt  time.Time      `db:"created_at"`
	UpdatedAt  time.Time      `db:"updated_at"`
}

func (r mediaRow) toMedia() domain.Media {
	return domain.Media{ID: domain.MediaID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), CreatedBy: domain.UserID(r.CreatedBy.String),
		Name: r.Name, MIMEType: r.MIMEType, Size: r.Size, Width: r.Width, Height: r.Height,
		Duration: time.Duration(r.DurationMS) * time.Millisecond, Alt: r.Alt, HasThumb: r.HasThumb, SHA256: r.SHA256,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Reserve implements ports.MediaLibrary.
func (s media) Reserve(ctx context.Context, m *domain.Media) error {
	var r struct {
		ID      string `db:"id"`
		Version int    `db:"version"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `
		INSERT INTO media (company_id, created_by, name, mime_type, size, width, height, duration_ms, alt, has_thumb, sha256, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
		RETURNING id, version`, m.CompanyID, nullUser(m.CreatedBy), m.Name, m.MIMEType, m.Size, m.Width, m.Height,
		m.Duration.Milliseconds(), m.Alt, m.HasThumb, m.SHA256, m.CreatedAt)
	if err != nil {
		return translate(err, "file")
	}
	m.ID, m.Version, m.UpdatedAt = domain.MediaID(r.ID), r.Version, m.CreatedAt
	return nil
}

// Complete implements ports.MediaLibrary.
func (s media) Complete(ctx context.Context, company domain.CompanyID, id domain.MediaID, hasThumb bool, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE media SET ready = true, has_thumb = $3, updated_at = $4
		WHERE company_id = $1 AND id = $2 AND NOT ready`, company, id, hasThumb, at)
	if err != nil {
		return translate(err, "file")
	}
	return oneRow(res, "file")
}

// Get implements ports.MediaLibrary.
func (s media) Get(ctx context.Context, company domain.CompanyID, id domain.MediaID) (domain.Media, error) {
	if !domain.IsUUID(string(id)) {
		return domain.Media{}, domain.Errorf(domain.CodeNotFound, "That file does not exist.")
	}
	var r mediaRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+mediaColumns+` FROM media WHERE company_id = $1 AND id = $2 AND ready`, company, id)
	if err != nil {
		return domain.Media{}, translate(err, "file")
	}
	return r.toMedia(), nil
}

// GetMany implements ports.MediaLibrary.
func (s media) GetMany(ctx context.Context, company domain.CompanyID, ids []domain.MediaID) (map[domain.MediaID]domain.Media, error) {
	out := make(map[domain.MediaID]domain.Media, len(ids))
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if domain.IsUUID(string(id)) {
			valid = append(valid, string(id))
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	var rows []mediaRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+mediaColumns+` FROM media
		WHERE company_id = $1 AND id = ANY($2::uuid[]) AND ready`, company, valid); err != nil {
		return nil, translate(err, "file")
	}
	for _, r := range rows {
		out[domain.MediaID(r.ID)] = r.toMedia()
	}
	return out, nil
}

// List implements ports.MediaLibrary: keyset pagination on (created_at, id), newest first.
// The query matches every word in the name or the alt text, case-insensitively.
func (s media) List(ctx context.Context, company domain.CompanyID, f domain.MediaFilter, p ports.Page) ([]domain.Media, string, error) {
	before, beforeID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var words []string
	for _, w := range strings.Fields(f.Query) {
		words = append(words, "%"+likeEscape(w)+"%")
	}
	if words == nil {
		words = []string{}
	}
	typePrefix := ""
	switch f.Kind {
	case domain.MediaImage:
		typePrefix = "image/%"
	case domain.MediaVideo:
		typePrefix = "video/%"
	}
	var rows []mediaRow
	err = sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+mediaColumns+` FROM media
		WHERE company_id = $1 AND ready
		  AND ($2 = '' OR mime_type LIKE $2)
		  AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) w WHERE NOT (name ILIKE w OR alt ILIKE w))
		  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $6`, company, typePrefix, words, before, beforeID, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "file")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]domain.Media, len(rows))
	for i, r := range rows {
		out[i] = r.toMedia()
	}
	return out, next, nil
}

// likeEscape escapes LIKE's wildcards so a search for "50%" finds that text.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetAlt implements ports.MediaLibrary.
func (s media) SetAlt(ctx context.Context, m *domain.Media) error {
	var r struct {
		Version   int       `db:"version"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `UPDATE media SET alt = $3, version = version + 1, updated_at = $5
		WHERE company_id = $1 AND id = $2 AND ready AND version = $4
		RETURNING version, updated_at`, m.CompanyID, m.ID, m.Alt, m.Version, m.UpdatedAt)
	if err == sql.ErrNoRows {
		if _, err := s.Get(ctx, m.CompanyID, m.ID); err != nil {
			return err
		}
		return domain.Errorf(domain.CodeStale, "This file was changed by someone else since you loaded it; reload it and try again.")
	}
	if err != nil {
		return translate(err, "file")
	}
	m.Version, m.UpdatedAt = r.Version, r.UpdatedAt.UTC()
	return nil
}

// Delete implements ports.MediaLibrary. Posts that have not gone out (drafts, failed ones)
// lose the file from their media and their targets'; published ones keep the id as a
// record of what went out.
func (s media) Delete(ctx context.Context, company domain.CompanyID, id domain.MediaID) error {
	if !domain.IsUUID(string(id)) {
		return domain.Errorf(domain.CodeNotFound, "That file does not exist.")
	}
	if _, err := s.q.ExecContext(ctx, `
		UPDATE posts SET media_ids = array_remove(media_ids, $2::uuid)
		WHERE company_id = $1 AND media_ids @> ARRAY[$2::uuid] AND status IN ('draft', 'scheduled', 'failed')`, company, id); err != nil {
		return translate(err, "file")
	}
	if _, err := s.q.ExecContext(ctx, `
		UPDATE post_targets t SET media_ids = array_remove(t.media_ids, $2::uuid)
		FROM posts p
		WHERE t.company_id = $1 AND t.media_ids @> ARRAY[$2::uuid] AND p.company_id = t.company_id AND p.id = t.post_id
		  AND p.status IN ('draft', 'scheduled', 'failed')`, company, id); err != nil {
		return translate(err, "file")
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM media WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "file")
	}
	return oneRow(res, "file")
}

// Uses implements ports.MediaLibrary.
func (s media) Uses(ctx context.Context, company domain.CompanyID, id domain.MediaID, limit int) ([]domain.MediaUse, error) {
	if !domain.IsUUID(string(id)) {
		return nil, nil
	}
	var rows []struct {
		ID           string       `db:"id"`
		Status       string       `db:"status"`
		Content      string       `db:"content"`
		ScheduledFor sql.NullTime `db:"scheduled_for"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT p.id, p.status, p.content, p.scheduled_for FROM posts p
		WHERE p.company_id = $1
		  AND (p.media_ids @> ARRAY[$2::uuid] OR EXISTS (SELECT 1 FROM post_targets t
		       WHERE t.company_id = p.company_id AND t.post_id = p.id AND t.media_ids @> ARRAY[$2::uuid]))
		ORDER BY coalesce(p.scheduled_for, p.created_at) DESC, p.id DESC
		LIMIT $3`, company, id, limit)
	if err != nil {
		return nil, translate(err, "file")
	}
	out := make([]domain.MediaUse, len(rows))
	for i, r := range rows {
		out[i] = domain.MediaUse{PostID: domain.PostID(r.ID), Status: domain.PostStatus(r.Status), Excerpt: domain.Excerpt(r.Content, 80)}
		if r.ScheduledFor.Valid {
			out[i].ScheduledFor = r.ScheduledFor.Time.UTC()
		}
	}
	return out, nil
}

// UsedBytes implements ports.MediaLibrary.
func (s media) UsedBytes(ctx context.Context, company domain.CompanyID) (int64, error) {
	var n int64
	if err := sqlx.GetContext(ctx, s.q, &n, `SELECT coalesce(sum(size), 0)::bigint FROM media WHERE company_id = $1`, company); err != nil {
		return 0, translate(err, "file")
	}
	return n, nil
}

// Stale implements ports.MediaLibrary: the one cross-company read of the library, for
// the sweeper.
func (s media) Stale(ctx context.Context, before time.Time, limit int) ([]domain.Media, error) {
	var rows []mediaRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+mediaColumns+` FROM media
		WHERE NOT ready AND created_at < $1 ORDER BY created_at LIMIT $2`, before, limit); err != nil {
		return nil, translate(err, "file")
	}
	out := make([]domain.Media, len(rows))
	for i, r := range rows {
		out[i] = r.toMedia()
	}
	return out, nil
}
