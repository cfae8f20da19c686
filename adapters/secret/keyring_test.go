package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// newRing returns a ring of fresh random keys with the given ids, the first active, and the
// spec it was parsed from.
func newRing(t testing.TB, ids ...string) (*KeyRing, string) {
	t.Helper()
	var entries []string
	for _, id := range ids {
		e, err := GenerateKeySpec(id)
		if err != nil {
			t.Fatalf("GenerateKeySpec(%q): %v", id, err)
		}
		entries = append(entries, e)
	}
	spec := strings.Join(entries, ",")
	ring, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return ring, spec
}

func mustParse(t *testing.T, spec string) *KeyRing {
	t.Helper()
	ring, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return ring
}

func mustSeal(t *testing.T, ring *KeyRing, plaintext, aad []byte) []byte {
	t.Helper()
	ct, err := ring.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return ct
}

var rowAAD = []byte("herald/v1|account|company-1|account-1|access_token")

func TestKeyRing_RoundTrip(t *testing.T) {
	t.Parallel()
	ring, _ := newRing(t, "2026-11", "k1")
	for _, tc := range []struct {
		name           string
		plaintext, aad []byte
	}{
		{"token with aad", []byte("ya29.a0AfH6SMB-access-token"), rowAAD},
		{"no aad", []byte("refresh-token"), nil},
		{"empty plaintext", []byte{}, rowAAD},
		{"large plaintext", bytes.Repeat([]byte{0xA5}, 64<<10), rowAAD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct := mustSeal(t, ring, tc.plaintext, tc.aad)
			wantHeader := append([]byte{1, byte(len("2026-11"))}, "2026-11"...)
			if !bytes.HasPrefix(ct, wantHeader) {
				t.Errorf("ciphertext starts % x, want header % x", ct[:min(len(ct), len(wantHeader))], wantHeader)
			}
			if want := len(wantHeader) + 12 + len(tc.plaintext) + 16; len(ct) != want {
				t.Errorf("len(ciphertext) = %d, want %d (header, nonce, data, tag)", len(ct), want)
			}
			if len(tc.plaintext) > 0 && bytes.Contains(ct, tc.plaintext) {
				t.Error("ciphertext contains the plaintext")
			}
			got, err := ring.Open(ct, tc.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("Open = %.40q, want %.40q", got, tc.plaintext)
			}
			if again := mustSeal(t, ring, tc.plaintext, tc.aad); bytes.Equal(again, ct) {
				t.Error("sealing twice gave the same ciphertext: the nonce is not random")
			}
		})
	}
}

func TestKeyRing_OpenRejectsOtherAAD(t *testing.T) {
	t.Parallel()
	ring, _ := newRing(t, "k1")
	ct := mustSeal(t, ring, []byte("secret"), rowAAD)
	for _, tc := range []struct {
		name string
		aad  []byte
	}{
		{"another company's row", []byte("herald/v1|account|company-2|account-1|access_token")},
		{"the refresh token's slot", []byte("herald/v1|account|company-1|account-1|refresh_token")},
		{"truncated", rowAAD[:len(rowAAD)-1]},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ring.Open(ct, tc.aad)
			if !errors.Is(err, ErrOpen) {
				t.Errorf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestKeyRing_OpenRejectsDamage(t *testing.T) {
	t.Parallel()
	// One key under two ids that differ by one bit: a flipped id byte names the same key,
	// which must still fail because the header is authenticated.
	entry, _ := GenerateKeySpec("k1")
	ring := mustParse(t, entry+",k0"+strings.TrimPrefix(entry, "k1"))
	plaintext := []byte("access-token")
	ct := mustSeal(t, ring, plaintext, rowAAD)

	// Every single-bit flip, in the header, the nonce, the data or the tag, must fail.
	for i := range ct {
		for bit := range 8 {
			damaged := bytes.Clone(ct)
			damaged[i] ^= 1 << bit
			if got, err := ring.Open(damaged, rowAAD); err == nil {
				t.Fatalf("Open with byte %d bit %d flipped = %q, nil; want an error", i, bit, got)
			}
		}
	}
	for _, tc := range []struct {
		name    string
		damaged []byte
		want    error
	}{
		{"empty", nil, ErrMalformedCiphertext},
		{"version only", ct[:1], ErrMalformedCiphertext},
		{"id cut short", ct[:3], ErrMalformedCiphertext},
		{"header only", ct[:4], ErrOpen},
		{"tag cut off", ct[:len(ct)-16], ErrOpen},
		{"last byte cut", ct[:len(ct)-1], ErrOpen},
		{"byte appended", append(bytes.Clone(ct), 0), ErrOpen},
		{"unknown version", append([]byte{2}, ct[1:]...), ErrMalformedCiphertext},
	} {
		if got, err := ring.Open(tc.damaged, rowAAD); !errors.Is(err, tc.want) {
			t.Errorf("Open(%s) = %q, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestKeyRing_RotationOpensOldKeyAndReportsStale(t *testing.T) {
	t.Parallel()
	oldEntry, _ := GenerateKeySpec("old")
	newEntry, _ := GenerateKeySpec("new")
	oldRing := mustParse(t, oldEntry)
	rotated := mustParse(t, newEntry+","+oldEntry)

	if got, want := rotated.ActiveID(), "new"; got != want {
		t.Errorf("ActiveID = %q, want %q", got, want)
	}
	if got := strings.Join(rotated.IDs(), ","); got != "new,old" {
		t.Errorf("IDs = %s, want new,old", got)
	}

	fromOld := mustSeal(t, oldRing, []byte("token sealed before the rotation"), rowAAD)
	fromNew := mustSeal(t, rotated, []byte("token sealed after the rotation"), rowAAD)
	got, err := rotated.Open(fromOld, rowAAD)
	if err != nil || string(got) != "token sealed before the rotation" {
		t.Errorf("rotated.Open(old ciphertext) = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		ring *KeyRing
		ct   []byte
		want bool
	}{
		{"rotated ring, old key's ciphertext", rotated, fromOld, true},
		{"rotated ring, its own ciphertext", rotated, fromNew, false},
		{"old ring, its own ciphertext", oldRing, fromOld, false},
		{"old ring, new key's ciphertext", oldRing, fromNew, true},
		{"no secret stored", rotated, nil, false},
		{"garbage, so the sweep's Open reports it", rotated, []byte("not sealed"), true},
	} {
		if got := tc.ring.Stale(tc.ct); got != tc.want {
			t.Errorf("Stale(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestKeyRing_OpenWithoutTheKeyNamesIt(t *testing.T) {
	t.Parallel()
	retired, _ := newRing(t, "2026-01")
	current, _ := newRing(t, "2026-11")
	ct := mustSeal(t, retired, []byte("secret"), rowAAD)

	got, err := current.Open(ct, rowAAD)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open = %q, %v; want ErrUnknownKey", got, err)
	}
	if !strings.Contains(err.Error(), `"2026-01"`) {
		t.Errorf("error %q does not name the missing key 2026-01", err)
	}

	// Same id, different key material (a lost and regenerated key): authentication fails.
	impostor, _ := newRing(t, "2026-01")
	if got, err := impostor.Open(ct, rowAAD); !errors.Is(err, ErrOpen) {
		t.Errorf("Open under another key with the same id = %q, %v; want ErrOpen", got, err)
	}
}

func TestKeyRing_EmptyRingCannotSeal(t *testing.T) {
	t.Parallel()
	var ring KeyRing
	if ct, err := ring.Seal([]byte("x"), nil); err == nil {
		t.Errorf("Seal on a zero KeyRing = % x, nil; want an error", ct)
	}
}

func TestKeyRing_PrintingShowsNoKeys(t *testing.T) {
	t.Parallel()
	ring, spec := newRing(t, "k1")
	key := strings.TrimPrefix(spec, "k1:")
	for _, s := range []string{ring.String(), ring.GoString()} {
		if strings.Contains(s, key) || !strings.Contains(s, "k1") {
			t.Errorf("printed ring %q: want the id and no key", s)
		}
	}
}

// A 32-byte key whose base64 uses '+' and '/' (standard) or '-' and '_' (URL-safe).
var key32 = append(bytes.Repeat([]byte{0xfb, 0xff}, 15), 0xfe, 0x01)

func TestParseKeyRing_AcceptsEveryBase64Form(t *testing.T) {
	t.Parallel()
	reference := mustParse(t, "k1:"+base64.StdEncoding.EncodeToString(key32))
	ct := mustSeal(t, reference, []byte("secret"), rowAAD)
	for _, tc := range []struct {
		name, spec string
		wantIDs    string
	}{
		{"standard padded", "k1:" + base64.StdEncoding.EncodeToString(key32), "k1"},
		{"standard unpadded", "k1:" + base64.RawStdEncoding.EncodeToString(key32), "k1"},
		{"url-safe padded", "k1:" + base64.URLEncoding.EncodeToString(key32), "k1"},
		{"url-safe unpadded", "k1:" + base64.RawURLEncoding.EncodeToString(key32), "k1"},
		{"spaces and a trailing newline", " k1 : " + base64.StdEncoding.EncodeToString(key32) + " ,\n", "k1"},
		{"second of two, newline-separated", "k.2_x-Y:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) +
			"\nk1:" + base64.RawURLEncoding.EncodeToString(key32) + "\n", "k.2_x-Y,k1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ring := mustParse(t, tc.spec)
			if got := strings.Join(ring.IDs(), ","); got != tc.wantIDs {
				t.Errorf("IDs = %s, want %s", got, tc.wantIDs)
			}
			if got, err := ring.Open(ct, rowAAD); err != nil || string(got) != "secret" {
				t.Errorf("Open = %q, %v; want the same key as the standard encoding", got, err)
			}
		})
	}
}

func TestParseKeyRing_Errors(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(key32)
	short := base64.StdEncoding.EncodeToString(key32[:16])
	long := base64.StdEncoding.EncodeToString(append(bytes.Clone(key32), 7))
	for _, tc := range []struct {
		name, spec string
		want       string // the error must contain this (the id, or the entry's position)
	}{
		{"empty", "", "no keys"},
		{"only separators", " , ,\n", "no keys"},
		{"no colon", good, "entry 1 is not id:base64key"},
		{"empty id", ":" + good, "entry 1: empty key id"},
		{"empty id in second entry", "k1:" + good + ", :" + good, "entry 2: empty key id"},
		{"space in id", "k 1:" + good, `"k 1" may use only`},
		{"slash in id", "k/1:" + good, `"k/1" may use only`},
		{"id too long", strings.Repeat("k", 33) + ":" + good, "entry 1: key id is longer than 32"},
		{"key where the id goes", good + ":k1", "entry 1: key id is longer than 32"},
		{"duplicate id", "k1:" + good + ",k2:" + good + ",k1:" + good, `"k1" appears more than once`},
		{"key too short", "k1:" + good + ",old:" + short, `key "old": key is 16 bytes, want 32`},
		{"key too long", "k1:" + long, `key "k1": key is 33 bytes, want 32`},
		{"empty key", "k1:", `key "k1": key is 0 bytes`},
		{"bad base64", "k1:" + good[:20] + "*" + good[21:], `key "k1": key is not valid base64`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ring, err := ParseKeyRing(tc.spec)
			if err == nil {
				t.Fatalf("ParseKeyRing = %v, nil; want an error containing %q", ring, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			for _, secret := range []string{good, short, long, good[:20], good[21:]} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows key material", err)
				}
			}
		})
	}
}

func TestGenerateKeySpec(t *testing.T) {
	t.Parallel()
	a, err := GenerateKeySpec("2026-11")
	if err != nil {
		t.Fatalf("GenerateKeySpec: %v", err)
	}
	b, _ := GenerateKeySpec("2026-11")
	if a == b {
		t.Error("two generated keys are equal")
	}
	id, encoded, _ := strings.Cut(a, ":")
	if key, err := base64.StdEncoding.DecodeString(encoded); id != "2026-11" || err != nil || len(key) != 32 {
		t.Errorf("GenerateKeySpec = %q: want 2026-11:<padded base64 of 32 bytes>", a)
	}
	if ring := mustParse(t, a); ring.ActiveID() != "2026-11" {
		t.Errorf("ActiveID = %q", ring.ActiveID())
	}
	for _, bad := range []string{"", "k 1", "k:1", strings.Repeat("x", 33)} {
		if spec, err := GenerateKeySpec(bad); err == nil {
			t.Errorf("GenerateKeySpec(%q) = %q, nil; want an error", bad, spec)
		}
	}
}

func TestLoadKeyRing_ProductionRequiresTheVariable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ring, path, err := LoadKeyRing("  ", dir, true)
	if err == nil {
		t.Fatalf("LoadKeyRing = %v, %q, nil; want an error", ring, path)
	}
	for _, want := range []string{"HERALD_ENCRYPTION_KEYS is required in production", "openssl rand -base64 32", "id:base64"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("production wrote a development key file (stat: %v)", err)
	}

	spec, _ := GenerateKeySpec("prod-1")
	ring, path, err = LoadKeyRing(spec, dir, true)
	if err != nil || path != "" || ring.ActiveID() != "prod-1" {
		t.Errorf("LoadKeyRing(spec, production) = %v, %q, %v; want the spec's ring", ring, path, err)
	}
}

func TestLoadKeyRing_DevelopmentGeneratesThenReusesAKey(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data", "herald")

	first, generated, err := LoadKeyRing("", dataDir, false)
	if err != nil {
		t.Fatalf("first LoadKeyRing: %v", err)
	}
	wantPath := filepath.Join(dataDir, KeyFile)
	if generated != wantPath {
		t.Errorf("generatedPath = %q, want %q", generated, wantPath)
	}
	if id := first.ActiveID(); !strings.HasPrefix(id, "dev-") || len(id) != len("dev-20260102") {
		t.Errorf("ActiveID = %q, want dev-<yyyymmdd>", id)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{wantPath: 0o600, dataDir: 0o700} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %v, want %v", path, got, want)
			}
		}
	}
	ct := mustSeal(t, first, []byte("secret"), rowAAD)

	second, generated, err := LoadKeyRing("", dataDir, false)
	if err != nil {
		t.Fatalf("second LoadKeyRing: %v", err)
	}
	if generated != "" {
		t.Errorf("second generatedPath = %q, want empty (the key already existed)", generated)
	}
	if got, err := second.Open(ct, rowAAD); err != nil || string(got) != "secret" || second.Stale(ct) {
		t.Errorf("second ring: Open = %q, %v, Stale = %v; want the same key", got, err, second.Stale(ct))
	}

	// A spec always wins over the file.
	spec, _ := GenerateKeySpec("env")
	if ring, _, err := LoadKeyRing(spec, dataDir, false); err != nil || ring.ActiveID() != "env" {
		t.Errorf("LoadKeyRing(spec, dev) = %v, %v; want the spec's ring", ring, err)
	}
}

func TestLoadKeyRing_DevelopmentFile(t *testing.T) {
	t.Parallel()
	good, _ := GenerateKeySpec("mine")
	for _, tc := range []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr string // "" for success
	}{
		{"operator's own file", good + "\n", 0o600, ""},
		{"group and other readable still loads", good, 0o644, ""},
		{"malformed", "mine=" + strings.TrimPrefix(good, "mine:"), 0o600, "entry 1 is not id:base64key"},
		{"empty", "\n", 0o600, "no keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFile)
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			ring, generated, err := LoadKeyRing("", dir, false)
			if tc.wantErr == "" {
				if err != nil || generated != "" || ring.ActiveID() != "mine" {
					t.Errorf("LoadKeyRing = %v, %q, %v; want the file's ring, not a new key", ring, generated, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadKeyRing = %v, %q, nil; want an error", ring, generated)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q: want the file %s and %q", err, path, tc.wantErr)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(good, "mine:")) {
				t.Errorf("error %q shows key material", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Error("LoadKeyRing replaced a malformed key file")
			}
		})
	}
}

func BenchmarkSealOpen(b *testing.B) {
	ring, _ := newRing(b, "2026-11", "2026-01")
	token := bytes.Repeat([]byte("t"), 256) // an OAuth access token is typically 100-2,000 bytes
	b.SetBytes(int64(len(token)))
	b.ReportAllocs()
	for b.Loop() {
		ct, err := ring.Seal(token, rowAAD)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ring.Open(ct, rowAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeyRing_DerivedKey(t *testing.T) {
	t.Parallel()
	ring, spec := newRing(t, "k1", "k0")
	again, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	a := ring.DerivedKey("media addresses")
	if len(a) != 32 || !bytes.Equal(a, again.DerivedKey("media addresses")) {
		t.Fatalf("the same ring derives %x and %x", a, again.DerivedKey("media addresses"))
	}
	if bytes.Equal(a, ring.DerivedKey("something else")) {
		t.Error("two purposes derive the same key")
	}
	other, _ := newRing(t, "k1")
	if bytes.Equal(a, other.DerivedKey("media addresses")) {
		t.Error("another active key derives the same key")
	}
	if strings.Contains(ring.String(), base64.StdEncoding.EncodeToString(a)) {
		t.Error("the derived key is printed")
	}
}
