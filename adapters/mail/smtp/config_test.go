package smtp

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	tests := []struct {
		name     string
		url      string
		from     string
		want     Config
		ok       bool
		problems []string // each must be in the error
	}{
		{name: "NothingSetIsOff"},
		{name: "STARTTLSByDefault", url: "smtp://ana:s3cret@mail.example.com", from: "Herald <herald@example.com>", ok: true,
			want: Config{Host: "mail.example.com", Port: "587", Security: StartTLS, Username: "ana", Password: "s3cret"}},
		{name: "ImplicitTLS", url: "smtps://ana:s3cret@mail.example.com:2465", from: "herald@example.com", ok: true,
			want: Config{Host: "mail.example.com", Port: "2465", Security: ImplicitTLS, Username: "ana", Password: "s3cret"}},
		{name: "PlainForLocalServer", url: "smtp://127.0.0.1:1025?tls=none", from: "herald@example.com", ok: true,
			want: Config{Host: "127.0.0.1", Port: "1025", Security: NoTLS}},
		{name: "FromWithoutURL", from: "herald@example.com", problems: []string{"HERALD_SMTP_FROM", "HERALD_SMTP_URL is not"}},
		{name: "URLWithoutFrom", url: "smtp://mail.example.com", problems: []string{"HERALD_SMTP_FROM: must be set"}},
		{name: "BadFrom", url: "smtp://mail.example.com", from: "not an address", problems: []string{"HERALD_SMTP_FROM: must be an address"}},
		{name: "CredentialsInClear", url: "smtp://ana:s3cret@127.0.0.1:1025?tls=none", from: "h@example.com", problems: []string{"in clear"}},
		{name: "WrongScheme", url: "http://mail.example.com", from: "h@example.com", problems: []string{"smtp://"}},
		{name: "BadPort", url: "smtp://mail.example.com:99999", from: "h@example.com", problems: []string{"invalid port"}},
		{name: "UnknownParameter", url: "smtp://mail.example.com?tls=maybe", from: "h@example.com", problems: []string{"tls must be none"}},
		{name: "ImplicitTLSWithoutTLS", url: "smtps://mail.example.com?tls=none", from: "h@example.com", problems: []string{"always uses TLS"}},
		{name: "Unparsable", url: "smtp://ana:s3cret@mail example.com:%zz", from: "h@example.com", problems: []string{"HERALD_SMTP_URL: must be a URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := ParseConfig(env(map[string]string{"HERALD_SMTP_URL": tt.url, "HERALD_SMTP_FROM": tt.from}))
			if len(tt.problems) > 0 {
				if err == nil {
					t.Fatalf("ParseConfig(%q, %q) = %+v, nil; want an error", tt.url, tt.from, got)
				}
				for _, p := range tt.problems {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("error %q does not say %q", err, p)
					}
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil || ok != tt.ok {
				t.Fatalf("ParseConfig(%q, %q) = %v, %v; want ok %v", tt.url, tt.from, ok, err, tt.ok)
			}
			got.From.Name, got.From.Address = "", ""
			if got != tt.want {
				t.Errorf("ParseConfig(%q) = %+v, want %+v", tt.url, got, tt.want)
			}
		})
	}
}

func TestConfig_StringHidesThePassword(t *testing.T) {
	t.Parallel()
	c, err := ParseURL("smtps://ana:s3cret@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "s3cret") || s != "smtps://ana@mail.example.com:465" {
		t.Errorf("String() = %q, want smtps://ana@mail.example.com:465", s)
	}
}
