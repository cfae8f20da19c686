package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// uploads implements ports.Uploads on q.
type uploads struct{ q sqlx.ExtContext }

var _ ports.Uploads = uploads{}

const uploadColumns = `id, company_id, user_id, length, name, alt, expires_at, created_at`

type uploadRow struct {
	ID        string    `db:"id"`
	CompanyID string    `db:"company_id"`
	UserID    string    `db:"user_id"`
	Length    int64     `db:"length"`
	Name      string    `db:"name"`
	Alt       string    `db:"alt"`
	ExpiresAt time.Time `db:"expires_at"`
	CreatedAt time.Time `db:"created_at"`
}

func (r uploadRow) toUpload() domain.Upload {
	return domain.Upload{ID: domain.UploadID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), UserID: domain.UserID(r.UserID),
		Length: r.Length, Name: r.Name, Alt: r.Alt, ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
}

// Create implements ports.Uploads.
func (s uploads) Create(ctx context.Context, u *domain.Upload) error {
	var id string
	err := sqlx.GetContext(ctx, s.q, &id, `
		INSERT INTO uploads (company_id, user_id, length, name, alt, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		u.CompanyID, u.UserID, u.Length, u.Name, u.Alt, u.ExpiresAt, u.CreatedAt)
	if err != nil {
		return translate(err, "upload")
	}
	u.ID = domain.UploadID(id)
	return nil
}

// Get implements ports.Uploads.
func (s uploads) Get(ctx context.Context, company domain.CompanyID, id domain.UploadID) (domain.Upload, error) {
	if !domain.IsUUID(string(id)) {
		return domain.Upload{}, domain.Errorf(domain.CodeNotFound, "That upload does not exist.")
	}
	var r uploadRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+uploadColumns+` FROM uploads WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return domain.Upload{}, translate(err, "upload")
	}
	return r.toUpload(), nil
}

// Delete implements ports.Uploads.
func (s uploads) Delete(ctx context.Context, company domain.CompanyID, id domain.UploadID) error {
	if !domain.IsUUID(string(id)) {
		return domain.Errorf(domain.CodeNotFound, "That upload does not exist.")
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM uploads WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "upload")
	}
	return oneRow(res, "upload")
}

// DeleteExpired implements ports.Uploads. SKIP LOCKED lets two sweeps run at once, each
// deleting its own rows.
func (s uploads) DeleteExpired(ctx context.Context, now time.Time, limit int) ([]domain.Upload, error) {
	var rows []uploadRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		DELETE FROM uploads WHERE id IN (
			SELECT id FROM uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+uploadColumns, now, limit)
	if err != nil {
		return nil, translate(err, "upload")
	}
	out := make([]domain.Upload, len(rows))
	for i, r := range rows {
		out[i] = r.toUpload()
	}
	return out, nil
}
