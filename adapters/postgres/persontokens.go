package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// personTokens implements ports.PersonTokens on q.
type personTokens struct{ q sqlx.ExtContext }

var _ ports.PersonTokens = personTokens{}

type personTokenRow struct {
	ID        string       `db:"id"`
	UserID    string       `db:"user_id"`
	Purpose   string       `db:"purpose"`
	Email     string       `db:"email"`
	ExpiresAt time.Time    `db:"expires_at"`
	UsedAt    sql.NullTime `db:"used_at"`
	CreatedAt time.Time    `db:"created_at"`
}

// Create implements ports.PersonTokens.
func (s personTokens) Create(ctx context.Context, t *domain.PersonToken, hash []byte) error {
	err := sqlx.GetContext(ctx, s.q, &t.ID, `
		INSERT INTO person_tokens (token_hash, purpose, user_id, email, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`, hash, t.Purpose, t.UserID, t.Email, t.ExpiresAt, t.CreatedAt)
	return translateIf(err, "link")
}

// Lock implements ports.PersonTokens.
func (s personTokens) Lock(ctx context.Context, purpose domain.PersonTokenPurpose, hash []byte) (domain.PersonToken, error) {
	var r personTokenRow
	err := sqlx.GetContext(ctx, s.q, &r, `
		SELECT id, user_id, purpose, email, expires_at, used_at, created_at
		FROM person_tokens WHERE token_hash = $1 AND purpose = $2
		FOR UPDATE`, hash, purpose)
	if err != nil {
		return domain.PersonToken{}, translate(err, "link")
	}
	t := domain.PersonToken{ID: domain.PersonTokenID(r.ID), UserID: domain.UserID(r.UserID), Purpose: domain.PersonTokenPurpose(r.Purpose),
		Email: r.Email, ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
	if r.UsedAt.Valid {
		t.UsedAt = r.UsedAt.Time.UTC()
	}
	return t, nil
}

// UseAll implements ports.PersonTokens.
func (s personTokens) UseAll(ctx context.Context, user domain.UserID, purpose domain.PersonTokenPurpose, now time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE person_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
		user, purpose, now)
	if err != nil {
		return 0, translate(err, "link")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
