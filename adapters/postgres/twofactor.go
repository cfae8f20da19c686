package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// twoFactor implements ports.TwoFactor on q.
type twoFactor struct{ q sqlx.ExtContext }

var _ ports.TwoFactor = twoFactor{}

type totpRow struct {
	UserID    string       `db:"user_id"`
	Sealed    []byte       `db:"sealed_secret"`
	EnabledAt sql.NullTime `db:"enabled_at"`
	LastStep  int64        `db:"last_step"`
	CreatedAt time.Time    `db:"created_at"`
}

func (r totpRow) toSecret() ports.TOTPSecret {
	s := ports.TOTPSecret{UserID: domain.UserID(r.UserID), Sealed: r.Sealed, LastStep: r.LastStep, CreatedAt: r.CreatedAt.UTC()}
	if r.EnabledAt.Valid {
		s.EnabledAt = r.EnabledAt.Time.UTC()
	}
	return s
}

const totpColumns = `user_id, sealed_secret, enabled_at, last_step, created_at`

func (s twoFactor) totp(ctx context.Context, user domain.UserID, lock string) (ports.TOTPSecret, error) {
	var r totpRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+totpColumns+` FROM user_totp WHERE user_id = $1`+lock, user)
	if err != nil {
		return ports.TOTPSecret{}, translate(err, "authenticator")
	}
	return r.toSecret(), nil
}

// TOTP implements ports.TwoFactor.
func (s twoFactor) TOTP(ctx context.Context, user domain.UserID) (ports.TOTPSecret, error) {
	return s.totp(ctx, user, "")
}

// LockTOTP implements ports.TwoFactor.
func (s twoFactor) LockTOTP(ctx context.Context, user domain.UserID) (ports.TOTPSecret, error) {
	return s.totp(ctx, user, " FOR UPDATE")
}

// BeginTOTP implements ports.TwoFactor.
func (s twoFactor) BeginTOTP(ctx context.Context, t ports.TOTPSecret) error {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO user_totp (user_id, sealed_secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, created_at = EXCLUDED.created_at,
			last_step = 0
		WHERE user_totp.enabled_at IS NULL`, t.UserID, t.Sealed, t.CreatedAt)
	if err != nil {
		return translate(err, "authenticator")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.CodeConflict, "Two-factor sign-in is already on. Turn it off first to set up another authenticator.")
	}
	return nil
}

// EnableTOTP implements ports.TwoFactor.
func (s twoFactor) EnableTOTP(ctx context.Context, user domain.UserID, step int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE user_totp SET enabled_at = $2, last_step = $3 WHERE user_id = $1 AND enabled_at IS NULL`, user, at, step)
	if err != nil {
		return translate(err, "authenticator")
	}
	return oneRow(res, "authenticator setup")
}

// UseStep implements ports.TwoFactor.
func (s twoFactor) UseStep(ctx context.Context, user domain.UserID, step int64) error {
	res, err := s.q.ExecContext(ctx, `UPDATE user_totp SET last_step = $2 WHERE user_id = $1`, user, step)
	if err != nil {
		return translate(err, "authenticator")
	}
	return oneRow(res, "authenticator")
}

// DeleteTOTP implements ports.TwoFactor.
func (s twoFactor) DeleteTOTP(ctx context.Context, user domain.UserID) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, user); err != nil {
		return translate(err, "recovery code")
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = $1`, user)
	if err != nil {
		return translate(err, "authenticator")
	}
	return oneRow(res, "authenticator")
}

// ReplaceRecoveryCodes implements ports.TwoFactor.
func (s twoFactor) ReplaceRecoveryCodes(ctx context.Context, user domain.UserID, hashes [][]byte, at time.Time) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, user); err != nil {
		return translate(err, "recovery code")
	}
	for _, h := range hashes {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)`, user, h, at); err != nil {
			return translate(err, "recovery code")
		}
	}
	return nil
}

// UseRecoveryCode implements ports.TwoFactor.
func (s twoFactor) UseRecoveryCode(ctx context.Context, user domain.UserID, hash []byte, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE user_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, user, hash, at)
	if err != nil {
		return translate(err, "recovery code")
	}
	return oneRow(res, "recovery code")
}

// RecoveryCodesLeft implements ports.TwoFactor.
func (s twoFactor) RecoveryCodesLeft(ctx context.Context, user domain.UserID) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, user)
	return n, translateIf(err, "recovery code")
}

// CreateChallenge implements ports.TwoFactor.
func (s twoFactor) CreateChallenge(ctx context.Context, c *domain.MFAChallenge, hash []byte) error {
	err := sqlx.GetContext(ctx, s.q, &c.ID, `INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, hash, c.UserID, c.CreatedAt, c.ExpiresAt)
	return translateIf(err, "sign-in challenge")
}

// CountChallengeAttempt implements ports.TwoFactor.
func (s twoFactor) CountChallengeAttempt(ctx context.Context, hash []byte, now time.Time) (domain.MFAChallenge, error) {
	var r struct {
		ID        string    `db:"id"`
		UserID    string    `db:"user_id"`
		Attempts  int       `db:"attempts"`
		CreatedAt time.Time `db:"created_at"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `UPDATE mfa_challenges SET attempts = attempts + 1
		WHERE token_hash = $1 AND expires_at > $2
		RETURNING id, user_id, attempts, created_at, expires_at`, hash, now)
	if err != nil {
		return domain.MFAChallenge{}, translate(err, "sign-in challenge")
	}
	return domain.MFAChallenge{ID: r.ID, UserID: domain.UserID(r.UserID), Attempts: r.Attempts,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// TakeChallenge implements ports.TwoFactor.
func (s twoFactor) TakeChallenge(ctx context.Context, id string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM mfa_challenges WHERE id = $1`, id)
	if err != nil {
		return false, translate(err, "sign-in challenge")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteExpiredChallenges implements ports.TwoFactor.
func (s twoFactor) DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM mfa_challenges WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, translate(err, "sign-in challenge")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Missing implements ports.TwoFactor.
func (s twoFactor) Missing(ctx context.Context, company domain.CompanyID, user domain.UserID) (bool, error) {
	var missing bool
	err := sqlx.GetContext(ctx, s.q, &missing, `
		SELECT coalesce(c.settings->>'require_2fa', '') = 'true'
			AND NOT EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = $2 AND t.enabled_at IS NOT NULL)
		FROM companies c WHERE c.id = $1`, company, user)
	if err != nil {
		return false, translate(err, "company")
	}
	return missing, nil
}
