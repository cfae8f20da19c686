package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// idempotencyKeys implements ports.IdempotencyKeys on q.
type idempotencyKeys struct{ q sqlx.ExtContext }

var _ ports.IdempotencyKeys = idempotencyKeys{}

type answerRow struct {
	Fingerprint []byte        `db:"fingerprint"`
	Status      sql.NullInt32 `db:"status"`
	ContentType string        `db:"content_type"`
	Body        []byte        `db:"body"`
}

// Claim implements ports.IdempotencyKeys: a claim older than since is taken over.
func (s idempotencyKeys) Claim(ctx context.Context, user domain.UserID, key string, fp []byte, now, since time.Time) (ports.StoredAnswer, bool, error) {
	var got string
	err := sqlx.GetContext(ctx, s.q, &got, `
		INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, key) DO UPDATE
		SET fingerprint = EXCLUDED.fingerprint, status = NULL, content_type = '', body = NULL, created_at = EXCLUDED.created_at
		WHERE idempotency_keys.created_at < $5
		RETURNING key`, user, key, fp, now, since)
	if err == nil {
		return ports.StoredAnswer{}, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ports.StoredAnswer{}, false, translate(err, "idempotency key")
	}
	var r answerRow
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT fingerprint, status, content_type, body FROM idempotency_keys
		WHERE user_id = $1 AND key = $2`, user, key); err != nil {
		return ports.StoredAnswer{}, false, translate(err, "idempotency key")
	}
	return ports.StoredAnswer{Fingerprint: r.Fingerprint, Status: int(r.Status.Int32), ContentType: r.ContentType, Body: r.Body}, false, nil
}

// Complete implements ports.IdempotencyKeys.
func (s idempotencyKeys) Complete(ctx context.Context, user domain.UserID, key string, a ports.StoredAnswer) error {
	_, err := s.q.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5
		WHERE user_id = $1 AND key = $2`, user, key, a.Status, a.ContentType, a.Body)
	return translateIf(err, "idempotency key")
}

// Release implements ports.IdempotencyKeys.
func (s idempotencyKeys) Release(ctx context.Context, user domain.UserID, key string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status IS NULL`, user, key)
	return translateIf(err, "idempotency key")
}
