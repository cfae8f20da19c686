package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldhq/herald/ports"
)

// KeyFile is the name of the development key file LoadKeyRing keeps in the data directory.
const KeyFile = "encryption-keys"

const (
	ringKeyLen     = 32 // AES-256
	maxKeyIDLen    = 32 // shorter than any base64 key, so an id in an error is never a pasted key
	sealVersion    = 1
	keySpecExample = "k1:$(openssl rand -base64 32)"
)

// Errors returned by KeyRing.Open, wrapped with the key id when one is known.
var (
	ErrMalformedCiphertext = errors.New("secret: malformed ciphertext")
	ErrUnknownKey          = errors.New("secret: ciphertext sealed under a key the ring does not hold")
	ErrOpen                = errors.New("secret: ciphertext does not authenticate (wrong additional data, wrong key, or damaged)")
)

// KeyRing encrypts secrets at rest with AES-256-GCM under named keys: it seals under its
// active key and opens under any of its keys, so old keys keep working during a rotation.
// A ciphertext is
//
//	version (1 byte, 1) | len(id) (1 byte) | id | nonce (12 bytes) | sealed data and tag (16 bytes)
//
// and its header (version, length and id) is authenticated along with the caller's aad.
// Nonces are random, so one key must seal fewer than 2^32 messages. A KeyRing is immutable
// and safe for concurrent use; build one with ParseKeyRing or LoadKeyRing.
type KeyRing struct {
	active string
	ids    []string // active first, then the spec's order
	aeads  map[string]cipher.AEAD
	// derive is the root of the keys derived from the active key (DerivedKey): an HMAC of
	// it, so the encryption key itself is never used for anything else.
	derive []byte
}

var _ ports.TokenCipher = (*KeyRing)(nil)

// ParseKeyRing reads a key ring from the HERALD_ENCRYPTION_KEYS format: entries
// "id:base64key" separated by commas (or newlines), where the key is 32 bytes in standard or
// URL-safe base64, padded or not, and the id uses only A-Z, a-z, 0-9, '.', '_' and '-'. The
// first entry is the active key. Errors name the entry's id or position, never a key.
func ParseKeyRing(spec string) (*KeyRing, error) {
	k, err := parseKeyRing(spec)
	if err != nil {
		return nil, fmt.Errorf("secret: encryption keys: %w", err)
	}
	return k, nil
}

func parseKeyRing(spec string) (*KeyRing, error) {
	k := &KeyRing{aeads: map[string]cipher.AEAD{}}
	entries := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	n := 0
	for _, entry := range entries {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("entry %d is not id:base64key", n)
		}
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if err := checkKeyID(id); err != nil {
			return nil, fmt.Errorf("entry %d: %w", n, err)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("key id %q appears more than once", id)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		aead, err := newAEAD(key)
		if n == 1 {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte("herald derived keys v1"))
			k.derive = mac.Sum(nil)
		}
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	if n == 0 {
		return nil, fmt.Errorf("no keys; want id:base64key entries separated by commas, e.g. %s", keySpecExample)
	}
	k.active = k.ids[0]
	return k, nil
}

// checkKeyID returns an error for an id that cannot name a key. It quotes the id only once
// its length rules out a base64 key pasted in the wrong place.
func checkKeyID(id string) error {
	switch {
	case id == "":
		return errors.New("empty key id")
	case len(id) > maxKeyIDLen:
		return fmt.Errorf("key id is longer than %d characters", maxKeyIDLen)
	}
	for _, c := range []byte(id) {
		if !keyIDByte(c) {
			return fmt.Errorf("key id %q may use only A-Z, a-z, 0-9, '.', '_' and '-'", id)
		}
	}
	return nil
}

func keyIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// decodeKey accepts standard or URL-safe base64, with or without padding. Its errors hold
// no part of the key.
func decodeKey(encoded string) ([]byte, error) {
	s := strings.TrimRight(encoded, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	key, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("key is not valid base64")
	}
	if len(key) != ringKeyLen {
		clear(key)
		return nil, fmt.Errorf("key is %d bytes, want %d (e.g. openssl rand -base64 32)", len(key), ringKeyLen)
	}
	return key, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// LoadKeyRing returns the key ring Herald runs with. A non-empty spec (HERALD_ENCRYPTION_KEYS)
// is parsed with ParseKeyRing. Without one, production is refused with an error explaining
// how to make a key; development reads dataDir/encryption-keys (same format), creating it
// with one new random key (mode 0600, dataDir 0700) when it does not exist, and then returns
// its path as generatedPath so the caller can warn that a development key is in use. A
// malformed file is an error naming the file.
func LoadKeyRing(spec, dataDir string, production bool) (ring *KeyRing, generatedPath string, err error) {
	if strings.TrimSpace(spec) != "" {
		ring, err := ParseKeyRing(spec)
		return ring, "", err
	}
	if production {
		return nil, "", fmt.Errorf("secret: HERALD_ENCRYPTION_KEYS is required in production: set it to id:base64key, "+
			"a 32-byte key in base64, e.g. HERALD_ENCRYPTION_KEYS=%s (keep old keys after the first entry while rotating)", keySpecExample)
	}
	if dataDir == "" {
		return nil, "", errors.New("secret: HERALD_ENCRYPTION_KEYS is unset and there is no data directory to keep a development key in")
	}
	path := filepath.Join(dataDir, KeyFile)
	ring, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return ring, "", err
	}
	created, err := createKeyFile(dataDir, path)
	if err != nil {
		return nil, "", err
	}
	ring, err = readKeyFile(path)
	if err != nil || !created {
		return ring, "", err
	}
	return ring, path, nil
}

// readKeyFile returns the ring in path, or an error wrapping fs.ErrNotExist when it is absent.
func readKeyFile(path string) (*KeyRing, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret: encryption key file: %w", err)
	}
	ring, err := parseKeyRing(string(b))
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("secret: encryption key file %s: %w", path, err)
	}
	return ring, nil
}

// createKeyFile writes a new development key to path, unless the file appeared meanwhile
// (another Herald starting on the same data directory), in which case it reports false.
func createKeyFile(dataDir, path string) (created bool, err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return false, fmt.Errorf("secret: development key: %w", err)
	}
	spec, err := GenerateKeySpec("dev-" + time.Now().UTC().Format("20060102"))
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("secret: development key: %w", err)
	}
	_, err = f.WriteString(spec + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written key file would stop every later start
		return false, fmt.Errorf("secret: development key: %w", err)
	}
	return true, nil
}

// GenerateKeySpec returns a new key ring entry "id:base64key" holding 32 random bytes in
// padded standard base64, for an operator to add to HERALD_ENCRYPTION_KEYS. It returns an
// error for an id ParseKeyRing would refuse.
func GenerateKeySpec(id string) (string, error) {
	if err := checkKeyID(id); err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	key := make([]byte, ringKeyLen)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("secret: new key: %w", err)
	}
	spec := id + ":" + base64.StdEncoding.EncodeToString(key)
	clear(key)
	return spec, nil
}

// DerivedKey returns a 32-byte key for purpose (such as "media addresses"), derived from
// the active key with HMAC-SHA256: the same ring gives the same key, another purpose or
// another active key a different one.
func (k *KeyRing) DerivedKey(purpose string) []byte {
	mac := hmac.New(sha256.New, k.derive)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// ActiveID returns the id of the key Seal uses.
func (k *KeyRing) ActiveID() string { return k.active }

// IDs returns the ids of every key in the ring, the active one first.
func (k *KeyRing) IDs() []string { return append([]string(nil), k.ids...) }

// String names the ring's keys so that printing a KeyRing never shows key material.
func (k *KeyRing) String() string {
	return fmt.Sprintf("KeyRing(active=%s, keys=%s)", k.active, strings.Join(k.ids, ","))
}

// GoString is String, for %#v.
func (k *KeyRing) GoString() string { return k.String() }

// Seal implements ports.TokenCipher: it encrypts plaintext under the active key, bound to
// aad. It fails only for a ring without keys.
func (k *KeyRing) Seal(plaintext, aad []byte) ([]byte, error) {
	aead, ok := k.aeads[k.active]
	if !ok {
		return nil, errors.New("secret: seal: the key ring is empty")
	}
	out := make([]byte, 0, 2+len(k.active)+aead.Overhead()+len(plaintext))
	out = append(out, sealVersion, byte(len(k.active)))
	out = append(out, k.active...)
	return aead.Seal(out, nil, plaintext, additionalData(out, aad)), nil
}

// Open implements ports.TokenCipher: it decrypts ciphertext under the key it names. It
// returns ErrMalformedCiphertext for bytes Seal did not produce, ErrUnknownKey (naming the
// key) when the ring lacks the key, and ErrOpen for wrong aad, a wrong key or damage.
func (k *KeyRing) Open(ciphertext, aad []byte) ([]byte, error) {
	id, rest, err := splitHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: key %q (the ring holds %s)", ErrUnknownKey, id, strings.Join(k.ids, ", "))
	}
	header := ciphertext[:len(ciphertext)-len(rest)]
	plaintext, err := aead.Open(nil, nil, rest, additionalData(header, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: key %q", ErrOpen, id)
	}
	return plaintext, nil
}

// Stale implements ports.TokenCipher: it reports whether ciphertext names a key other than
// the active one, so a rotation sweep re-seals it. Empty ciphertext (no secret stored) is
// not stale; bytes Seal did not produce are, so the sweep's Open reports them.
func (k *KeyRing) Stale(ciphertext []byte) bool {
	if len(ciphertext) == 0 {
		return false
	}
	id, _, err := splitHeader(ciphertext)
	return err != nil || id != k.active
}

// splitHeader returns the key id a ciphertext names and what follows the header.
func splitHeader(ciphertext []byte) (id string, rest []byte, err error) {
	if len(ciphertext) < 2 || ciphertext[0] != sealVersion {
		return "", nil, ErrMalformedCiphertext
	}
	n := int(ciphertext[1])
	if n == 0 || n > maxKeyIDLen || len(ciphertext) < 2+n {
		return "", nil, ErrMalformedCiphertext
	}
	idBytes := ciphertext[2 : 2+n]
	for _, c := range idBytes {
		if !keyIDByte(c) {
			return "", nil, ErrMalformedCiphertext
		}
	}
	return string(idBytes), ciphertext[2+n:], nil
}

// additionalData authenticates the header with the caller's aad; the header has its own
// length, so the two cannot be confused. It is a fresh slice: AEAD forbids it to overlap dst.
func additionalData(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}
