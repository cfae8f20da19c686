package totp

import (
	"bytes"
	"image/png"
	"net/url"
	"testing"
	"time"
)

// TestCode_RFC6238Vectors checks codes against RFC 6238 appendix B (SHA-1), cut to 6 digits.
func TestCode_RFC6238Vectors(t *testing.T) {
	t.Parallel()
	secret := b32.EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		got, err := Generator{}.Code(secret, time.Unix(unix, 0))
		if err != nil || got != want {
			t.Errorf("Code at %d = %q, %v; want %s", unix, got, err, want)
		}
	}
}

func TestSecretURLAndQRCode(t *testing.T) {
	t.Parallel()
	g := Generator{}
	secret, err := g.NewSecret()
	if err != nil || len(secret) != 32 {
		t.Fatalf("NewSecret = %q, %v; want 32 base32 characters (160 bits)", secret, err)
	}
	if other, _ := g.NewSecret(); other == secret {
		t.Fatal("two secrets are equal")
	}
	raw, err := g.URL("Herald", "ada@example.com", secret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Herald" ||
		u.Query().Get("digits") != "6" || u.Query().Get("period") != "30" || u.Query().Get("algorithm") != "SHA1" {
		t.Fatalf("URL = %q", raw)
	}
	if _, err := g.URL("Herald", "ada@example.com", "not base32!"); err == nil {
		t.Fatal("a secret that is not base32 made a URL")
	}
	b, err := g.QRCode(raw, 240)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 240 || img.Bounds().Dy() != 240 {
		t.Fatalf("QR code: %v, %v", img.Bounds(), err)
	}
}
