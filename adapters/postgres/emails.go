package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// emails implements ports.Emails on q.
type emails struct{ q sqlx.ExtContext }

var _ ports.Emails = emails{}

const emailColumns = `id, company_id, user_id, to_address, template, subject, event_key, status, attempts, error, created_at, sent_at`

type emailRow struct {
	ID        string         `db:"id"`
	CompanyID sql.NullString `db:"company_id"`
	UserID    sql.NullString `db:"user_id"`
	To        string         `db:"to_address"`
	Template  string         `db:"template"`
	Subject   string         `db:"subject"`
	EventKey  string         `db:"event_key"`
	Status    string         `db:"status"`
	Attempts  int            `db:"attempts"`
	Error     string         `db:"error"`
	CreatedAt time.Time      `db:"created_at"`
	SentAt    sql.NullTime   `db:"sent_at"`
}

func (r emailRow) toEmail() domain.Email {
	e := domain.Email{ID: domain.EmailID(r.ID), CompanyID: domain.CompanyID(r.CompanyID.String), UserID: domain.UserID(r.UserID.String),
		To: r.To, Template: r.Template, Subject: r.Subject, EventKey: r.EventKey, Status: domain.EmailStatus(r.Status),
		Attempts: r.Attempts, Error: r.Error, CreatedAt: r.CreatedAt.UTC()}
	if r.SentAt.Valid {
		e.SentAt = r.SentAt.Time.UTC()
	}
	return e
}

// Add implements ports.Emails.
func (s emails) Add(ctx context.Context, e *domain.Email, sealed []byte) (bool, error) {
	var ids []string
	err := sqlx.SelectContext(ctx, s.q, &ids, `
		INSERT INTO emails (company_id, user_id, to_address, template, subject, event_key, sealed_data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (event_key) DO NOTHING
		RETURNING id`,
		nullString(string(e.CompanyID)), nullString(string(e.UserID)), e.To, e.Template, e.Subject, e.EventKey, sealed, e.CreatedAt)
	if err != nil {
		return false, translate(err, "email")
	}
	if len(ids) == 0 {
		return false, nil
	}
	e.ID, e.Status = domain.EmailID(ids[0]), domain.EmailPending
	return true, nil
}

// Lock implements ports.Emails.
func (s emails) Lock(ctx context.Context, id domain.EmailID) (domain.Email, []byte, error) {
	if !domain.IsUUID(string(id)) {
		return domain.Email{}, nil, domain.Errorf(domain.CodeNotFound, "email not found")
	}
	var r struct {
		emailRow
		Sealed []byte `db:"sealed_data"`
	}
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+emailColumns+`, sealed_data FROM emails WHERE id = $1 FOR UPDATE`, id); err != nil {
		return domain.Email{}, nil, translate(err, "email")
	}
	return r.toEmail(), r.Sealed, nil
}

// Finish implements ports.Emails.
func (s emails) Finish(ctx context.Context, e domain.Email) error {
	sent := sql.NullTime{Time: e.SentAt, Valid: !e.SentAt.IsZero()}
	res, err := s.q.ExecContext(ctx, `UPDATE emails SET status = $2, attempts = $3, error = $4, sent_at = $5 WHERE id = $1`,
		e.ID, e.Status, e.Attempts, e.Error, sent)
	if err != nil {
		return translate(err, "email")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.CodeNotFound, "email not found")
	}
	return nil
}

// List implements ports.Emails: keyset pagination on (created_at, id), newest first.
func (s emails) List(ctx context.Context, company domain.CompanyID, user domain.UserID, p ports.Page) ([]domain.Email, string, error) {
	before, beforeID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []emailRow
	err = sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+emailColumns+` FROM emails
		WHERE (CASE WHEN $1 <> '' THEN company_id = $1::uuid ELSE company_id IS NULL AND user_id = $2::uuid END)
		  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $5`, string(company), nullString(string(user)), before, beforeID, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "email")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]domain.Email, len(rows))
	for i, r := range rows {
		out[i] = r.toEmail()
	}
	return out, next, nil
}
