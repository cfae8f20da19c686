package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// consentOnly runs the sandbox connect flow in b's browser up to the platform's redirect and
// returns the callback address without visiting it.
func (b *browser) consentOnly(t *testing.T) string {
	t.Helper()
	stop := *b
	stop.http = &http.Client{Jar: b.http.Jar, Timeout: b.http.Timeout, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.Contains(req.URL.Path, "/accounts/callback/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, _ := stop.connectSandbox("/accounts", "allow")
	cb := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.Contains(cb, "/api/v1/accounts/callback/sandbox?") {
		t.Fatalf("consent = %d to %q, want the callback", res.StatusCode, cb)
	}
	return cb
}

func TestUI_ConnectCallbackAsksToSignInAndFinishesOnlyForTheStarter(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	starter := newBrowser(t, m)
	starterEmail := starter.registerUI("Starter")
	strangerEmail := newBrowser(t, m).registerUI("Stranger")
	cb := starter.consentOnly(t)

	// A browser signed out of Herald lands on the sign-in page, which says why.
	stranger := newBrowser(t, m)
	res, doc := stranger.get(strings.TrimPrefix(cb, m.URL()))
	if res.Request.URL.Path != "/login" || doc.Find("#login-connect").Length() == 0 || doc.Find(`input[name="next"]`).AttrOr("value", "") != strings.TrimPrefix(cb, m.URL()) {
		t.Fatalf("signed-out callback landed on %s: %q", res.Request.URL, text(doc.Find("main")))
	}
	// Signing in there as someone else: refused with a clear sentence, nothing connected.
	res, doc = stranger.postForm(res.Request.URL, doc, `form[action="/login"]`, url.Values{"email": {strangerEmail}, "password": {"correct horse battery"}})
	if res.Request.URL.Path != "/accounts" || !strings.Contains(text(doc.Find("main")), "started by someone else") || doc.Find("#accounts tr[data-account]").Length() != 0 {
		t.Errorf("stranger signed in and landed on %s: %q", res.Request.URL, text(doc.Find("main")))
	}
	if _, doc := starter.page("/accounts"); doc.Find("#accounts tr[data-account]").Length() != 0 {
		t.Fatalf("the starter's company got an account from the stranger's callback")
	}

	// The starter, signing in from another browser with the same link: connected.
	again := newBrowser(t, m)
	res, doc = again.get(strings.TrimPrefix(cb, m.URL()))
	res, doc = again.postForm(res.Request.URL, doc, `form[action="/login"]`, url.Values{"email": {starterEmail}, "password": {"correct horse battery"}})
	if res.Request.URL.Path != "/accounts" || !strings.Contains(text(doc.Find("main")), "One account was connected") || doc.Find("#accounts tr[data-account]").Length() != 1 {
		t.Errorf("starter signed in and landed on %s: %q", res.Request.URL, text(doc.Find("main")))
	}
}

func TestUI_LoginNextStaysOnThisSite(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	email := b.registerUI("Nextia")
	b.submit("/", `form[action="/logout"]`, nil)
	for _, next := range []string{"//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "javascript:alert(1)"} {
		res, doc := b.get("/login?" + url.Values{"next": {next}}.Encode())
		if v := doc.Find(`input[name="next"]`).AttrOr("value", ""); v != "" {
			t.Errorf("next %q kept in the form as %q", next, v)
		}
		_ = res
	}
	// A page asked for while signed out is where signing in goes.
	res, doc := b.get("/team")
	if res.Request.URL.Path != "/login" || res.Request.URL.Query().Get("next") != "/team" {
		t.Fatalf("signed-out /team went to %s", res.Request.URL)
	}
	res, _ = b.postForm(res.Request.URL, doc, `form[action="/login"]`, url.Values{"email": {email}, "password": {"correct horse battery"}})
	if res.Request.URL.Path != "/team" {
		t.Errorf("signed in and landed on %s, want /team", res.Request.URL)
	}
	// A posted next that is not a path of this site goes home.
	b.submit("/", `form[action="/logout"]`, nil)
	res, _ = b.submit("/login", `form[action="/login"]`, map[string]string{"email": email, "password": "correct horse battery", "next": "/\t/evil.example"})
	if res.Request.URL.Host != strings.TrimPrefix(m.URL(), "http://") || res.Request.URL.Path != "/" {
		t.Errorf("signed in with a foreign next and landed on %s", res.Request.URL)
	}
}

func TestUI_GuessingDoesNotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	clock, _ := frozenAuthClock()
	m := startHeraldWith(t, app.Limits{Window: 15 * time.Minute, PerIP: 1000, PerEmail: 10, PerAccount: 30}, nil, clock)
	owner := newBrowser(t, m)
	email := owner.registerUI("Owner")
	owner.submit("/", `form[action="/logout"]`, nil)
	ownerIP, attackerIP := uniqueIP(), uniqueIP()
	signIn := func(b *browser, ip, password string) (*http.Response, *goquery.Document) {
		t.Helper()
		at, doc := b.page("/login")
		return b.postForm(at, doc, `form[action="/login"]`, url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", ip)
	}
	if res, doc := signIn(owner, ownerIP, "correct horse battery"); res.Request.URL.Path != "/" {
		t.Fatalf("owner's sign-in landed on %s: %q", res.Request.URL, text(doc.Find("main")))
	}
	owner.submit("/", `form[action="/logout"]`, nil)

	attacker := newBrowser(t, m)
	for i := 1; i <= 11; i++ {
		res, doc := signIn(attacker, attackerIP, "wrong guess "+strings.Repeat("!", i))
		want := http.StatusUnauthorized
		if i == 11 {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Fatalf("guess %d = %d, want %d: %q", i, res.StatusCode, want, text(doc.Find("#login-error")))
		}
		if i == 11 && (!strings.Contains(text(doc.Find("#login-error")), "Too many attempts") || res.Header.Get("Retry-After") == "") {
			t.Errorf("throttled page says %q (Retry-After %q)", text(doc.Find("#login-error")), res.Header.Get("Retry-After"))
		}
	}
	if res, doc := signIn(owner, ownerIP, "correct horse battery"); res.Request.URL.Path != "/" {
		t.Errorf("owner's sign-in during the attack landed on %s (%d): %q", res.Request.URL, res.StatusCode, text(doc.Find("#login-error")))
	}
}

func TestUI_ChangePasswordAndSignOutEverywhere(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	here := newBrowser(t, m)
	email := here.registerUI("Pia")
	signIn := func(password string) *browser {
		t.Helper()
		b := newBrowser(t, m)
		res, doc := b.submit("/login", `form[action="/login"]`, map[string]string{"email": email, "password": password})
		if res.Request.URL.Path != "/" {
			t.Fatalf("sign in with %q landed on %s: %q", password, res.Request.URL, text(doc.Find("#login-error")))
		}
		return b
	}
	signedIn := func(b *browser) bool {
		t.Helper()
		res, _ := b.get("/team")
		return res.Request.URL.Path == "/team"
	}
	elsewhere := signIn("correct horse battery")

	for _, tc := range []struct{ name, current, next, field, says string }{
		{"WrongCurrent", "not my password", "a fresh long secret", "#current-password-error", "is not your current password"},
		{"CommonNew", "correct horse battery", "Sunshine2024!", "#new-password-error", "most common passwords"},
		{"RepeatedNew", "correct horse battery", "xyzxyzxyzxyz", "#new-password-error", "repeats"},
	} {
		res, doc := here.submit("/profile", `#password-form`, map[string]string{"current_password": tc.current, "new_password": tc.next})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find(tc.field)), tc.says) {
			t.Errorf("%s: %d, %s says %q", tc.name, res.StatusCode, tc.field, text(doc.Find(tc.field)))
		}
		doc.Find(`#password-form input[type="password"]`).Each(func(_ int, s *goquery.Selection) {
			if v := s.AttrOr("value", ""); v != "" {
				t.Errorf("%s: a password was rendered back: %q", tc.name, v)
			}
		})
	}
	if !signedIn(elsewhere) {
		t.Fatal("a refused change signed the other browser out")
	}

	res, doc := here.submit("/profile", `#password-form`, map[string]string{"current_password": "correct horse battery", "new_password": "a fresh long secret"})
	if res.Request.URL.Path != "/profile" || !strings.Contains(text(doc.Find("#alerts")), "password was changed") {
		t.Fatalf("change password landed on %s: %q", res.Request.URL, text(doc.Find("main")))
	}
	if !signedIn(here) {
		t.Error("the browser that changed the password was signed out")
	}
	if signedIn(elsewhere) {
		t.Error("another browser is still signed in after the password changed")
	}

	other := signIn("a fresh long secret")
	_, doc = here.get("/profile")
	if !strings.Contains(text(doc.Find("#logout-all-form").Parent()), "personal API tokens keep working") {
		t.Errorf("the page does not say API tokens stay: %q", text(doc.Find("#logout-all-form").Parent()))
	}
	res, doc = here.submit("/profile", `#logout-all-form`, nil)
	if res.Request.URL.Path != "/login" || !strings.Contains(text(doc.Find("#alerts")), "signed out everywhere") {
		t.Errorf("sign out everywhere landed on %s: %q", res.Request.URL, text(doc.Find("#alerts")))
	}
	if signedIn(here) || signedIn(other) {
		t.Errorf("after signing out everywhere: here %v, other %v; want both signed out", signedIn(here), signedIn(other))
	}
}

func TestUI_RegisterRefusesACommonPassword(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	res, doc := b.submit("/register", `form[action="/register"]`, map[string]string{"email": uniqueEmail("common"), "name": "C", "password": "Password1234", "company": "C Co"})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#password-error")), "most common passwords") {
		t.Errorf("register with a common password = %d: %q", res.StatusCode, text(doc.Find("#password-error")))
	}
}
