package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Passkeys keeps people's passkeys and the state of the WebAuthn ceremonies between their
// begin and their finish. A passkey belongs to a person: every method that names one takes
// its user, and another person's passkey is CodeNotFound.
type Passkeys interface {
	// Create stores p and sets p.ID; a credential id already stored is CodeConflict.
	Create(ctx context.Context, p *domain.Passkey) error
	// List returns the user's passkeys, oldest first.
	List(ctx context.Context, user domain.UserID) ([]domain.Passkey, error)
	// LockByCredential returns the passkey with that credential id, locked until the
	// transaction ends, or CodeNotFound.
	LockByCredential(ctx context.Context, credentialID []byte) (domain.Passkey, error)
	// RecordUse writes p's sign count, flags and last use, or returns CodeNotFound.
	RecordUse(ctx context.Context, p domain.Passkey) error
	// Rename sets the name of the user's passkey id, or returns CodeNotFound.
	Rename(ctx context.Context, user domain.UserID, id domain.PasskeyID, name string) error
	// Delete removes the user's passkey id and returns it, or returns CodeNotFound.
	Delete(ctx context.Context, user domain.UserID, id domain.PasskeyID) (domain.Passkey, error)
	// SaveCeremony keeps a ceremony's state under the hash of its id until expires; user is
	// "" for a sign-in.
	SaveCeremony(ctx context.Context, idHash []byte, kind domain.PasskeyCeremony, user domain.UserID, state []byte, expires time.Time) error
	// TakeCeremony deletes the ceremony of kind with that id hash and returns its user and
	// state; one that is unknown, of another kind, already taken or expired at now is
	// CodeNotFound.
	TakeCeremony(ctx context.Context, idHash []byte, kind domain.PasskeyCeremony, now time.Time) (domain.UserID, []byte, error)
}

// PasskeyUser is the person a passkey is made for, as the authenticator shows them.
type PasskeyUser struct {
	ID          domain.UserID
	Name        string // the email
	DisplayName string
}

// PasskeyCeremonies does the WebAuthn side of passkeys: the options a browser passes to
// navigator.credentials.create or .get, and the checks of what it answers (challenge,
// origin, relying party, signature, flags, counter). Options and responses are the JSON
// of the WebAuthn specification; state is opaque and must come back unchanged.
type PasskeyCeremonies interface {
	// BeginRegistration returns the creation options for user, who already has existing
	// (the authenticator is asked not to make a second passkey for them), and the state.
	BeginRegistration(user PasskeyUser, existing []domain.Passkey) (options, state []byte, err error)
	// FinishRegistration checks the browser's response against state and returns the new
	// passkey (without ID, name and times). Errors: CodeInvalid for a response that cannot
	// be read, CodeUnauthenticated for one that does not verify.
	FinishRegistration(user PasskeyUser, existing []domain.Passkey, state, response []byte) (domain.Passkey, error)
	// BeginLogin returns the request options of a sign-in with a discoverable passkey (no
	// user named) and the state.
	BeginLogin() (options, state []byte, err error)
	// FinishLogin checks an assertion against state, with the passkey find returns for its
	// credential id, and returns that passkey with its new counter, flags and use. Errors:
	// CodeInvalid for a response that cannot be read; CodeUnauthenticated for one that does
	// not verify (wrong origin or challenge, bad signature, the passkey of another person
	// than the user handle names, a counter that did not advance); find's error as is.
	FinishLogin(state, response []byte, find func(credentialID []byte) (domain.Passkey, error)) (domain.Passkey, error)
}
