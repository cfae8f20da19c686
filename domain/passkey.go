package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// PasskeyID identifies one of a person's passkeys.
type PasskeyID string

// Passkey is a WebAuthn credential a person signs in with: a key pair whose private half
// never leaves their authenticator (a phone, a laptop's secure chip, a security key). A
// passkey belongs to a person, not to a company.
type Passkey struct {
	ID     PasskeyID
	UserID UserID
	// CredentialID is the authenticator's id of the credential; PublicKey its COSE key.
	CredentialID []byte
	PublicKey    []byte
	// SignCount is the authenticator's signature counter last seen; one that stays at
	// zero is an authenticator that does not count (most synced passkeys).
	SignCount  uint32
	Transports []string
	// AAGUID names the authenticator's model (all zeros when it does not say).
	AAGUID      []byte
	Attestation string // the attestation format, "none" for most passkeys
	// UserVerified says the authenticator checked the person (PIN, fingerprint, face).
	UserVerified bool
	// BackupEligible and BackupState say whether the passkey can be, and is, synced to
	// the person's other devices.
	BackupEligible, BackupState bool
	Name                        string
	CreatedAt                   time.Time
	LastUsedAt                  time.Time // zero until it is first used
}

// MaxPasskeys bounds how many passkeys one person keeps.
const MaxPasskeys = 20

// PasskeyName trims name and returns it, or CodeInvalid for field name when it is empty
// or longer than 100 characters.
func PasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", InvalidField("name", "is required")
	case n > 100:
		return "", InvalidField("name", "is too long (at most 100 characters)")
	}
	return name, nil
}

// PasskeyCeremony is what a WebAuthn ceremony is for.
type PasskeyCeremony string

// The ceremonies: adding a passkey to a signed-in person, and signing in with one.
const (
	CeremonyRegister PasskeyCeremony = "register"
	CeremonyLogin    PasskeyCeremony = "login"
)

// PasskeyCeremonyLifetime is how long a begun ceremony can be finished.
const PasskeyCeremonyLifetime = 5 * time.Minute
