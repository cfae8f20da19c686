package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/app/apptest"
)

type ceremonyOut struct {
	CeremonyID string          `json:"ceremony_id"`
	Options    json.RawMessage `json:"options"`
}

// addPasskeyAPI registers a passkey for c through the API and returns the software key.
func addPasskeyAPI(t *testing.T, c *client, auth *apptest.Authenticator, name string) (string, *apptest.SoftPasskey) {
	t.Helper()
	var cer ceremonyOut
	c.do("POST", "/auth/passkeys/register/begin", nil).want(http.StatusOK).decode(&cer)
	resp, soft, err := auth.Create(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	var pk struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Transports []string `json:"transports"`
	}
	c.do("POST", "/auth/passkeys/register/finish", map[string]any{"ceremony_id": cer.CeremonyID, "name": name, "credential": json.RawMessage(resp)}).
		want(http.StatusCreated).decode(&pk)
	if pk.Name != name || pk.ID == "" || len(pk.Transports) != 1 || pk.Transports[0] != "internal" {
		t.Fatalf("added passkey = %+v", pk)
	}
	return pk.ID, soft
}

// passkeyAssertion begins a sign-in and answers it with soft: the ceremony id and answer.
func passkeyAssertion(t *testing.T, anon *client, auth *apptest.Authenticator, soft *apptest.SoftPasskey) (string, json.RawMessage) {
	t.Helper()
	var cer ceremonyOut
	anon.do("POST", "/auth/passkeys/login/begin", nil).want(http.StatusOK).decode(&cer)
	resp, err := auth.Get(cer.Options, soft)
	if err != nil {
		t.Fatal(err)
	}
	return cer.CeremonyID, resp
}

func TestPasskeysAPI_RegisterListSignInDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pat := s.register("Pat Co")
	auth := apptest.NewAuthenticator()
	id, soft := addPasskeyAPI(t, pat, auth, "Work laptop")

	anon := &client{s: s}
	cid, resp := passkeyAssertion(t, anon, auth, soft)
	var login struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	anon.do("POST", "/auth/passkeys/login/finish", map[string]any{"ceremony_id": cid, "credential": resp}).want(http.StatusOK).decode(&login)
	if login.Token == "" || login.ExpiresAt == "" || login.User.ID != string(pat.actor.UserID) {
		t.Fatalf("passkey login = %+v", login)
	}
	signed := &client{s: s, token: login.Token, company: pat.company}
	signed.do("GET", "/auth/me", nil).want(http.StatusOK)

	var list struct {
		Items []struct {
			ID         string  `json:"id"`
			Name       string  `json:"name"`
			LastUsedAt *string `json:"last_used_at"`
		} `json:"items"`
	}
	signed.do("GET", "/auth/passkeys", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 1 || list.Items[0].ID != id || list.Items[0].LastUsedAt == nil {
		t.Fatalf("list = %+v", list)
	}
	// Another person neither sees nor deletes it.
	sam := s.register("Sam Co")
	sam.do("GET", "/auth/passkeys", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 0 {
		t.Fatalf("Sam sees %+v", list.Items)
	}
	sam.do("DELETE", "/auth/passkeys/"+id, nil).problem(http.StatusNotFound)
	sam.do("DELETE", "/auth/passkeys/not-an-id", nil).problem(http.StatusNotFound)

	pat.do("DELETE", "/auth/passkeys/"+id, nil).want(http.StatusNoContent)
	cid, resp = passkeyAssertion(t, anon, auth, soft)
	anon.do("POST", "/auth/passkeys/login/finish", map[string]any{"ceremony_id": cid, "credential": resp}).problem(http.StatusUnauthorized)
}

func TestPasskeysAPI_BadAssertionsAreProblemsNeverFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	pat := s.register("Pat Co")
	sam := s.register("Sam Co")
	auth := apptest.NewAuthenticator()
	_, soft := addPasskeyAPI(t, pat, auth, "phone")
	_, samSoft := addPasskeyAPI(t, sam, auth, "sam's phone")
	anon := &client{s: s}
	finish := func(cid string, resp any) *response {
		return anon.do("POST", "/auth/passkeys/login/finish", map[string]any{"ceremony_id": cid, "credential": resp})
	}

	// Replayed: the same ceremony twice, then the captured answer under a new ceremony.
	cid, resp := passkeyAssertion(t, anon, auth, soft)
	finish(cid, resp).want(http.StatusOK)
	finish(cid, resp).problem(http.StatusUnauthorized)
	cid2, _ := passkeyAssertion(t, anon, auth, soft)
	finish(cid2, resp).problem(http.StatusUnauthorized)

	// Another origin (a phishing page relaying the ceremony).
	evil := &apptest.Authenticator{Origin: "https://herald-login.example", RPID: apptest.PasskeyRPID}
	cid, resp = passkeyAssertion(t, anon, evil, soft)
	finish(cid, resp).problem(http.StatusUnauthorized)

	// A counter that went backwards (a cloned key).
	clone := *soft
	clone.Counter = 0
	cid, resp = passkeyAssertion(t, anon, auth, &clone)
	finish(cid, resp).problem(http.StatusUnauthorized)

	// Pat's key claiming to be Sam.
	forged := *soft
	forged.UserHandle = samSoft.UserHandle
	cid, resp = passkeyAssertion(t, anon, auth, &forged)
	finish(cid, resp).problem(http.StatusUnauthorized)

	// Not a credential at all, no credential, an unknown ceremony: never a 500.
	cid, _ = passkeyAssertion(t, anon, auth, soft)
	p := finish(cid, map[string]any{"id": 5}).problem(http.StatusUnprocessableEntity)
	if f := p.fields(); len(f) != 1 || f[0] != "credential" {
		t.Fatalf("fields = %v, want credential", f)
	}
	anon.do("POST", "/auth/passkeys/login/finish", map[string]any{"ceremony_id": "x"}).problem(http.StatusUnprocessableEntity)
	cid, resp = passkeyAssertion(t, anon, auth, soft)
	finish("no-such-ceremony", resp).problem(http.StatusUnauthorized)
	finish(cid, json.RawMessage(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AAAA","userHandle":"AAAA"}}`)).problem(http.StatusUnprocessableEntity)

	// Registration: another origin is 401, an unknown ceremony 422, no session 401.
	var cer ceremonyOut
	pat.do("POST", "/auth/passkeys/register/begin", nil).want(http.StatusOK).decode(&cer)
	bad, _, err := evil.Create(cer.Options)
	if err != nil {
		t.Fatal(err)
	}
	pat.do("POST", "/auth/passkeys/register/finish", map[string]any{"ceremony_id": cer.CeremonyID, "credential": json.RawMessage(bad)}).problem(http.StatusUnauthorized)
	pat.do("POST", "/auth/passkeys/register/finish", map[string]any{"ceremony_id": cer.CeremonyID, "credential": json.RawMessage(bad)}).problem(http.StatusUnprocessableEntity)
	anon.do("POST", "/auth/passkeys/register/begin", nil).problem(http.StatusUnauthorized)
}
