package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

func TestAPI_AuthFlow(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	email := uniqueEmail("ada")

	st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{"email": strings.ToUpper(email), "password": "correct horse battery", "name": "Ada", "company": "Analytical Engines"})
	if st != http.StatusCreated || field(body, "user", "email") != email || field(body, "company", "name") != "Analytical Engines" ||
		field(body, "company", "plan") != "free" || field(body, "company", "version") != float64(1) || body["token"] == nil || body["expires_at"] == nil {
		t.Fatalf("register = %d %v", st, body)
	}
	first := body["token"].(string)

	// A taken email with another password gets login's refusal, never "already registered".
	st, _, body = c.do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "another password!", "name": "Imposter", "company": "X"})
	_, _, login := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "another password!"})
	if st != http.StatusUnauthorized || body["detail"] != login["detail"] || body["type"] != login["type"] {
		t.Errorf("register with a taken email = %d %v, want login's refusal %v", st, body, login)
	}

	st, _, body = c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	if st != http.StatusOK || body["token"] == nil || field(body, "user", "name") != "Ada" {
		t.Fatalf("login = %d %v", st, body)
	}
	second := body["token"].(string)

	st, _, body = c.with(second, "").do("GET", "/api/v1/auth/me", nil)
	ms, _ := body["memberships"].([]any)
	if st != http.StatusOK || field(body, "user", "is_superadmin") != false || len(ms) != 1 || ms[0].(map[string]any)["role"] != "owner" {
		t.Fatalf("me = %d %v", st, body)
	}

	if st, _, _ := c.with(second, "").do("POST", "/api/v1/auth/logout", nil); st != http.StatusNoContent {
		t.Errorf("logout = %d, want 204", st)
	}
	if st, h, _ := c.with(second, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
		t.Errorf("me after logout = %d, want 401 with WWW-Authenticate", st)
	}
	if st, _, _ := c.with(first, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Errorf("me with the other session after logout = %d, want 200", st)
	}
	for _, tok := range []string{"", "garbage", "hrd_" + strings.Repeat("A", 43), "hrd_\u00e9\u00e8"} {
		if st, _, body := c.with(tok, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusUnauthorized || body["status"] != float64(401) {
			t.Errorf("me with token %q = %d %v, want a 401 problem", tok, st, body)
		}
	}
}

func TestAPI_LoginAnswersTheSameForUnknownEmails(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "bob")
	_, _, wrongPassword := c.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": "not the password"})
	st, _, unknown := c.do("POST", "/api/v1/auth/login", map[string]string{"email": uniqueEmail("nobody"), "password": "not the password"})
	if st != http.StatusUnauthorized || wrongPassword["detail"] != unknown["detail"] || wrongPassword["type"] != unknown["type"] {
		t.Errorf("login answers differ: wrong password %v, unknown email %v", wrongPassword, unknown)
	}
}

func TestAPI_LoginIsThrottledPerEmailAndPerIP(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{Window: time.Hour, PerIP: 5, PerEmail: 3})
	c := newClient(t, m)
	c.ip = uniqueIP()
	a := register(t, c, "carol")

	other := newClient(t, m)
	other.ip = uniqueIP()
	for i := 1; i <= 4; i++ {
		st, h, body := other.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": "wrong guess number " + string(rune('0'+i))})
		switch {
		case i <= 3 && st != http.StatusUnauthorized:
			t.Fatalf("attempt %d = %d %v, want 401", i, st, body)
		case i == 4 && (st != http.StatusTooManyRequests || h.Get("Retry-After") == "" || body["status"] != float64(429)):
			t.Fatalf("attempt %d = %d (Retry-After %q) %v, want 429 with Retry-After", i, st, h.Get("Retry-After"), body)
		}
	}
	// The right password is refused too from the guessing address: guessing cannot continue.
	if st, _, _ := other.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": "correct horse battery"}); st != http.StatusTooManyRequests {
		t.Errorf("login with the right password while throttled = %d, want 429", st)
	}

	spray := newClient(t, m)
	spray.ip = uniqueIP()
	var last int
	for i := 0; i < 6; i++ {
		last, _, _ = spray.do("POST", "/api/v1/auth/login", map[string]string{"email": uniqueEmail("spray"), "password": "whatever it is"})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("sixth login from one address = %d, want 429", last)
	}
}

func TestAPI_BadInputGetsProblems(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "dave")
	authed := c.with(a.token, "")

	for _, tc := range []struct {
		name   string
		body   any
		header []string
		status int
		field  string
	}{
		{"MalformedJSON", []byte(`{"email":`), nil, 400, ""},
		{"NotAnObject", []byte(`[1,2]`), nil, 400, ""},
		{"TwoValues", []byte(`{} {}`), nil, 400, ""},
		{"WrongContentType", []byte(`email=x`), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, ""},
		{"UnknownField", map[string]any{"emial": "x@example.com"}, nil, 422, "emial"},
		{"WrongType", map[string]any{"email": 42}, nil, 422, "email"},
		{"ShortPassword", map[string]string{"email": uniqueEmail("e"), "password": "short", "name": "E", "company": "E"}, nil, 422, "password"},
		{"InvalidEmail", map[string]string{"email": "not-an-email", "password": "long enough pass", "name": "E", "company": "E"}, nil, 422, "email"},
		{"EmptyBody", nil, nil, 422, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := c.do("POST", "/api/v1/auth/register", tc.body, tc.header...)
			if st != tc.status || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || body["status"] != float64(tc.status) || body["title"] == nil || body["detail"] == nil {
				t.Fatalf("= %d %s %v, want a %d problem", st, h.Get("Content-Type"), body, tc.status)
			}
			if tc.field != "" && problemFields(body)[tc.field] == "" {
				t.Errorf("errors %v do not name %q", body["errors"], tc.field)
			}
		})
	}

	t.Run("TooLarge", func(t *testing.T) {
		big := append([]byte(`{"name":"`), bytes.Repeat([]byte("x"), 11<<20)...)
		big = append(big, `"}`...)
		if st, _, body := authed.do("POST", "/api/v1/auth/tokens", big); st != http.StatusRequestEntityTooLarge || body["status"] != float64(413) {
			t.Errorf("11 MiB body = %d %v, want a 413 problem", st, body)
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		if st, h, body := authed.do("GET", "/api/v1/nothing-here", nil); st != 404 || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || body["status"] != float64(404) {
			t.Errorf("unknown route = %d %v", st, body)
		}
	})
	t.Run("BadLimit", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=201", "limit=abc"} {
			if st, _, _ := authed.do("GET", "/api/v1/admin/companies?"+q, nil); st != 403 && st != 422 {
				t.Errorf("admin list with %s = %d, want 403 (not superadmin) or 422", q, st)
			}
		}
		// A query holding bytes that are not UTF-8 is malformed: 400 before anything else.
		if st, _, _ := authed.do("GET", "/api/v1/admin/companies?cursor=%FF%FE", nil); st != 400 {
			t.Errorf("admin list with cursor=%%FF%%FE = %d, want 400", st)
		}
	})
}

func TestAPI_PersonalTokens(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	a := register(t, c, "erin")
	authed := c.with(a.token, "")

	st, _, body := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "CI"})
	secret, _ := body["token"].(string)
	if st != 201 || !strings.HasPrefix(secret, app.TokenPrefix) || body["expires_at"] == nil || body["id"] == nil {
		t.Fatalf("create token = %d %v", st, body)
	}
	if st, _, body := c.with(secret, "").do("GET", "/api/v1/auth/me", nil); st != 200 || field(body, "user", "id") != a.userID {
		t.Errorf("me with the personal token = %d %v", st, body)
	}
	_, _, list := authed.do("GET", "/api/v1/auth/tokens", nil)
	items, _ := list["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["token"] != nil {
		t.Errorf("token list = %v, want one token without its secret", list)
	}
	if st, _, body := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "old", "expires_at": "2020-01-01T00:00:00Z"}); st != 422 || problemFields(body)["expires_at"] == "" {
		t.Errorf("token expiring in the past = %d %v", st, body)
	}
	if st, _, _ := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "x", "expires_at": "tomorrow"}); st != 422 {
		t.Errorf("token with unparsable expiry = %d, want 422", st)
	}
	if st, _, _ := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "zone", "expires_at": time.Now().Add(48 * time.Hour).In(time.FixedZone("X", 5*3600)).Format(time.RFC3339)}); st != 201 {
		t.Errorf("token with an offset expiry = %d, want 201", st)
	}

	// A repeat with the same Idempotency-Key makes no second token, and the stored answer
	// it replays holds no secret: nothing at rest can be used to sign in.
	st, _, first := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "deploy"}, "Idempotency-Key", "tok-1")
	deploy, _ := first["token"].(string)
	st2, h2, again := authed.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "deploy"}, "Idempotency-Key", "tok-1")
	if st != 201 || deploy == "" || st2 != 201 || h2.Get("Idempotent-Replayed") != "true" || again["id"] != first["id"] || again["token"] != nil {
		t.Errorf("token replay = %d %v then %d %v, want the same token without its secret", st, first, st2, again)
	}
	var stored int
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM idempotency_keys WHERE position($1::bytea in body) > 0`, []byte(deploy)).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("stored answers holding the token: %d (%v)", stored, err)
	}

	other := register(t, c, "frank")
	id := items[0].(map[string]any)["id"].(string)
	if st, _, _ := c.with(other.token, "").do("DELETE", "/api/v1/auth/tokens/"+id, nil); st != 404 {
		t.Errorf("revoking another user's token = %d, want 404", st)
	}
	if st, _, _ := authed.do("DELETE", "/api/v1/auth/tokens/"+id, nil); st != 204 {
		t.Errorf("revoke own token = %d, want 204", st)
	}
	if st, _, _ := c.with(secret, "").do("GET", "/api/v1/auth/me", nil); st != 401 {
		t.Errorf("revoked token still works: %d", st)
	}
}

func TestAPI_CompanyResolution(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a, b := register(t, c, "gina"), register(t, c, "hank")

	if st, _, body := c.with(a.token, "").do("GET", "/api/v1/members", nil); st != 200 || len(body["items"].([]any)) != 1 {
		t.Errorf("members without X-Company-ID, one company = %d %v", st, body)
	}
	for _, id := range []string{b.companyID, "00000000-0000-0000-0000-000000000000", "not-a-uuid", "🙂"} {
		if st, _, body := c.with(a.token, id).do("GET", "/api/v1/members", nil); st != 404 || body["status"] != float64(404) {
			t.Errorf("members of company %q (not a member) = %d %v, want 404", id, st, body)
		}
	}
	addMember(t, c.with(a.token, a.companyID), b, "viewer")
	if st, _, body := c.with(b.token, "").do("GET", "/api/v1/members", nil); st != 400 || !strings.Contains(body["detail"].(string), "X-Company-ID") {
		t.Errorf("members without X-Company-ID, two companies = %d %v, want 400 naming the header", st, body)
	}
	if st, _, _ := c.with(b.token, a.companyID).do("GET", "/api/v1/members", nil); st != 200 {
		t.Errorf("members of a's company as its viewer = %d, want 200", st)
	}
}

func TestAPI_Members(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, editor, rival := register(t, c, "ivy"), register(t, c, "jack"), register(t, c, "kim")
	oc := c.with(owner.token, owner.companyID)

	st, _, body := oc.do("POST", "/api/v1/members", map[string]string{"email": strings.ToUpper(editor.email), "role": "editor"})
	if st != 201 || body["email"] != editor.email || body["role"] != "editor" || body["accept_url"] == nil {
		t.Fatalf("invite existing user = %d %v", st, body)
	}
	if st, _, body := c.with(editor.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, body)}); st != 200 {
		t.Fatalf("editor accepts = %d %v", st, body)
	}
	if st, _, _ := oc.do("POST", "/api/v1/members", map[string]string{"email": editor.email, "role": "viewer"}); st != 409 {
		t.Errorf("adding a member twice = %d, want 409", st)
	}
	for _, in := range []map[string]string{{"email": "x@example.com", "role": "king"}, {"email": "nope", "role": "viewer"}, {"email": "", "role": ""}} {
		if st, _, body := oc.do("POST", "/api/v1/members", in); st != 422 || len(problemFields(body)) == 0 {
			t.Errorf("add member %v = %d %v, want 422 with fields", in, st, body)
		}
	}

	newcomer := uniqueEmail("newcomer")
	st, _, body = oc.do("POST", "/api/v1/members", map[string]string{"email": newcomer, "role": "viewer"})
	if st != 201 || body["email"] != newcomer || body["accept_url"] == nil {
		t.Fatalf("invite unknown email = %d %v", st, body)
	}
	st, _, reg := c.do("POST", "/api/v1/auth/register", map[string]string{"email": newcomer, "password": "correct horse battery", "name": "New", "company": "Own Co"})
	if st != 201 {
		t.Fatalf("newcomer registers = %d %v", st, reg)
	}
	_, _, me := c.with(reg["token"].(string), "").do("GET", "/api/v1/auth/me", nil)
	if ms := me["memberships"].([]any); len(ms) != 1 {
		t.Errorf("newcomer's memberships = %v, want only their own company: registering with an invited email takes no invitation", ms)
	}

	ec := c.with(editor.token, owner.companyID)
	if st, _, _ := ec.do("GET", "/api/v1/members", nil); st != 200 {
		t.Errorf("editor lists members = %d, want 200", st)
	}
	if st, _, body := ec.do("POST", "/api/v1/members", map[string]string{"email": rival.email, "role": "viewer"}); st != 403 || body["status"] != float64(403) {
		t.Errorf("editor adds a member = %d %v, want 403", st, body)
	}
	if st, _, _ := ec.do("PUT", "/api/v1/members/"+owner.userID, map[string]string{"role": "viewer"}); st != 403 {
		t.Errorf("editor demotes the owner = %d, want 403", st)
	}

	if st, _, body := oc.do("PUT", "/api/v1/members/"+owner.userID, map[string]string{"role": "admin"}); st != 409 {
		t.Errorf("last owner demotes self = %d %v, want 409", st, body)
	}
	if st, _, _ := oc.do("DELETE", "/api/v1/members/"+owner.userID, nil); st != 409 {
		t.Errorf("last owner leaves = %d, want 409", st)
	}
	if st, _, body := oc.do("PUT", "/api/v1/members/"+editor.userID, map[string]string{"role": "admin"}); st != 200 || body["role"] != "admin" {
		t.Errorf("promote editor to admin = %d %v", st, body)
	}
	ac := ec // now an admin
	if st, _, _ := ac.do("POST", "/api/v1/members", map[string]string{"email": rival.email, "role": "owner"}); st != 403 {
		t.Errorf("admin grants owner = %d, want 403", st)
	}
	if st, _, _ := ac.do("PUT", "/api/v1/members/"+owner.userID, map[string]string{"role": "viewer"}); st != 403 {
		t.Errorf("admin demotes owner = %d, want 403", st)
	}

	rc := c.with(rival.token, rival.companyID)
	for _, call := range []struct{ method, path string }{{"PUT", "/api/v1/members/" + editor.userID}, {"DELETE", "/api/v1/members/" + editor.userID}} {
		if st, _, _ := rc.do(call.method, call.path, map[string]string{"role": "viewer"}); st != 404 {
			t.Errorf("rival %s on another company's member = %d, want 404", call.method, st)
		}
	}
	if st, _, _ := oc.do("PUT", "/api/v1/members/not-a-uuid", map[string]string{"role": "viewer"}); st != 404 {
		t.Errorf("PUT member with a malformed id = %d, want 404", st)
	}

	if st, _, _ := ac.do("DELETE", "/api/v1/members/"+editor.userID, nil); st != 204 {
		t.Errorf("admin leaves = %d, want 204", st)
	}
	if st, _, _ := ac.do("GET", "/api/v1/members", nil); st != 404 {
		t.Errorf("former member lists members = %d, want 404", st)
	}
}

func TestAPI_AdminCompanies(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	plain := register(t, c, "lena")
	if st, _, _ := c.with(plain.token, "").do("GET", "/api/v1/admin/companies", nil); st != 403 {
		t.Errorf("non-superadmin lists companies = %d, want 403", st)
	}
	if st, _, _ := c.with(plain.token, "").do("PUT", "/api/v1/admin/companies/"+plain.companyID, map[string]string{"plan": "pro"}); st != 403 {
		t.Errorf("non-superadmin updates a company = %d, want 403", st)
	}

	root := register(t, c, "root")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), root.email, "", ""); err != nil {
		t.Fatal(err)
	}
	rc := c.with(root.token, "")
	st, _, body := rc.do("GET", "/api/v1/admin/companies?limit=200", nil)
	items, _ := body["items"].([]any)
	found := false
	for _, it := range items {
		if it.(map[string]any)["id"] == plain.companyID {
			found = it.(map[string]any)["members"] == float64(1) && it.(map[string]any)["posts"] == float64(0)
		}
	}
	if st != 200 || !found {
		t.Errorf("superadmin list = %d, lena's company with 1 member found: %v", st, found)
	}
	st, _, body = rc.do("GET", "/api/v1/admin/companies?limit=1", nil)
	if st != 200 || len(body["items"].([]any)) != 1 || body["next_cursor"] == nil {
		t.Errorf("first page of one = %d %v", st, body)
	} else if st, _, page2 := rc.do("GET", "/api/v1/admin/companies?limit=1&cursor="+body["next_cursor"].(string), nil); st != 200 ||
		page2["items"].([]any)[0].(map[string]any)["id"] == body["items"].([]any)[0].(map[string]any)["id"] {
		t.Errorf("second page = %d %v", st, page2)
	}
	if st, _, body := rc.do("PUT", "/api/v1/admin/companies/"+plain.companyID, map[string]string{"status": "suspended"}); st != 422 || problemFields(body)["reason"] == "" {
		t.Errorf("suspend without a reason = %d %v", st, body)
	}
	st, _, body = rc.do("PUT", "/api/v1/admin/companies/"+plain.companyID, map[string]string{"plan": "pro", "status": "suspended", "reason": "Unpaid invoice"})
	if st != 200 || body["plan"] != "pro" || body["status"] != "suspended" || body["status_reason"] != "Unpaid invoice" {
		t.Errorf("suspend = %d %v", st, body)
	}
	st, h, body := rc.do("GET", "/api/v1/admin/companies/"+plain.companyID, nil)
	people, _ := body["people"].([]any)
	if st != 200 || h.Get("ETag") != `"2"` || body["status_reason"] != "Unpaid invoice" || len(people) != 1 || field(body, "usage", "members") != float64(1) ||
		field(body, "limits", "social_accounts") != float64(10) || field(body, "usage", "month") != time.Now().UTC().Format("2006-01") {
		t.Errorf("company detail = %d %v %v", st, h.Get("ETag"), body)
	}
	if st, _, _ := c.with(plain.token, "").do("GET", "/api/v1/admin/companies/"+plain.companyID, nil); st != 403 {
		t.Errorf("non-superadmin reads a company's detail = %d, want 403", st)
	}
	if st, _, _ := rc.do("GET", "/api/v1/admin/companies/not-a-company", nil); st != 404 {
		t.Errorf("detail of a malformed id = %d, want 404", st)
	}
	if st, _, body := rc.do("PUT", "/api/v1/admin/companies/"+plain.companyID, map[string]string{"plan": "platinum"}); st != 422 || problemFields(body)["plan"] == "" {
		t.Errorf("unknown plan = %d %v", st, body)
	}
	if st, _, _ := rc.do("PUT", "/api/v1/admin/companies/00000000-0000-0000-0000-000000000000", map[string]string{"plan": "pro"}); st != 404 {
		t.Errorf("unknown company = %d, want 404", st)
	}
	if st, _, _ := rc.do("GET", "/api/v1/admin/companies?cursor=bm9wZQ", nil); st != 422 {
		t.Errorf("forged cursor = %d, want 422", st)
	}
	// A superadmin is not a member: other companies' data stays closed.
	if st, _, _ := c.with(root.token, plain.companyID).do("GET", "/api/v1/members", nil); st != 404 {
		t.Errorf("superadmin reads a company's members = %d, want 404", st)
	}
}

func TestAPI_CookieRequestsNeedCSRF(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "mona")
	req, _ := http.NewRequest("POST", m.URL()+"/api/v1/auth/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: a.token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 && res.StatusCode != 403 {
		t.Errorf("cookie POST without CSRF token = %d, want 400 or 403", res.StatusCode)
	}
	req, _ = http.NewRequest("POST", m.URL()+"/api/v1/auth/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: a.token})
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("cross-site cookie POST = %d, want 403", res.StatusCode)
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(m.URL() + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s = %v, %v", path, res, err)
		}
		res.Body.Close()
	}
	res, err := http.Get(m.URL() + "/api/v1/auth/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for h, want := range map[string]string{"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "strict-origin-when-cross-origin", "X-Frame-Options": "DENY", "X-Request-Id": ""} {
		if got := res.Header.Get(h); got == "" || !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want it to contain %q", h, got, want)
		}
	}
	res, _ = http.Get(m.MetricsURL() + "/metrics")
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`herald_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"}`,
		"herald_http_request_duration_seconds_bucket", "herald_db_pool_connections", `herald_queue_jobs{state="available"}`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := healthcheck(context.Background(), Config{Addr: strings.TrimPrefix(m.URL(), "http://")}); err != nil {
		t.Errorf("healthcheck against a running server: %v", err)
	}
}

func TestAPI_TwoOwnersDemotingEachOtherLeaveAnOwner(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	for round := 0; round < 5; round++ {
		a, b := register(t, c, "olive"), register(t, c, "pete")
		addMember(t, c.with(a.token, a.companyID), b, "owner")
		results := make(chan int, 2)
		for _, pair := range [][2]account{{a, b}, {b, a}} {
			go func(actor, target account) {
				st, _, _ := c.with(actor.token, a.companyID).do("PUT", "/api/v1/members/"+target.userID, map[string]string{"role": "admin"})
				results <- st
			}(pair[0], pair[1])
		}
		r1, r2 := <-results, <-results
		if (r1 == 200) == (r2 == 200) {
			t.Errorf("round %d: answers %d and %d, want exactly one 200", round, r1, r2)
		}
		_, _, body := c.with(a.token, a.companyID).do("GET", "/api/v1/members", nil)
		if body == nil {
			_, _, body = c.with(b.token, a.companyID).do("GET", "/api/v1/members", nil)
		}
		owners := 0
		for _, it := range body["items"].([]any) {
			if it.(map[string]any)["role"] == "owner" {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("round %d: %d owners left, want 1", round, owners)
		}
	}
}

func TestAPI_IdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, other := register(t, c, "xena"), register(t, c, "yuri")
	oc := c.with(owner.token, owner.companyID)
	invite := map[string]string{"email": uniqueEmail("zed"), "role": "viewer"}

	st1, _, first := oc.do("POST", "/api/v1/members", invite, "Idempotency-Key", "invite-zed-1")
	st2, h2, second := oc.do("POST", "/api/v1/members", invite, "Idempotency-Key", "invite-zed-1")
	if st1 != 201 || st2 != 201 || h2.Get("Idempotent-Replayed") != "true" || first["email"] != second["email"] {
		t.Fatalf("repeat with the same key = %d then %d (replayed %q): %v / %v", st1, st2, h2.Get("Idempotent-Replayed"), first, second)
	}
	// Without the key the same request is a new one.
	if st, _, _ := oc.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "a"}, "Idempotency-Key", "tok"); st != 201 {
		t.Fatalf("token with key = %d", st)
	}
	_, _, tok1 := oc.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "a"}, "Idempotency-Key", "tok")
	_, _, list := oc.do("GET", "/api/v1/auth/tokens", nil)
	if n := len(list["items"].([]any)); n != 1 || tok1["id"] == nil || tok1["token"] != nil {
		t.Errorf("two POSTs with one key made %d tokens, want 1 (replay %v, without the secret shown once)", n, tok1)
	}
	if st, _, body := oc.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "b"}, "Idempotency-Key", "tok"); st != 422 || problemFields(body)["Idempotency-Key"] == "" {
		t.Errorf("same key, different body = %d %v, want 422", st, body)
	}
	// Keys belong to their user: another user's same key runs their own request.
	if st, h, _ := c.with(other.token, "").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "a"}, "Idempotency-Key", "tok"); st != 201 || h.Get("Idempotent-Replayed") != "" {
		t.Errorf("another user's request with the same key = %d replayed %q", st, h.Get("Idempotent-Replayed"))
	}
	// Errors are replayed too: the first answer stands.
	bad := map[string]string{"email": "nope", "role": "viewer"}
	if st, _, _ := oc.do("POST", "/api/v1/members", bad, "Idempotency-Key", "bad-1"); st != 422 {
		t.Errorf("bad member = %d", st)
	}
	if st, h, _ := oc.do("POST", "/api/v1/members", bad, "Idempotency-Key", "bad-1"); st != 422 || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat of a refused request = %d replayed %q", st, h.Get("Idempotent-Replayed"))
	}
	if st, _, _ := oc.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "a"}, "Idempotency-Key", strings.Repeat("k", 256)); st != 400 {
		t.Errorf("oversized key = %d, want 400", st)
	}
}

func TestAPI_IfMatchGuardsConcurrentEdits(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner, member := register(t, c, "abby"), register(t, c, "ben")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, member, "viewer")
	path := "/api/v1/members/" + member.userID
	st, h, body := oc.do("PUT", path, map[string]string{"role": "editor"}, "If-Match", `"1"`)
	if st != 200 || body["version"] != float64(2) || h.Get("ETag") != `"2"` {
		t.Fatalf("PUT with the current version = %d %v ETag %q", st, body, h.Get("ETag"))
	}
	for _, stale := range []string{`"1"`, `W/"1"`, `"banana"`} {
		if st, _, body := oc.do("PUT", path, map[string]string{"role": "admin"}, "If-Match", stale); st != 412 || body["status"] != float64(412) {
			t.Errorf("PUT with If-Match %s = %d %v, want 412", stale, st, body)
		}
	}
	_, _, list := oc.do("GET", "/api/v1/members", nil)
	for _, it := range list["items"].([]any) {
		if it.(map[string]any)["user_id"] == member.userID && it.(map[string]any)["role"] != "editor" {
			t.Errorf("a refused PUT changed the role: %v", it)
		}
	}
	if st, _, _ := oc.do("PUT", path, map[string]string{"role": "admin"}, "If-Match", "*"); st != 200 {
		t.Errorf("PUT with If-Match * = %d, want 200", st)
	}

	root := register(t, c, "carl")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), root.email, "", ""); err != nil {
		t.Fatal(err)
	}
	rc := c.with(root.token, "")
	if st, h, _ := rc.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "pro"}, "If-Match", `"1"`); st != 200 || h.Get("ETag") != `"2"` {
		t.Errorf("company PUT with the current version = %d ETag %q", st, h.Get("ETag"))
	}
	if st, _, _ := rc.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "business"}, "If-Match", `"1"`); st != 412 {
		t.Errorf("company PUT with a stale version = %d, want 412", st)
	}
}
