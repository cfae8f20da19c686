package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
)

// TestAPI_PasskeyCeremoniesOnTheRealServer drives a passkey's registration and a sign-in
// with it through Herald as it runs (relying party from HERALD_BASE_URL: localhost for
// 127.0.0.1), with a software authenticator; every answer is checked against openapi.json.
func TestAPI_PasskeyCeremoniesOnTheRealServer(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "passkeys")
	oc := c.with(owner.token, owner.companyID)
	auth := &apptest.Authenticator{RPID: "localhost", Origin: strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)}
	options := func(body map[string]any) []byte {
		t.Helper()
		raw, err := json.Marshal(body["options"])
		if err != nil || field(body, "ceremony_id") == nil {
			t.Fatalf("begin answered %v", body)
		}
		return raw
	}

	st, _, begin := oc.do("POST", "/api/v1/auth/passkeys/register/begin", nil)
	if st != http.StatusOK {
		t.Fatalf("register/begin = %d %v", st, begin)
	}
	if rp := field(begin, "options", "publicKey", "rp", "id"); rp != "localhost" {
		t.Fatalf("relying party %v, want localhost", rp)
	}
	resp, soft, err := auth.Create(options(begin))
	if err != nil {
		t.Fatal(err)
	}
	st, _, pk := oc.do("POST", "/api/v1/auth/passkeys/register/finish", map[string]any{"ceremony_id": begin["ceremony_id"], "name": "Phone", "credential": json.RawMessage(resp)})
	if st != http.StatusCreated || pk["name"] != "Phone" {
		t.Fatalf("register/finish = %d %v", st, pk)
	}
	st, _, list := oc.do("GET", "/api/v1/auth/passkeys", nil)
	if items, _ := list["items"].([]any); st != http.StatusOK || len(items) != 1 {
		t.Fatalf("list = %d %v", st, list)
	}

	anon := newClient(t, m)
	st, _, lbegin := anon.do("POST", "/api/v1/auth/passkeys/login/begin", nil)
	if st != http.StatusOK {
		t.Fatalf("login/begin = %d %v", st, lbegin)
	}
	assertion, err := auth.Get(options(lbegin), soft)
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"ceremony_id": lbegin["ceremony_id"], "credential": json.RawMessage(assertion)}
	st, _, login := anon.do("POST", "/api/v1/auth/passkeys/login/finish", body)
	if st != http.StatusOK || field(login, "user", "id") != owner.userID || login["token"] == nil {
		t.Fatalf("login/finish = %d %v", st, login)
	}
	if st, _, again := anon.do("POST", "/api/v1/auth/passkeys/login/finish", body); st != http.StatusUnauthorized {
		t.Fatalf("the same assertion again = %d %v, want 401", st, again)
	}
	if st, _, out := anon.with(login["token"].(string), "").do("DELETE", "/api/v1/auth/passkeys/"+pk["id"].(string), nil); st != http.StatusNoContent {
		t.Fatalf("delete with the passkey's session = %d %v", st, out)
	}
}
