package domain

import (
	"strings"
	"time"
)

// Two-factor sign-in (RFC 6238 TOTP): codes of TOTPDigits digits from HMAC-SHA-1 over
// TOTPPeriod time steps; a code of the step before or after now is accepted too (clock skew).
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	TOTPSkew   = 1
)

// RecoveryCodeCount is how many recovery codes a person gets at once; each works once.
const RecoveryCodeCount = 10

// MFAChallengeLifetime is how long a sign-in waits for its second factor after the
// password, and MFAChallengeAttempts how many wrong codes it takes before it ends.
const (
	MFAChallengeLifetime = 5 * time.Minute
	MFAChallengeAttempts = 5
)

// The second factors a sign-in challenge can be completed with.
const (
	MFAMethodTOTP         = "totp"
	MFAMethodRecoveryCode = "recovery_code"
)

// TOTPStep returns the RFC 6238 time step t falls in (Unix time / 30 s).
func TOTPStep(t time.Time) int64 {
	return t.Unix() / int64(TOTPPeriod/time.Second)
}

// TOTPStepTime returns when step begins.
func TOTPStepTime(step int64) time.Time {
	return time.Unix(step*int64(TOTPPeriod/time.Second), 0).UTC()
}

// NormalizeTOTPCode returns code without spaces and dashes, and whether it is then
// TOTPDigits digits.
func NormalizeTOTPCode(code string) (string, bool) {
	code = strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(code))
	if len(code) != TOTPDigits {
		return code, false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return code, false
		}
	}
	return code, true
}

// NormalizeRecoveryCode returns code lower-cased without spaces and dashes, as recovery
// codes are compared (they are shown in groups joined by dashes).
func NormalizeRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(code)))
}

// TwoFactorStatus is what a person's security settings show of their two-factor sign-in.
type TwoFactorStatus struct {
	// Enabled says that signing in asks for a code; EnabledAt is when it was turned on.
	Enabled   bool
	EnabledAt time.Time
	// Pending says that an enrolment was begun and waits for its first code.
	Pending bool
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
}

// MFAChallenge is a sign-in that passed the password and waits for a second factor until
// ExpiresAt; Attempts counts the codes tried on it.
type MFAChallenge struct {
	ID        string
	UserID    UserID
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CodeTwoFactorRequired refuses a company's request from a member without two-factor
// sign-in when the company requires it (403).
const CodeTwoFactorRequired Code = "two-factor-required"

// TwoFactorRequiredError is the answer to a company's request from a member who has no
// two-factor sign-in while the company requires it.
func TwoFactorRequiredError(company string) *Error {
	name := "This company"
	if company != "" {
		name = company
	}
	return &Error{Code: CodeTwoFactorRequired, Message: name + " requires two-factor sign-in. Turn it on in your profile's Security section (POST /api/v1/auth/2fa/totp), then try again."}
}
