package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// users implements ports.Users on q.
type users struct{ q sqlx.ExtContext }

var _ ports.Users = users{}

const userColumns = `id, email, name, is_superadmin, time_zone, created_at, email_verified_at`

type userRow struct {
	ID           string       `db:"id"`
	Email        string       `db:"email"`
	Name         string       `db:"name"`
	IsSuperadmin bool         `db:"is_superadmin"`
	TimeZone     string       `db:"time_zone"`
	CreatedAt    time.Time    `db:"created_at"`
	Verified     sql.NullTime `db:"email_verified_at"`
}

func (r userRow) toUser() domain.User {
	u := domain.User{ID: domain.UserID(r.ID), Email: r.Email, Name: r.Name, IsSuperadmin: r.IsSuperadmin, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt.UTC()}
	if r.Verified.Valid {
		u.EmailVerifiedAt = r.Verified.Time.UTC()
	}
	return u
}

// Create implements ports.Users.
func (s users) Create(ctx context.Context, u *domain.User, passwordHash string) error {
	err := sqlx.GetContext(ctx, s.q, &u.ID, `
		INSERT INTO users (email, name, password_hash, is_superadmin, created_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, u.Email, u.Name, passwordHash, u.IsSuperadmin, u.CreatedAt)
	if domain.CodeOf(translateIf(err, "user")) == domain.CodeConflict {
		return &domain.Error{Code: domain.CodeConflict, Message: "An account with this email already exists.",
			Fields: map[string]string{"email": "is already registered"}, Err: err}
	}
	return translateIf(err, "user")
}

// Get implements ports.Users.
func (s users) Get(ctx context.Context, id domain.UserID) (domain.User, error) {
	var r userRow
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+userColumns+` FROM users WHERE id = $1`, id); err != nil {
		return domain.User{}, translate(err, "user")
	}
	return r.toUser(), nil
}

// ByEmail implements ports.Users.
func (s users) ByEmail(ctx context.Context, email string) (domain.User, string, error) {
	var r struct {
		userRow
		PasswordHash string `db:"password_hash"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+userColumns+`, password_hash FROM users WHERE email = $1`, email)
	if err != nil {
		return domain.User{}, "", translate(err, "user")
	}
	return r.toUser(), r.PasswordHash, nil
}

// SetSuperadmin implements ports.Users; other instances reload roles through the notification.
func (s users) SetSuperadmin(ctx context.Context, id domain.UserID) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET is_superadmin = true, updated_at = now() WHERE id = $1`, id)
	if err != nil {
		return translate(err, "user")
	}
	if err := oneRow(res, "user"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, "")
}

// SetTimeZone implements ports.Users.
func (s users) SetTimeZone(ctx context.Context, id domain.UserID, zone string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET time_zone = $2, updated_at = now() WHERE id = $1`, id, zone)
	if err != nil {
		return translate(err, "user")
	}
	return oneRow(res, "user")
}

// SetPassword implements ports.Users.
func (s users) SetPassword(ctx context.Context, id domain.UserID, passwordHash string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, id, passwordHash)
	if err != nil {
		return translate(err, "user")
	}
	return oneRow(res, "user")
}

// KnowsAddress implements ports.Users.
func (s users) KnowsAddress(ctx context.Context, id domain.UserID, addressHash []byte) (bool, error) {
	var known bool
	err := sqlx.GetContext(ctx, s.q, &known, `SELECT EXISTS (SELECT 1 FROM user_login_addresses
		WHERE user_id = $1 AND address_hash = $2)`, id, addressHash)
	return known, translateIf(err, "login address")
}

// RememberAddress implements ports.Users.
func (s users) RememberAddress(ctx context.Context, id domain.UserID, addressHash []byte, now time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO user_login_addresses (user_id, address_hash, last_seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, address_hash) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at`, id, addressHash, now)
	return translateIf(err, "login address")
}

// Delete implements ports.Users. Memberships, sessions, API tokens, remembered answers and
// connect flows cascade away; posts, invitations and audit entries keep existing with the
// user's reference set to NULL (ON DELETE SET NULL). One notification with an empty payload
// makes every instance reload all roles (its memberships and any superadmin flag).
func (s users) Delete(ctx context.Context, id domain.UserID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return translate(err, "user")
	}
	if err := oneRow(res, "user"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, "")
}

// SetEmailVerified implements ports.Users.
func (s users) SetEmailVerified(ctx context.Context, id domain.UserID, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET email_verified_at = $2, updated_at = now() WHERE id = $1`,
		id, sql.NullTime{Time: at, Valid: !at.IsZero()})
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.CodeNotFound, "user not found")
	}
	return nil
}
