package passkey_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/heraldhq/herald/adapters/passkey"
)

func TestConfigFor_TheBaseURLsHostIsTheRelyingParty(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, rpID, origin string
		valid              bool
	}{
		{"https://herald.example.com", "herald.example.com", "https://herald.example.com", true},
		{"https://herald.example.com:443/", "herald.example.com", "https://herald.example.com", true},
		{"https://herald.example.com:8443", "herald.example.com", "https://herald.example.com:8443", true},
		{"http://127.0.0.1:8080", "localhost", "http://localhost:8080", true},
		{"http://[::1]:8080", "localhost", "http://localhost:8080", true},
		{"http://localhost:8080", "localhost", "http://localhost:8080", true},
		// Browsers refuse IP addresses as relying parties: New says so.
		{"http://192.168.1.20:8080", "192.168.1.20", "http://192.168.1.20:8080", false},
	} {
		u, err := url.Parse(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		cfg := passkey.ConfigFor(u)
		if cfg.RPID != tc.rpID || !slices.Equal(cfg.Origins, []string{tc.origin}) {
			t.Errorf("ConfigFor(%s) = %+v, want %s at %s", tc.base, cfg, tc.rpID, tc.origin)
		}
		if _, err := passkey.New(cfg); (err == nil) != tc.valid {
			t.Errorf("New(ConfigFor(%s)) error = %v, want valid %v", tc.base, err, tc.valid)
		}
	}
}
