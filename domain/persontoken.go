package domain

import "time"

// PersonTokenPurpose says what a single-use link about a person's own account does.
type PersonTokenPurpose string

// The purposes of person tokens.
const (
	PurposeVerifyEmail   PersonTokenPurpose = "verify_email"   // proves the person reads the address
	PurposePasswordReset PersonTokenPurpose = "password_reset" // sets a new password without the old one
)

// How long the links work.
const (
	VerifyEmailLifetime   = 48 * time.Hour
	PasswordResetLifetime = time.Hour
)

// PersonTokenID identifies one person token.
type PersonTokenID string

// PersonToken is a single-use link's record: only the hash of its secret is stored. Email
// is the address the link went to; it proves only that address.
type PersonToken struct {
	ID        PersonTokenID
	UserID    UserID
	Purpose   PersonTokenPurpose
	Email     string
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
	CreatedAt time.Time
}

// Check returns nil when the token can be used at now: CodeGone, with a message for the
// person, when it was used already or has expired.
func (t PersonToken) Check(now time.Time) error {
	switch {
	case !t.UsedAt.IsZero():
		return Errorf(CodeGone, "This link was already used. Each link works once: ask for a new one.")
	case !now.Before(t.ExpiresAt):
		return Errorf(CodeGone, "This link has expired. Ask for a new one.")
	}
	return nil
}
