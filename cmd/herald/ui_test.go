package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// browser is a plain HTTP client with cookies that reads pages like a person without JavaScript.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newBrowser(t *testing.T, m *Main) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: m.URL(), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get loads a page, following redirects.
func (b *browser) get(path string, headers ...string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

func (b *browser) send(req *http.Request) (*http.Response, *goquery.Document) {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		b.t.Errorf("%s %s = %d\n%s", req.Method, req.URL, res.StatusCode, raw)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(raw)))
	if err != nil {
		b.t.Fatal(err)
	}
	return res, doc
}

// submit fills the form matching selector on the page at path and posts it, taking the
// CSRF token from the form as a browser would.
func (b *browser) submit(path, selector string, values map[string]string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	_, doc := b.get(path)
	f := doc.Find(selector).First()
	if f.Length() == 0 {
		b.t.Fatalf("no form %q on %s", selector, path)
	}
	form := url.Values{}
	f.Find("input[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if s.Is("select") {
			v, _ := s.Find("option[selected]").Attr("value")
			form.Set(name, v)
			return
		}
		v, _ := s.Attr("value")
		form.Set(name, v)
	})
	for k, v := range values {
		form.Set(k, v)
	}
	action, _ := f.Attr("action")
	req, _ := http.NewRequest("POST", b.base+action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func (b *browser) registerUI(name string) string {
	b.t.Helper()
	email := strings.ToLower(uniqueEmail(name))
	res, doc := b.submit("/register", `form[action="/register"]`, map[string]string{"email": email, "name": name, "password": "correct horse battery", "company": name + " Co"})
	if res.StatusCode != 200 || doc.Find("#company-name").Text() != name+" Co" {
		b.t.Fatalf("register %s landed on %s (%d): %q", name, res.Request.URL.Path, res.StatusCode, doc.Find("main").Text())
	}
	return email
}

func TestUI_RegisterLogoutLogin(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	email := b.registerUI("Nora")

	res, doc := b.submit("/", `form[action="/logout"]`, nil)
	if res.Request.URL.Path != "/login" || !strings.Contains(doc.Find("#alerts").Text(), "signed out") {
		t.Errorf("after logout: at %s, alerts %q", res.Request.URL.Path, doc.Find("#alerts").Text())
	}
	if res, _ := b.get("/team"); res.Request.URL.Path != "/login" {
		t.Errorf("team page after logout ended at %s, want /login", res.Request.URL.Path)
	}
	res, doc = b.submit("/login", `form[action="/login"]`, map[string]string{"email": email, "password": "wrong password!"})
	if v, _ := doc.Find("#email").Attr("value"); res.StatusCode != 401 || doc.Find("#login-error").Length() == 0 || v != email {
		t.Errorf("wrong password: %d, error shown %v, email kept %q", res.StatusCode, doc.Find("#login-error").Length() > 0, v)
	}
	if doc.Find(`input[name="password"]`).AttrOr("value", "") != "" {
		t.Error("the password was rendered back")
	}
	res, doc = b.submit("/login", `form[action="/login"]`, map[string]string{"email": email, "password": "correct horse battery"})
	if res.StatusCode != 200 || doc.Find("#company-name").Text() != "Nora Co" {
		t.Errorf("login landed on %s with %q", res.Request.URL.Path, doc.Find("h1").Text())
	}
}

func TestUI_RegisterShowsFieldErrorsAndKeepsValues(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	res, doc := b.submit("/register", `form[action="/register"]`, map[string]string{"email": "olga@example.com", "name": "Olga", "password": "short", "company": "Olga Co"})
	if res.StatusCode != 422 {
		t.Fatalf("short password = %d, want 422", res.StatusCode)
	}
	if !strings.Contains(doc.Find("#password-error").Text(), "12 characters") || doc.Find("#password").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("password error beside the field = %q", doc.Find("#password-error").Text())
	}
	if doc.Find("#email").AttrOr("value", "") != "olga@example.com" || doc.Find("#company").AttrOr("value", "") != "Olga Co" {
		t.Error("typed values were not kept")
	}
}

func TestUI_Team(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Pia")
	viewer := newBrowser(t, m)
	viewerEmail := viewer.registerUI("Quinn")

	// Inviting someone with an account adds nobody until they accept the link.
	link := owner.invite(viewerEmail, "viewer")
	if _, doc := owner.get("/team"); strings.Contains(doc.Find("#members").Text(), viewerEmail) || !strings.Contains(doc.Find("tr.invitation").Text(), viewerEmail) {
		t.Errorf("before accepting: members %q, invitations %q", doc.Find("#members").Text(), doc.Find("#invitations").Text())
	}
	res, doc := viewer.accept(link)
	if res.StatusCode != 200 || !strings.Contains(doc.Find("#alerts").Text(), "You joined Pia Co as viewer") {
		t.Fatalf("accept: %d, alerts %q", res.StatusCode, doc.Find("#alerts").Text())
	}
	if _, doc := owner.get("/team"); !strings.Contains(doc.Find("#members").Text(), viewerEmail) || strings.Contains(doc.Find("#invitations").Text(), viewerEmail) {
		t.Errorf("after accepting: members %q, invitations %q", doc.Find("#members").Text(), doc.Find("#invitations").Text())
	}
	invitee := uniqueEmail("rosa")
	owner.invite(invitee, "editor")
	if _, doc := owner.get("/team"); !strings.Contains(doc.Find("tr.invitation").Text(), invitee) {
		t.Errorf("invitation row missing: %q", doc.Find("#invitations").Text())
	}
	res, doc = owner.submit("/team", "#add-member", map[string]string{"email": "not an email", "role": "editor"})
	if res.StatusCode != 422 || doc.Find("#member-email-error").Length() == 0 || doc.Find("#member-email").AttrOr("value", "") != "not an email" {
		t.Errorf("bad email: %d, error %q", res.StatusCode, doc.Find("#member-email-error").Text())
	}

	// The last owner cannot be demoted: the message shows and the role stays.
	_, doc = owner.get("/team")
	me := doc.Find("#members tr").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), "(you)") })
	action := me.Find(`form[action$="/role"]`).AttrOr("action", "")
	res, doc = owner.submit("/team", `form[action="`+action+`"]`, map[string]string{"role": "viewer"})
	if res.StatusCode != 409 || !strings.Contains(doc.Find("#team-error").Text(), "last owner") {
		t.Errorf("demoting the last owner: %d %q", res.StatusCode, doc.Find("#team-error").Text())
	}

	// The viewer, switched to Pia's company, cannot manage members.
	_, doc = viewer.get("/")
	var piaCompany string
	doc.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Pia Co" {
			piaCompany, _ = s.Attr("value")
		}
	})
	_, doc = viewer.submit("/", "#company-switcher", map[string]string{"company_id": piaCompany})
	if doc.Find("#company-name").Text() != "Pia Co" {
		t.Fatalf("switch company: at %q", doc.Find("h1").Text())
	}
	_, doc = viewer.get("/team")
	if doc.Find("#add-member").Length() != 0 {
		t.Error("a viewer sees the add-member form")
	}
	_, tdoc := viewer.get("/team")
	token := tdoc.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	form := url.Values{"_csrf": {token}, "email": {uniqueEmail("sneaky")}, "role": {"admin"}}
	req, _ := http.NewRequest("POST", viewer.base+"/team/members", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, doc := viewer.send(req); res.StatusCode != 403 || !strings.Contains(doc.Find("main").Text(), "role does not allow") {
		t.Errorf("viewer adds a member = %d %q, want the 403 page", res.StatusCode, doc.Find("main").Text())
	}

	// Switching to a company one is not a member of is not found.
	stranger := newBrowser(t, m)
	stranger.registerUI("Sam")
	if res, _ := stranger.submit("/", "#company-switcher", map[string]string{"company_id": piaCompany}); res.StatusCode != 404 {
		t.Errorf("switch to a foreign company = %d, want 404", res.StatusCode)
	}
}

func TestUI_CSRFAndFragments(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Tess")
	req, _ := http.NewRequest("POST", b.base+"/companies", strings.NewReader("name=Forged"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := b.send(req); res.StatusCode != 400 && res.StatusCode != 403 {
		t.Errorf("POST without CSRF token = %d, want 400 or 403", res.StatusCode)
	}
	res, doc := b.get("/team", "HX-Request", "true")
	if doc.Find("html header.topbar, nav#site-menu").Length() != 0 || doc.Find("#members").Length() != 1 || !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "HX-Request") {
		t.Errorf("htmx partial request: layout present %v, members %d, Vary %q", doc.Find("header.topbar, nav#site-menu").Length() > 0, doc.Find("#members").Length(), res.Header.Values("Vary"))
	}
	_, doc = b.get("/team", "HX-Request", "true", "HX-Boosted", "true")
	if doc.Find("header.topbar").Length() == 0 || doc.Find("nav#site-menu").Length() == 0 {
		t.Error("a boosted request did not get the whole page")
	}
	if res, _ := b.get("/static/vendor/htmx-2.0.11.min.js"); res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("vendored htmx = %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if res, doc := newBrowser(t, m).get("/no-such-page"); res.StatusCode != 404 || !strings.Contains(doc.Find("main").Text(), "nothing at this address") {
		t.Errorf("unknown page while signed out = %d at %s, want the 404 page", res.StatusCode, res.Request.URL.Path)
	}
	for _, p := range []string{"/static/VERSIONS.md", "/static/../ui.go", "/static/nothing.js"} {
		if res, _ := b.get(p); res.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
	}
}

func TestUI_TokensAndTenants(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	email := b.registerUI("Uma")
	res, doc := b.submit("/tokens", `form[action="/tokens"]`, map[string]string{"name": "Deploy bot", "days": "30"})
	secret := strings.TrimSpace(doc.Find("#new-token .secret").Text())
	if res.StatusCode != 201 || !strings.HasPrefix(secret, app.TokenPrefix) {
		t.Fatalf("create token: %d, secret shown %q", res.StatusCode, secret)
	}
	if _, doc := b.get("/tokens"); strings.Contains(doc.Text(), secret) {
		t.Error("the token secret is shown again")
	}
	if res, doc := b.submit("/tokens", `form[action="/tokens"]`, map[string]string{"name": "x", "days": "abc"}); res.StatusCode != 422 || doc.Find("#token-days-error").Length() == 0 {
		t.Errorf("bad validity = %d", res.StatusCode)
	}

	if res, _ := b.get("/admin/tenants"); res.StatusCode != 403 {
		t.Errorf("tenants page for a non-superadmin = %d, want 403", res.StatusCode)
	}
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), email, "", ""); err != nil {
		t.Fatal(err)
	}
	if res, doc := b.get("/admin/tenants?limit=200"); res.StatusCode != 200 || !strings.Contains(doc.Find("#tenants").Text(), "Uma Co") {
		t.Errorf("tenants page for a superadmin = %d", res.StatusCode)
	}
}

func TestUI_LoginThrottleShowsWhenToRetry(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{Window: time.Hour, PerIP: 1_000_000, PerEmail: 2})
	b := newBrowser(t, m)
	email := uniqueEmail("wendy")
	var res *http.Response
	var doc *goquery.Document
	for i := 0; i < 3; i++ {
		res, doc = b.submit("/login", `form[action="/login"]`, map[string]string{"email": email, "password": "guess guess guess"})
	}
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(doc.Find("#login-error").Text(), "Too many attempts") {
		t.Errorf("third login = %d, Retry-After %q, message %q", res.StatusCode, res.Header.Get("Retry-After"), doc.Find("#login-error").Text())
	}
}
