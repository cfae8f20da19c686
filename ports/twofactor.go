package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// TOTPSecret is a person's authenticator secret as stored: sealed by a TokenCipher (aad:
// the user id), with when it was enabled (zero while its enrolment waits for a first code)
// and the last time step a code was accepted for.
type TOTPSecret struct {
	UserID    domain.UserID
	Sealed    []byte
	EnabledAt time.Time
	LastStep  int64
	CreatedAt time.Time
}

// TwoFactor keeps people's second factors: TOTP secrets, recovery codes (hashed) and
// sign-in challenges (by the hash of their token). They belong to a person, not a company.
type TwoFactor interface {
	// TOTP returns the user's secret, or CodeNotFound.
	TOTP(ctx context.Context, user domain.UserID) (TOTPSecret, error)
	// LockTOTP is TOTP plus a row lock held until the transaction ends, so two codes of one
	// step cannot both pass the replay check.
	LockTOTP(ctx context.Context, user domain.UserID) (TOTPSecret, error)
	// BeginTOTP stores a new pending secret for the user, replacing a pending one. A user
	// whose secret is enabled is CodeConflict.
	BeginTOTP(ctx context.Context, s TOTPSecret) error
	// EnableTOTP marks the user's pending secret enabled at at with step used, or returns
	// CodeNotFound.
	EnableTOTP(ctx context.Context, user domain.UserID, step int64, at time.Time) error
	// UseStep records step as the user's last accepted time step.
	UseStep(ctx context.Context, user domain.UserID, step int64) error
	// DeleteTOTP removes the user's secret and recovery codes, or returns CodeNotFound.
	DeleteTOTP(ctx context.Context, user domain.UserID) error
	// ReplaceRecoveryCodes deletes every recovery code of the user and stores hashes.
	ReplaceRecoveryCodes(ctx context.Context, user domain.UserID, hashes [][]byte, at time.Time) error
	// UseRecoveryCode marks the user's unused code with hash used at at; an unknown or
	// used code is CodeNotFound.
	UseRecoveryCode(ctx context.Context, user domain.UserID, hash []byte, at time.Time) error
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, user domain.UserID) (int, error)
	// CreateChallenge stores c with the hash of its token and sets c.ID.
	CreateChallenge(ctx context.Context, c *domain.MFAChallenge, hash []byte) error
	// CountChallengeAttempt adds one attempt to the challenge with hash while it works at
	// now and returns it with the count; unknown or expired is CodeNotFound.
	CountChallengeAttempt(ctx context.Context, hash []byte, now time.Time) (domain.MFAChallenge, error)
	// TakeChallenge deletes the challenge and reports whether it was there, so of two
	// completions at once exactly one wins.
	TakeChallenge(ctx context.Context, id string) (bool, error)
	// DeleteExpiredChallenges removes challenges that expired before now.
	DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error)
	// Missing reports whether company requires two-factor sign-in (its settings'
	// require_2fa) and the user has none enabled.
	Missing(ctx context.Context, company domain.CompanyID, user domain.UserID) (bool, error)
}

// OneTimePasswords makes RFC 6238 secrets and codes (6 digits, SHA-1, 30-second steps) for
// authenticator apps, and the QR codes people scan them with.
type OneTimePasswords interface {
	// NewSecret returns a new random secret, base32 without padding.
	NewSecret() (string, error)
	// URL returns the otpauth:// address apps read secret from, labelled issuer:account;
	// a secret that is not base32 is an error.
	URL(issuer, account, secret string) (string, error)
	// QRCode returns text as a QR code: a PNG of size×size pixels.
	QRCode(text string, size int) ([]byte, error)
	// Code returns secret's code for the time step at falls in.
	Code(secret string, at time.Time) (string, error)
}
