package linkedin

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()

	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("BothUnsetIsNotConfigured", func(t *testing.T) {
		t.Parallel()
		_, ok, err := ParseConfig(env(nil))
		if ok || err != nil {
			t.Fatalf("ParseConfig(empty) = ok %v, err %v; want false, nil", ok, err)
		}
	})
	t.Run("DefaultsAreProduction", func(t *testing.T) {
		t.Parallel()
		cfg, ok, err := ParseConfig(env(map[string]string{"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s3cret"}))
		if !ok || err != nil {
			t.Fatalf("ParseConfig = ok %v, err %v; want true, nil", ok, err)
		}
		if cfg.APIURL != DefaultAPIURL || cfg.AuthURL != DefaultAuthURL || cfg.TokenURL != DefaultTokenURL || cfg.Version != DefaultVersion {
			t.Errorf("ParseConfig = %+v; want production endpoints and version %s", cfg, DefaultVersion)
		}
		if cfg.ClientID != "id" || cfg.ClientSecret != "s3cret" {
			t.Errorf("credentials = %q, %q", cfg.ClientID, cfg.ClientSecret)
		}
		// Member scopes only: consent with the Community Management scopes fails for apps
		// LinkedIn has not approved for that product.
		if cfg.Organizations || cfg.MediaAllowPrivate || strings.Join(cfg.scopes(), " ") != "openid profile email w_member_social" {
			t.Errorf("Organizations %v, MediaAllowPrivate %v, scopes %q; want off, off and the member scopes", cfg.Organizations, cfg.MediaAllowPrivate, cfg.scopes())
		}
	})
	t.Run("OrganizationsAddTheirScopes", func(t *testing.T) {
		t.Parallel()
		cfg, _, err := ParseConfig(env(map[string]string{"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s",
			"HERALD_LINKEDIN_ORGANIZATIONS": "on", "HERALD_MEDIA_ALLOW_PRIVATE": "on"}))
		if err != nil {
			t.Fatalf("ParseConfig: %v", err)
		}
		want := "openid profile email w_member_social w_organization_social r_organization_social rw_organization_admin"
		if !cfg.Organizations || !cfg.MediaAllowPrivate || strings.Join(cfg.scopes(), " ") != want {
			t.Errorf("Organizations %v, MediaAllowPrivate %v, scopes %q; want on, on and %q", cfg.Organizations, cfg.MediaAllowPrivate, cfg.scopes(), want)
		}
	})
	t.Run("OverridesAreRead", func(t *testing.T) {
		t.Parallel()
		cfg, _, err := ParseConfig(env(map[string]string{
			"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s",
			"HERALD_LINKEDIN_API_URL": "http://127.0.0.1:9000/", "HERALD_LINKEDIN_AUTH_URL": "http://127.0.0.1:9000/auth",
			"HERALD_LINKEDIN_TOKEN_URL": "http://127.0.0.1:9000/token", "HERALD_LINKEDIN_VERSION": "202610",
			"HERALD_LINKEDIN_SCOPES": "openid, profile w_member_social",
		}))
		if err != nil {
			t.Fatalf("ParseConfig: %v", err)
		}
		if strings.Join(cfg.Scopes, " ") != "openid profile w_member_social" {
			t.Errorf("Scopes = %q", cfg.Scopes)
		}
		if cfg.APIURL != "http://127.0.0.1:9000" || cfg.AuthURL != "http://127.0.0.1:9000/auth" || cfg.TokenURL != "http://127.0.0.1:9000/token" || cfg.Version != "202610" {
			t.Errorf("ParseConfig = %+v", cfg)
		}
	})
	for name, vars := range map[string]map[string]string{
		"OnlyIDIsAnError":     {"HERALD_LINKEDIN_CLIENT_ID": "id"},
		"OnlySecretIsAnError": {"HERALD_LINKEDIN_CLIENT_SECRET": "s3cret"},
		"RelativeURLIsAnError": {"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s3cret",
			"HERALD_LINKEDIN_API_URL": "/rest"},
		"BadVersionIsAnError": {"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s3cret",
			"HERALD_LINKEDIN_VERSION": "2026-05"},
		"BadOrganizationsIsAnError": {"HERALD_LINKEDIN_CLIENT_ID": "id", "HERALD_LINKEDIN_CLIENT_SECRET": "s3cret",
			"HERALD_LINKEDIN_ORGANIZATIONS": "maybe"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, ok, err := ParseConfig(env(vars))
			if err == nil || ok {
				t.Fatalf("ParseConfig(%v) = ok %v, err nil; want an error", vars, ok)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func TestEscapeLittle(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text":             "plain text",
		"Launch (beta) #go @you": `Launch \(beta\) \#go \@you`,
		`a\b|c{d}e[f]g<h>i*j_k~`: `a\\b\|c\{d\}e\[f\]g\<h\>i\*j\_k\~`,
		"émoji 🎉 ok":             "émoji 🎉 ok",
	} {
		if got := escapeLittle(in); got != want {
			t.Errorf("escapeLittle(%q) = %q, want %q", in, got, want)
		}
		if got := renderLittle(escapeLittle(in)); got != in {
			t.Errorf("LinkedIn would show %q for %q", got, in)
		}
	}
}
