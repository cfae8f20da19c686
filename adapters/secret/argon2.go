// Package secret keeps Herald's secrets: it hashes passwords (argon2id) and seals platform
// tokens and webhook secrets under a ring of AES-256-GCM keys (KeyRing). It is named so it
// does not shadow the standard library's crypto, and imports ports and golang.org/x/crypto only.
package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/heraldhq/herald/ports"
)

// Argon2id hashes passwords with argon2id, encoded in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so parameters can change later while old
// hashes still verify.
type Argon2id struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

var _ ports.PasswordHasher = Argon2id{}

// DefaultArgon2id follows OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
var DefaultArgon2id = Argon2id{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hash implements ports.PasswordHasher.
func (a Argon2id) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secret: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, a.Time, a.Memory, a.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.Memory, a.Time, a.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// ErrMalformedHash is returned by Verify for a string Hash did not produce.
var ErrMalformedHash = errors.New("secret: malformed argon2id hash")

// Verify implements ports.PasswordHasher, in constant time for the comparison.
func (a Argon2id) Verify(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil || threads == 0 || time == 0 {
		return false, ErrMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformedHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
