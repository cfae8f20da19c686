package platformenv_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestApp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars    map[string]string
		ok      bool
		problem string
	}{
		{map[string]string{}, false, ""},
		{map[string]string{"HERALD_X_CLIENT_ID": " id ", "HERALD_X_CLIENT_SECRET": "s3cret"}, true, ""},
		{map[string]string{"HERALD_X_CLIENT_ID": "id"}, false, "HERALD_X_CLIENT_SECRET: unset"},
		{map[string]string{"HERALD_X_CLIENT_SECRET": "s3cret"}, false, "HERALD_X_CLIENT_ID: unset"},
	} {
		id, secret, ok, err := platformenv.App(env(tc.vars), "X")
		if ok != tc.ok || (tc.problem == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("App(%v) = %q, %q, %v, %v", tc.vars, id, secret, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the secret: %v", err)
		}
		if ok && (id != "id" || secret != "s3cret") {
			t.Errorf("App = %q, %q", id, secret)
		}
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	auth, token, api := "https://a.example/auth", "https://a.example/token", "https://api.example"
	err := platformenv.URLs(env(map[string]string{"HERALD_X_API_URL": "http://127.0.0.1:9000/", "HERALD_X_TOKEN_URL": "ftp://nope",
		"HERALD_X_AUTH_URL": "/relative"}), "X", &auth, &token, &api)
	if api != "http://127.0.0.1:9000" || auth != "https://a.example/auth" || token != "https://a.example/token" {
		t.Errorf("URLs set auth %q token %q api %q", auth, token, api)
	}
	if err == nil || !strings.Contains(err.Error(), "HERALD_X_TOKEN_URL") || !strings.Contains(err.Error(), "HERALD_X_AUTH_URL") {
		t.Errorf("URLs error = %v, want both bad variables named", err)
	}
}
