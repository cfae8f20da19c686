package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// get sends a GET of an absolute address with the client's bearer token and address, as a
// script following a redirect by hand would, and returns the answer without its body.
func (c *client) get(address string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest("GET", address, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", address, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode >= 500 {
		c.t.Errorf("GET %s answered %d", address, res.StatusCode)
	}
	return res
}

// sandboxConsent starts a sandbox connect flow with body (nil or {"return_to"}), answers the
// consent page with decision and returns the callback address the platform sends the
// browser to, without following it.
func sandboxConsent(t *testing.T, c *client, body any, handle, decision string) string {
	t.Helper()
	st, _, out := c.do("POST", "/api/v1/accounts/connect/sandbox", body)
	if st != http.StatusOK {
		t.Fatalf("connect = %d %v", st, out)
	}
	authorize := out["authorize_url"].(string)
	res, err := c.http.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		t.Fatalf("consent page = %d\n%s", res.StatusCode, page)
	}
	res, err = c.http.PostForm(authorize, url.Values{"decision": {decision}, "handle": {handle}, "_csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cb := res.Header.Get("Location")
	if !strings.Contains(cb, "/api/v1/accounts/callback/sandbox?") {
		t.Fatalf("consent = %d to %q", res.StatusCode, cb)
	}
	return cb
}

// sandboxAccounts counts the company's live sandbox accounts.
func sandboxAccounts(t *testing.T, c *client) int {
	t.Helper()
	st, _, body := c.do("GET", "/api/v1/accounts", nil)
	if st != http.StatusOK {
		t.Fatalf("accounts = %d %v", st, body)
	}
	items, _ := body["items"].([]any)
	return len(items)
}

func TestAPI_ConnectNeverRedirectsOffSite(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "redirects")
	owner := c.with(a.token, a.companyID)
	for _, tc := range []struct{ name, returnTo, decision, want string }{
		{"TabBetweenSlashes", "/\t/evil.example", "allow", "/accounts?connected=1"},
		{"TabBetweenSlashesRefused", "/\t/evil.example", "deny", "/accounts?connect_error=denied"},
		{"Backslash", `/\evil.example`, "deny", "/accounts?connect_error=denied"},
		{"EncodedSlashes", "/%2F%2Fevil.example", "deny", "/accounts?connect_error=denied"},
		{"EncodedTab", "/%09/evil.example", "deny", "/accounts?connect_error=denied"},
		{"LeadingSpace", " //evil.example", "deny", "/accounts?connect_error=denied"},
		{"Absolute", "https://evil.example/", "deny", "/accounts?connect_error=denied"},
		{"JavaScript", "javascript:alert(1)", "deny", "/accounts?connect_error=denied"},
		{"FullwidthSolidus", "/\uff0fevil.example", "deny", "/accounts?connect_error=denied"},
		{"OwnPage", "/posts/new", "deny", "/posts/new?connect_error=denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner := owner.with(a.token, a.companyID)
			owner.t = t
			cb := sandboxConsent(t, owner, map[string]string{"return_to": tc.returnTo}, "redir-"+tc.name, tc.decision)
			res := owner.get(cb)
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != tc.want {
				t.Errorf("callback = %d to %q, want %q", res.StatusCode, loc, tc.want)
			}
		})
	}
}

func TestAPI_CallbackFinishesOnlyForTheFlowsStarter(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a, b := register(t, c, "starter"), register(t, c, "stranger")
	ac, bc := c.with(a.token, a.companyID), c.with(b.token, b.companyID)
	anon := newClient(t, m)

	cb := sandboxConsent(t, ac, nil, "starter-sandbox", "allow")
	path := strings.TrimPrefix(cb, m.URL())

	// Nobody signed in: nothing is connected and the browser is asked to sign in, with the
	// callback (code and state kept) as where to go afterwards.
	res := anon.get(cb)
	wantLogin := "/login?" + url.Values{"next": {path}}.Encode()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != wantLogin {
		t.Errorf("callback without credentials = %d to %q, want the sign-in page coming back to %q", res.StatusCode, loc, path)
	}
	// A made-up token is no better.
	res = anon.with("hrd_"+strings.Repeat("x", 43), "").get(cb)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login?") {
		t.Errorf("callback with an unknown token = %d to %q, want the sign-in page", res.StatusCode, loc)
	}
	// Someone else: refused, nothing connected in either company.
	res = bc.get(cb)
	if loc := res.Header.Get("Location"); loc != "/accounts?connect_error=other_user" {
		t.Errorf("callback by another user = %d to %q, want connect_error=other_user", res.StatusCode, loc)
	}
	if n, k := sandboxAccounts(t, ac), sandboxAccounts(t, bc); n != 0 || k != 0 {
		t.Fatalf("accounts after refused callbacks: starter's company %d, stranger's %d; want none", n, k)
	}
	// The starter, with the token the flow was started with: connected, once.
	if loc := ac.get(cb).Header.Get("Location"); loc != "/accounts?connected=1" {
		t.Fatalf("callback by the starter to %q, want connected=1", loc)
	}
	if loc := ac.get(cb).Header.Get("Location"); loc != "/accounts?connect_error=expired" {
		t.Errorf("the state was used twice: to %q", loc)
	}
	if n := sandboxAccounts(t, ac); n != 1 {
		t.Errorf("starter's company has %d accounts, want 1", n)
	}

	// A script with a personal API token finishes its own flow with that token.
	st, _, tok := ac.do("POST", "/api/v1/auth/tokens", map[string]string{"name": "script"})
	if st != http.StatusCreated {
		t.Fatalf("create token = %d %v", st, tok)
	}
	script := c.with(tok["token"].(string), a.companyID)
	cb = sandboxConsent(t, script, nil, "script-sandbox", "allow")
	if loc := script.get(cb).Header.Get("Location"); loc != "/accounts?connected=1" {
		t.Errorf("callback with the script's personal token to %q, want connected=1", loc)
	}
}

// frozenAuthClock returns an option that gives Herald's sign-in a clock standing a minute
// into a throttling window until the test moves it, and the function that moves it.
func frozenAuthClock() (func(*Main), func(time.Duration)) {
	var at atomic.Int64
	at.Store(time.Now().Truncate(time.Hour).Add(time.Minute).UnixNano())
	return func(m *Main) { m.AuthClock = func() time.Time { return time.Unix(0, at.Load()) } },
		func(d time.Duration) { at.Add(int64(d)) }
}

func TestAPI_GuessingDoesNotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	clock, advance := frozenAuthClock()
	limits := app.Limits{Window: 15 * time.Minute, PerIP: 1000, PerEmail: 10, PerAccount: 30}
	m := startHeraldWith(t, limits, nil, clock)
	owner := newClient(t, m)
	owner.ip = uniqueIP()
	a := register(t, owner, "target")
	login := func(c *client, password string) (int, http.Header, map[string]any) {
		t.Helper()
		return c.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": password})
	}
	if st, _, body := login(owner, "correct horse battery"); st != http.StatusOK {
		t.Fatalf("owner's first sign-in = %d %v", st, body)
	}

	// An attacker at one address: ten guesses answered, then throttled.
	attacker := newClient(t, m)
	attacker.ip = uniqueIP()
	for i := 1; i <= 20; i++ {
		st, h, body := login(attacker, fmt.Sprintf("wrong guess %02d!", i))
		switch {
		case i <= 10 && st != http.StatusUnauthorized:
			t.Fatalf("guess %d = %d %v, want 401", i, st, body)
		case i > 10 && (st != http.StatusTooManyRequests || h.Get("Retry-After") == "" || body["status"] != float64(429)):
			t.Fatalf("guess %d = %d (Retry-After %q) %v, want a 429 problem with Retry-After", i, st, h.Get("Retry-After"), body)
		}
	}
	if st, _, _ := login(attacker, "correct horse battery"); st != http.StatusTooManyRequests {
		t.Errorf("the right password from the guessing address = %d, want 429", st)
	}
	// The owner at their address is not locked out.
	if st, _, body := login(owner, "correct horse battery"); st != http.StatusOK {
		t.Fatalf("owner's sign-in during the attack = %d %v, want 200", st, body)
	}

	// Guesses spread over many addresses meet the per-email limit (30, counting the owner's
	// first sign-in, from an address not yet known, and the attacker's ten answered guesses),
	// which stops strangers, even with the right password, and not the owner.
	for i := 0; i < 19; i++ {
		spread := newClient(t, m)
		spread.ip = uniqueIP()
		if st, _, body := login(spread, "spread guess!!"); st != http.StatusUnauthorized {
			t.Fatalf("spread guess %d = %d %v, want 401", i, st, body)
		}
	}
	stranger := newClient(t, m)
	stranger.ip = uniqueIP()
	if st, h, _ := login(stranger, "correct horse battery"); st != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("a new address past the per-email limit = %d, want 429 with Retry-After", st)
	}
	if st, _, body := login(owner, "correct horse battery"); st != http.StatusOK {
		t.Fatalf("owner's sign-in past the per-email limit = %d %v, want 200", st, body)
	}
	// An unknown email past the same limit answers the same: nothing tells them apart.
	nobody := uniqueEmail("nobody")
	var last map[string]any
	var lastSt int
	for i := 0; i < 31; i++ {
		c := newClient(t, m)
		c.ip = uniqueIP()
		lastSt, _, last = c.do("POST", "/api/v1/auth/login", map[string]string{"email": nobody, "password": "spread guess!!"})
	}
	_, _, known := login(stranger, "spread guess!!")
	if lastSt != http.StatusTooManyRequests || last["title"] != known["title"] {
		t.Errorf("unknown email past the limit = %d %v; known email %v", lastSt, last, known)
	}

	// The next window lets the attacker's address guess again.
	advance(15 * time.Minute)
	if st, _, _ := login(attacker, "wrong guess again"); st != http.StatusUnauthorized {
		t.Errorf("a guess in the next window = %d, want 401", st)
	}
}

func TestAPI_ChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "changer")
	login := func(password string) (int, string) {
		st, _, body := c.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": password})
		tok, _ := body["token"].(string)
		return st, tok
	}
	_, other := login("correct horse battery")
	st, _, tok := c.with(a.token, "").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "ci"})
	if st != http.StatusCreated {
		t.Fatalf("create token = %d", st)
	}
	personal := tok["token"].(string)
	me := c.with(a.token, "")

	for _, tc := range []struct {
		name  string
		body  map[string]string
		field string
	}{
		{"WrongCurrent", map[string]string{"current_password": "not the password", "new_password": "a fresh long secret"}, "current_password"},
		{"MissingCurrent", map[string]string{"new_password": "a fresh long secret"}, "current_password"},
		{"ShortNew", map[string]string{"current_password": "correct horse battery", "new_password": "short"}, "new_password"},
		{"CommonNew", map[string]string{"current_password": "correct horse battery", "new_password": "Password123456"}, "new_password"},
		{"RepeatedNew", map[string]string{"current_password": "correct horse battery", "new_password": "abcabcabcabc"}, "new_password"},
		{"SameAsCurrent", map[string]string{"current_password": "correct horse battery", "new_password": "correct horse battery"}, "new_password"},
	} {
		if st, _, body := me.do("POST", "/api/v1/auth/password", tc.body); st != http.StatusUnprocessableEntity || problemFields(body)[tc.field] == "" {
			t.Errorf("%s: change password = %d %v, want 422 naming %s", tc.name, st, body, tc.field)
		}
	}
	if st, _, _ := c.do("POST", "/api/v1/auth/password", map[string]string{"current_password": "x", "new_password": "y"}); st != http.StatusUnauthorized {
		t.Errorf("change password signed out = %d, want 401", st)
	}

	if st, _, body := me.do("POST", "/api/v1/auth/password", map[string]string{"current_password": "correct horse battery", "new_password": "a fresh long secret"}); st != http.StatusNoContent {
		t.Fatalf("change password = %d %v, want 204", st, body)
	}
	if st, _, _ := me.do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Errorf("the session that changed the password = %d, want it to keep working", st)
	}
	if st, _, _ := c.with(other, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusUnauthorized {
		t.Errorf("another session after the change = %d, want 401", st)
	}
	if st, _, _ := c.with(personal, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Errorf("a personal API token after the change = %d, want it to keep working", st)
	}
	if st, _ := login("correct horse battery"); st != http.StatusUnauthorized {
		t.Errorf("login with the old password = %d, want 401", st)
	}
	if st, _ := login("a fresh long secret"); st != http.StatusOK {
		t.Errorf("login with the new password = %d, want 200", st)
	}
}

func TestAPI_LogoutEverywhereKeepsPersonalTokens(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "leaver")
	_, _, second := c.do("POST", "/api/v1/auth/login", map[string]string{"email": a.email, "password": "correct horse battery"})
	_, _, tok := c.with(a.token, "").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "ci"})
	personal := tok["token"].(string)

	if st, _, body := c.with(a.token, "").do("POST", "/api/v1/auth/logout-all", nil); st != http.StatusNoContent {
		t.Fatalf("logout-all = %d %v, want 204", st, body)
	}
	for name, secret := range map[string]string{"the caller's session": a.token, "another session": second["token"].(string)} {
		if st, _, _ := c.with(secret, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusUnauthorized {
			t.Errorf("%s after logout-all = %d, want 401", name, st)
		}
	}
	if st, _, _ := c.with(personal, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Errorf("a personal API token after logout-all = %d, want 200", st)
	}
}

func TestAPI_PersonalTokenIsNotASessionCookie(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "cookie")
	_, _, tok := c.with(a.token, "").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "ci"})
	personal := tok["token"].(string)
	asCookie := func(path, secret string) int {
		req, _ := http.NewRequest("GET", m.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: app.SessionCookie, Value: secret})
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := asCookie("/api/v1/auth/me", personal); st != http.StatusUnauthorized {
		t.Errorf("API with a personal token as the session cookie = %d, want 401", st)
	}
	if st := asCookie("/team", personal); st != http.StatusSeeOther {
		t.Errorf("web page with a personal token as the session cookie = %d, want 303 to sign in", st)
	}
	if st := asCookie("/api/v1/auth/me", a.token); st != http.StatusOK {
		t.Errorf("API with the session cookie = %d, want 200", st)
	}
	if st, _, _ := c.with(personal, "").do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
		t.Errorf("the personal token as a bearer token = %d, want 200", st)
	}
}

func TestAPI_RegistrationRefusesCommonPasswords(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	for _, pw := range []string{"password1234", "Qwerty123456!", "aaaaaaaaaaaaaaaa", "abcabcabcabc"} {
		st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{"email": uniqueEmail("weak"), "password": pw, "name": "W", "company": "W"})
		if st != http.StatusUnprocessableEntity || problemFields(body)["password"] == "" {
			t.Errorf("register with %q = %d %v, want 422 naming password", pw, st, body)
		}
	}
}

// joinCompany makes the person with token a member of oc's company with role, accepting the
// invitation when adding them sends one.
func joinCompany(t *testing.T, oc *client, who account, role string) {
	t.Helper()
	st, _, body := oc.do("POST", "/api/v1/members", map[string]string{"email": who.email, "role": role})
	if st != http.StatusCreated {
		t.Fatalf("add member = %d %v", st, body)
	}
	if link, ok := body["accept_url"].(string); ok {
		u, _ := url.Parse(link)
		if st, _, body := oc.with(who.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": u.Query().Get("token")}); st != http.StatusOK {
			t.Fatalf("accept = %d %v", st, body)
		}
	}
}

func TestAPI_IdempotentReplayNeedsMembership(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, member := register(t, c, "keeper"), register(t, c, "leaving")
	oc := c.with(owner.token, owner.companyID)
	joinCompany(t, oc, member, "admin")

	mc := c.with(member.token, owner.companyID)
	st, _, first := mc.do("POST", "/api/v1/accounts/connect/sandbox", nil, "Idempotency-Key", "k-1")
	if st != http.StatusOK || first["authorize_url"] == nil {
		t.Fatalf("connect = %d %v", st, first)
	}
	if st, h, again := mc.do("POST", "/api/v1/accounts/connect/sandbox", nil, "Idempotency-Key", "k-1"); st != http.StatusOK ||
		h.Get("Idempotent-Replayed") != "true" || again["authorize_url"] != first["authorize_url"] {
		t.Fatalf("replay while a member = %d %v", st, again)
	}
	if st, _, body := oc.do("DELETE", "/api/v1/members/"+member.userID, nil); st != http.StatusNoContent {
		t.Fatalf("remove member = %d %v", st, body)
	}
	st, h, again := mc.do("POST", "/api/v1/accounts/connect/sandbox", nil, "Idempotency-Key", "k-1")
	if st != http.StatusNotFound || h.Get("Idempotent-Replayed") != "" || again["authorize_url"] != nil {
		t.Errorf("replay after leaving the company = %d (replayed %q) %v, want 404 and no stored answer", st, h.Get("Idempotent-Replayed"), again)
	}
	// In their own company the same key is another request: never the stored answer.
	st, h, again = c.with(member.token, member.companyID).do("POST", "/api/v1/accounts/connect/sandbox", nil, "Idempotency-Key", "k-1")
	if h.Get("Idempotent-Replayed") != "" || again["authorize_url"] == first["authorize_url"] {
		t.Errorf("the same key in another company = %d (replayed %q) %v", st, h.Get("Idempotent-Replayed"), again)
	}
}
