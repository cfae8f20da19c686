// Package passkey implements ports.PasskeyCeremonies over github.com/go-webauthn/webauthn,
// the well-kept Go WebAuthn library: it builds the options browsers need and verifies what
// their authenticators answer, while Herald keeps the credentials and ceremony state.
package passkey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Config names the relying party: Herald as the browser sees it.
type Config struct {
	// RPID is the relying party id, the host name passkeys are bound to (no scheme, no port).
	RPID string
	// Origins are the addresses (scheme://host[:port]) the ceremonies may run on.
	Origins []string
	// Name is what authenticators show beside the person's name; "" means Herald.
	Name string
}

// ConfigFor returns the relying party of a Herald served at base (HERALD_BASE_URL): its
// host and origin. Browsers refuse IP addresses as relying party ids, so a loopback
// address (127.0.0.1, ::1) becomes localhost with the same port: passkeys then work when
// Herald is opened at http://localhost:PORT.
func ConfigFor(base *url.URL) Config {
	host, port := base.Hostname(), base.Port()
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
	}
	origin := base.Scheme + "://" + host
	if port != "" && !(base.Scheme == "https" && port == "443") && !(base.Scheme == "http" && port == "80") {
		origin += ":" + port
	}
	return Config{RPID: host, Origins: []string{origin}}
}

// Ceremonies implements ports.PasskeyCeremonies.
type Ceremonies struct {
	w *webauthn.WebAuthn
}

var _ ports.PasskeyCeremonies = (*Ceremonies)(nil)

// New returns the ceremonies of the relying party cfg, or an error when cfg is not one a
// browser accepts (no id, no origins, an origin that is not an address).
func New(cfg Config) (*Ceremonies, error) {
	if cfg.Name == "" {
		cfg.Name = "Herald"
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.Name,
		RPOrigins:     cfg.Origins,
		// Passkeys count as a second factor, so the authenticator must check the person.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Ceremonies{w: w}, nil
}

// user is a person as the library sees them, with the passkeys it may check.
type user struct {
	handle      []byte
	name, shown string
	creds       []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return u.handle }
func (u user) WebAuthnName() string                       { return u.name }
func (u user) WebAuthnDisplayName() string                { return u.shown }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// handleOf is the user handle of a person: the 16 bytes of their id, which says nothing
// about them.
func handleOf(id domain.UserID) []byte {
	u, err := uuid.Parse(string(id))
	if err != nil {
		return []byte(id)
	}
	return u[:]
}

func credentialOf(p domain.Passkey) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: p.CredentialID, PublicKey: p.PublicKey, AttestationFormat: p.Attestation, Transport: transports,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: p.UserVerified,
			BackupEligible: p.BackupEligible, BackupState: p.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
}

func newUser(u ports.PasskeyUser, existing []domain.Passkey) user {
	out := user{handle: handleOf(u.ID), name: u.Name, shown: u.DisplayName}
	for _, p := range existing {
		out.creds = append(out.creds, credentialOf(p))
	}
	return out
}

// BeginRegistration implements ports.PasskeyCeremonies.
func (c *Ceremonies) BeginRegistration(u ports.PasskeyUser, existing []domain.Passkey) ([]byte, []byte, error) {
	wu := newUser(u, existing)
	creation, session, err := c.w.BeginRegistration(wu, webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	if err != nil {
		return nil, nil, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return marshalBoth(creation, session)
}

// FinishRegistration implements ports.PasskeyCeremonies.
func (c *Ceremonies) FinishRegistration(u ports.PasskeyUser, existing []domain.Passkey, state, response []byte) (domain.Passkey, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return domain.Passkey{}, fmt.Errorf("passkey: read state: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return domain.Passkey{}, unreadable(err)
	}
	cred, err := c.w.CreateCredential(newUser(u, existing), session, parsed)
	if err != nil {
		return domain.Passkey{}, refused("The passkey could not be verified; try adding it again.", err)
	}
	p := domain.Passkey{UserID: u.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		AAGUID: cred.Authenticator.AAGUID, Attestation: cred.AttestationFormat, UserVerified: cred.Flags.UserVerified,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	return p, nil
}

// BeginLogin implements ports.PasskeyCeremonies.
func (c *Ceremonies) BeginLogin() ([]byte, []byte, error) {
	assertion, session, err := c.w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, nil, fmt.Errorf("passkey: begin login: %w", err)
	}
	return marshalBoth(assertion, session)
}

// FinishLogin implements ports.PasskeyCeremonies.
func (c *Ceremonies) FinishLogin(state, response []byte, find func(credentialID []byte) (domain.Passkey, error)) (domain.Passkey, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return domain.Passkey{}, fmt.Errorf("passkey: read state: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return domain.Passkey{}, unreadable(err)
	}
	var found domain.Passkey
	var findErr error
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		found, findErr = find(rawID)
		if findErr != nil {
			return nil, findErr
		}
		// The library checks that the user handle the authenticator sent is this
		// passkey's person: a passkey answering for someone else is refused.
		return user{handle: handleOf(found.UserID), creds: []webauthn.Credential{credentialOf(found)}}, nil
	}
	_, cred, err := c.w.ValidatePasskeyLogin(handler, session, parsed)
	if findErr != nil {
		if domain.CodeOf(findErr) == domain.CodeNotFound {
			return domain.Passkey{}, refused("That passkey is not registered with Herald.", findErr)
		}
		return domain.Passkey{}, findErr
	}
	if err != nil {
		return domain.Passkey{}, refused("The passkey could not be verified; try again.", err)
	}
	if !bytes.Equal(cred.ID, found.CredentialID) {
		return domain.Passkey{}, refused("The passkey could not be verified; try again.", errors.New("passkey: another credential was verified"))
	}
	if cred.Authenticator.CloneWarning {
		// The counter did not advance: a copy of the key may be in use somewhere else.
		return domain.Passkey{}, refused("This passkey's counter went backwards, so it may have been copied. Sign in another way and replace it.",
			fmt.Errorf("passkey: sign count %d after %d", parsed.Response.AuthenticatorData.Counter, found.SignCount))
	}
	found.SignCount = cred.Authenticator.SignCount
	found.UserVerified = found.UserVerified || parsed.Response.AuthenticatorData.Flags.HasUserVerified()
	found.BackupState = cred.Flags.BackupState
	return found, nil
}

func marshalBoth(options, session any) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fmt.Errorf("passkey: options: %w", err)
	}
	s, err := json.Marshal(session)
	if err != nil {
		return nil, nil, fmt.Errorf("passkey: state: %w", err)
	}
	return o, s, nil
}

// unreadable is a response that is not a WebAuthn credential at all.
func unreadable(err error) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: "The passkey's answer could not be read.",
		Fields: map[string]string{"credential": "is not a WebAuthn credential this ceremony can read"}, Err: detail(err)}
}

// refused is a response that does not prove what it must.
func refused(message string, err error) error {
	return &domain.Error{Code: domain.CodeUnauthenticated, Message: message, Err: detail(err)}
}

// detail keeps the library's explanation (its Details and DevInfo) for the log.
func detail(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("passkey: %s: %s (%s): %w", pe.Type, pe.Details, strings.TrimSpace(pe.DevInfo), err)
	}
	return fmt.Errorf("passkey: %w", err)
}
