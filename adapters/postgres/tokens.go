package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// tokens implements ports.Tokens on q.
type tokens struct{ q sqlx.ExtContext }

var _ ports.Tokens = tokens{}

const tokenColumns = `t.id, t.user_id, t.kind, t.name, t.expires_at, t.created_at`

type tokenRow struct {
	ID        string    `db:"id"`
	UserID    string    `db:"user_id"`
	Kind      string    `db:"kind"`
	Name      string    `db:"name"`
	ExpiresAt time.Time `db:"expires_at"`
	CreatedAt time.Time `db:"created_at"`
}

func (r tokenRow) toToken() domain.Token {
	return domain.Token{ID: domain.TokenID(r.ID), UserID: domain.UserID(r.UserID), Kind: domain.TokenKind(r.Kind),
		Name: r.Name, ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
}

// Create implements ports.Tokens.
func (s tokens) Create(ctx context.Context, t *domain.Token, hash []byte) error {
	err := sqlx.GetContext(ctx, s.q, &t.ID, `
		INSERT INTO api_tokens (user_id, kind, name, token_hash, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`, t.UserID, t.Kind, t.Name, hash, t.ExpiresAt, t.CreatedAt)
	return translateIf(err, "token")
}

// Lookup implements ports.Tokens.
func (s tokens) Lookup(ctx context.Context, hash []byte, now time.Time) (domain.Session, error) {
	var r struct {
		tokenRow
		UEmail     string       `db:"u_email"`
		UName      string       `db:"u_name"`
		USuper     bool         `db:"u_super"`
		UCreatedAt time.Time    `db:"u_created_at"`
		UVerified  sql.NullTime `db:"u_verified"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `
		SELECT `+tokenColumns+`, u.email AS u_email, u.name AS u_name, u.is_superadmin AS u_super, u.created_at AS u_created_at,
			u.email_verified_at AS u_verified
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.expires_at > $2`, hash, now)
	if err != nil {
		return domain.Session{}, translate(err, "token")
	}
	u := domain.User{ID: domain.UserID(r.UserID), Email: r.UEmail, Name: r.UName, IsSuperadmin: r.USuper, CreatedAt: r.UCreatedAt.UTC()}
	if r.UVerified.Valid {
		u.EmailVerifiedAt = r.UVerified.Time.UTC()
	}
	return domain.Session{Token: r.toToken(), User: u}, nil
}

// Delete implements ports.Tokens.
func (s tokens) Delete(ctx context.Context, user domain.UserID, id domain.TokenID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND id = $2`, user, id)
	if err != nil {
		return translate(err, "token")
	}
	return oneRow(res, "token")
}

// List implements ports.Tokens.
func (s tokens) List(ctx context.Context, user domain.UserID, now time.Time) ([]domain.Token, error) {
	var rows []tokenRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+tokenColumns+` FROM api_tokens t
		WHERE t.user_id = $1 AND t.kind = 'personal' AND t.expires_at > $2
		ORDER BY t.created_at DESC, t.id`, user, now)
	if err != nil {
		return nil, translate(err, "token")
	}
	out := make([]domain.Token, len(rows))
	for i, r := range rows {
		out[i] = r.toToken()
	}
	return out, nil
}

// DeleteSessions implements ports.Tokens.
func (s tokens) DeleteSessions(ctx context.Context, user domain.UserID, except domain.TokenID) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND kind = 'session' AND id::text <> $2`, user, string(except))
	if err != nil {
		return 0, translate(err, "token")
	}
	n, err := res.RowsAffected()
	return int(n), translateIf(err, "token")
}

// DeleteExpired removes tokens, login-attempt windows, API rate-limit windows, idempotency keys, connect flows, passkey
// ceremonies and sign-in addresses unused for 180 days that ended before now, and reports
// how many rows went. The maintenance job calls it.
func (db *DB) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, q := range []string{
		`DELETE FROM api_tokens WHERE expires_at <= $1`,
		`DELETE FROM login_attempts WHERE window_start < $1::timestamptz - interval '1 day'`,
		`DELETE FROM api_rate_windows WHERE window_start < $1::timestamptz - interval '1 hour'`,
		`DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - interval '1 day'`,
		`DELETE FROM oauth_states WHERE expires_at <= $1`,
		`DELETE FROM user_login_addresses WHERE last_seen_at < $1::timestamptz - interval '180 days'`,
		// Kept a week past expiry, so an old link still says it expired rather than "unknown".
		`DELETE FROM person_tokens WHERE expires_at < $1::timestamptz - interval '7 days'`,
		`DELETE FROM passkey_ceremonies WHERE expires_at <= $1`,
	} {
		res, err := db.x.ExecContext(ctx, q, now)
		if err != nil {
			return n, translate(err, "cleanup")
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
