package main

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/app"
)

// TestAPI_OwnTimeZone: PUT /auth/me sets the zone the person's pages show times in, as the
// profile page does; GET /auth/me reads it back; an unknown zone is a 422 naming the field
// and changes nothing; "" goes back to the browser's zone. Each person changes only their own.
func TestAPI_OwnTimeZone(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	ann, bob := register(t, c, "zone-ann"), register(t, c, "zone-bob")
	ac, bc := c.with(ann.token, ""), c.with(bob.token, "")

	if st, _, body := ac.do("GET", "/api/v1/auth/me", nil); st != http.StatusOK || field(body, "user", "time_zone") != "" {
		t.Fatalf("GET /auth/me = %d %v, want time_zone \"\" before one is chosen", st, body)
	}
	st, _, body := ac.do("PUT", "/api/v1/auth/me", map[string]any{"time_zone": "America/New_York"})
	if st != http.StatusOK || field(body, "user", "time_zone") != "America/New_York" || len(body["memberships"].([]any)) != 1 {
		t.Fatalf("PUT /auth/me = %d %v", st, body)
	}
	for _, bad := range []any{map[string]any{"time_zone": "Mars/Olympus_Mons"}, map[string]any{"time_zone": "../etc/passwd"}, map[string]any{}, map[string]any{"time_zone": 3}, map[string]any{"name": "x"}} {
		if st, _, body := ac.do("PUT", "/api/v1/auth/me", bad); st != http.StatusUnprocessableEntity || len(problemFields(body)) == 0 {
			t.Errorf("PUT /auth/me %v = %d %v, want 422 naming the field", bad, st, body)
		}
	}
	if _, _, body := ac.do("GET", "/api/v1/auth/me", nil); field(body, "user", "time_zone") != "America/New_York" {
		t.Errorf("after refused changes time_zone = %v, want America/New_York", field(body, "user", "time_zone"))
	}
	if _, _, body := bc.do("GET", "/api/v1/auth/me", nil); field(body, "user", "time_zone") != "" {
		t.Errorf("another person's time_zone = %v, want untouched", field(body, "user", "time_zone"))
	}
	if st, _, body := ac.do("PUT", "/api/v1/auth/me", map[string]any{"time_zone": ""}); st != http.StatusOK || field(body, "user", "time_zone") != "" {
		t.Errorf("PUT /auth/me back to the browser's zone = %d %v", st, body)
	}
	if st, _, _ := c.do("PUT", "/api/v1/auth/me", map[string]any{"time_zone": "UTC"}); st != http.StatusUnauthorized {
		t.Errorf("PUT /auth/me without credentials = %d, want 401", st)
	}
}
