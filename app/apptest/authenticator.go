package apptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// PasskeyRPID and PasskeyOrigin are the relying party apptest's app runs passkeys as.
const (
	PasskeyRPID   = "herald.test"
	PasskeyOrigin = "https://herald.test"
)

// Authenticator is a software WebAuthn authenticator for tests: ECDSA P-256 keys,
// attestation "none", user presence and verification always given. It answers the options
// Herald's ceremonies give out with what a browser would send back, and its fields let a
// test make an answer wrong in one way.
type Authenticator struct {
	// Origin is written into the client data; RPID is hashed into the authenticator data.
	Origin, RPID string
}

// NewAuthenticator returns an authenticator for apptest's relying party.
func NewAuthenticator() *Authenticator {
	return &Authenticator{Origin: PasskeyOrigin, RPID: PasskeyRPID}
}

// SoftPasskey is a credential an Authenticator made: its key, the user handle it was made
// for, and its signature counter (Get adds one before signing; a test may set it back).
type SoftPasskey struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	UserHandle []byte
	Counter    uint32
}

var b64 = base64.RawURLEncoding

type publicKeyOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

// Create answers creation options as navigator.credentials.create would, and returns the
// answer (the JSON of a PublicKeyCredential) and the new passkey.
func (a *Authenticator) Create(options []byte) ([]byte, *SoftPasskey, error) {
	var o publicKeyOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, fmt.Errorf("authenticator: options: %w", err)
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("authenticator: user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	p := &SoftPasskey{ID: make([]byte, 32), Key: key, UserHandle: handle}
	if _, err := rand.Read(p.ID); err != nil {
		return nil, nil, err
	}
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	point := pub.Bytes() // 0x04 | X | Y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: point[1:33], -3: point[33:65]})
	if err != nil {
		return nil, nil, err
	}
	auth := a.authData(0x01|0x04|0x40, p.Counter) // UP, UV, attested credential data
	auth = append(auth, make([]byte, 16)...)      // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(p.ID)))
	auth = append(auth, p.ID...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	client := a.clientData("webauthn.create", o.PublicKey.Challenge)
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(p.ID), "rawId": b64.EncodeToString(p.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(client), "attestationObject": b64.EncodeToString(att),
			"transports": []string{"internal"}},
	})
	return out, p, err
}

// Get answers request options with an assertion by p, as navigator.credentials.get would:
// the counter goes up by one, and the user handle is p's.
func (a *Authenticator) Get(options []byte, p *SoftPasskey) ([]byte, error) {
	var o publicKeyOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("authenticator: options: %w", err)
	}
	p.Counter++
	auth := a.authData(0x01|0x04, p.Counter)
	client := a.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(p.ID), "rawId": b64.EncodeToString(p.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(client), "authenticatorData": b64.EncodeToString(auth),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(p.UserHandle)},
	})
}

func (a *Authenticator) authData(flags byte, counter uint32) []byte {
	rp := sha256.Sum256([]byte(a.RPID))
	out := append(rp[:], flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}
