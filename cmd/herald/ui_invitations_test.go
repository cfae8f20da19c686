package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// invite makes an invitation for email with role on the team page and returns its link,
// which the page shows once.
func (b *browser) invite(email, role string) string {
	b.t.Helper()
	res, doc := b.submit("/team", "#add-member", map[string]string{"email": email, "role": role})
	link := doc.Find("#invitation-url").AttrOr("value", "")
	if res.StatusCode != http.StatusCreated || link == "" {
		b.t.Fatalf("invite %s = %d, link %q: %q", email, res.StatusCode, link, doc.Find("main").Text())
	}
	return link
}

// accept opens an invitation link signed in and confirms it.
func (b *browser) accept(link string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	return b.submit(strings.TrimPrefix(link, b.base), "#accept form[action=\"/invitations/accept\"]", nil)
}

// TestUI_TeamInvitationsCopyRenewRevoke: the team page shows a new link once with a copy
// button, lists open invitations, and renews and revokes them.
func TestUI_TeamInvitationsCopyRenewRevoke(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Tara")
	email := strings.ToLower(uniqueEmail("ulla"))
	res, doc := owner.submit("/team", "#add-member", map[string]string{"email": email, "role": "editor"})
	link := doc.Find("#invitation-url").AttrOr("value", "")
	if res.StatusCode != 201 || !strings.HasPrefix(link, m.URL()+"/invitations/accept?token=") ||
		doc.Find(`button[data-copy="#invitation-url"]`).Length() != 1 || !strings.Contains(doc.Find("#invitation-link").Text(), "only this once") {
		t.Fatalf("invite: %d, link %q, %q", res.StatusCode, link, doc.Find("#invitation-link").Text())
	}
	row := doc.Find("#invitations tr.invitation")
	if row.Length() != 1 || !strings.Contains(row.Text(), email) || !strings.Contains(row.Text(), "works until") {
		t.Errorf("invitations = %q", doc.Find("#invitations").Text())
	}
	// The link is not on the page again.
	if _, doc := owner.get("/team"); doc.Find("#invitation-url").Length() != 0 || strings.Contains(doc.Text(), link) {
		t.Error("the team page shows the link again")
	}
	id := row.AttrOr("data-invitation", "")
	res, doc = owner.submit("/team", `form[action="/team/invitations/`+id+`/renew"]`, nil)
	renewed := doc.Find("#invitation-url").AttrOr("value", "")
	if res.StatusCode != 200 || renewed == "" || renewed == link {
		t.Fatalf("renew: %d, link %q", res.StatusCode, renewed)
	}
	stranger := newBrowser(t, m)
	if res, doc := stranger.get(strings.TrimPrefix(link, m.URL())); res.StatusCode != 200 || doc.Find(`input[name="token"]`).Length() != 0 ||
		!strings.Contains(doc.Find("#register-error").Text(), "does not work") {
		t.Errorf("the old link: %d, %q", res.StatusCode, doc.Find("main").Text())
	}
	res, doc = owner.submit("/team", `form[action="/team/invitations/`+id+`/revoke"]`, nil)
	if res.StatusCode != 200 || !strings.Contains(doc.Find("#alerts").Text(), "revoked") || doc.Find("#invitations").Length() != 0 {
		t.Errorf("revoke: %d, alerts %q", res.StatusCode, doc.Find("#alerts").Text())
	}
	if _, doc := stranger.get(strings.TrimPrefix(renewed, m.URL())); doc.Find(`input[name="token"]`).Length() != 0 {
		t.Error("a revoked link still offers to join")
	}
	// Another company cannot renew or revoke it (nor an id that is not one).
	other := newBrowser(t, m)
	other.registerUI("Otto")
	_, page := other.get("/team")
	csrf := page.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	for _, path := range []string{"/team/invitations/" + id + "/renew", "/team/invitations/nope/revoke"} {
		req, _ := http.NewRequest("POST", other.base+path, strings.NewReader(url.Values{"_csrf": {csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, _ := other.send(req); res.StatusCode != 404 {
			t.Errorf("POST %s from another company = %d, want 404", path, res.StatusCode)
		}
	}
}

// TestUI_AcceptInvitationSignedIn: the link asks a signed-in person to confirm, naming the
// invited email and the account that joins; confirming joins and says so.
func TestUI_AcceptInvitationSignedIn(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Vana")
	guest := newBrowser(t, m)
	guestEmail := guest.registerUI("Wim")
	invited := strings.ToLower(uniqueEmail("wim-at-work"))
	link := owner.invite(invited, "editor")

	res, doc := guest.get(strings.TrimPrefix(link, m.URL()))
	if res.StatusCode != 200 || !strings.Contains(doc.Find("#invitation-summary").Text(), "Vana Co") || !strings.Contains(doc.Find("#invitation-summary").Text(), "editor") ||
		!strings.Contains(doc.Find("#invitation-summary").Text(), invited) || !strings.Contains(doc.Find("#joining-account").Text(), guestEmail) ||
		doc.Find("#email-differs").Length() != 1 {
		t.Fatalf("confirmation: %d %q", res.StatusCode, strings.Join(strings.Fields(doc.Find("main").Text()), " "))
	}
	// Opening the page joined nobody.
	if _, doc := owner.get("/team"); strings.Contains(doc.Find("#members").Text(), guestEmail) {
		t.Error("opening the link joined before the confirmation")
	}
	res, doc = guest.accept(link)
	if res.StatusCode != 200 || !strings.Contains(doc.Find("#alerts").Text(), "You joined Vana Co as editor") || doc.Find("#company-name").Text() != "Vana Co" {
		t.Fatalf("accept: %d, alerts %q, at %q", res.StatusCode, doc.Find("#alerts").Text(), doc.Find("#company-name").Text())
	}
	// Used: the page says the link does not work.
	if res, doc := guest.get(strings.TrimPrefix(link, m.URL())); res.StatusCode != 404 || doc.Find("#accept-error").Length() != 1 || doc.Find("#accept-invitation").Length() != 0 {
		t.Errorf("a used link: %d %q", res.StatusCode, doc.Find("main").Text())
	}
}

// TestUI_AcceptInvitationSignedOut: the link offers registration without a company name;
// the new person joins with the invited role and is told so.
func TestUI_AcceptInvitationSignedOut(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Xena")
	invited := strings.ToLower(uniqueEmail("yusuf"))
	link := owner.invite(invited, "viewer")

	newcomer := newBrowser(t, m)
	path := strings.TrimPrefix(link, m.URL())
	res, doc := newcomer.get(path)
	if res.StatusCode != 200 || doc.Find("#company").Length() != 0 || doc.Find("#email").AttrOr("value", "") != invited ||
		!strings.Contains(doc.Find("#invitation-summary").Text(), "Xena Co") || !strings.Contains(doc.Find("#invitation-summary").Text(), "viewer") {
		t.Fatalf("signed-out invitation page: %d %q", res.StatusCode, strings.Join(strings.Fields(doc.Find("main").Text()), " "))
	}
	// A bad password keeps the invitation on the form.
	res, doc = newcomer.submit(path, `form[action="/register"]`, map[string]string{"name": "Yusuf", "password": "short"})
	if res.StatusCode != 422 || doc.Find(`input[name="token"]`).Length() != 1 || doc.Find("#company").Length() != 0 || doc.Find("#password-error").Length() != 1 {
		t.Errorf("bad password: %d %q", res.StatusCode, doc.Find("main").Text())
	}
	res, doc = newcomer.submit(path, `form[action="/register"]`, map[string]string{"name": "Yusuf", "password": "correct horse battery"})
	if res.StatusCode != 200 || doc.Find("#company-name").Text() != "Xena Co" || !strings.Contains(doc.Find("#alerts").Text(), "You joined Xena Co as viewer") {
		t.Fatalf("register through the link: %d at %q, alerts %q", res.StatusCode, doc.Find("#company-name").Text(), doc.Find("#alerts").Text())
	}
	if doc.Find("#company-select option").Length() > 1 {
		t.Error("registering through an invitation also made a company")
	}
	if _, doc := owner.get("/team"); !strings.Contains(doc.Find("#members").Text(), invited) || doc.Find("#invitations").Length() != 0 {
		t.Errorf("the owner's team: members %q, invitations %q", doc.Find("#members").Text(), doc.Find("#invitations").Text())
	}
}

// TestUI_AcceptInvitationSignInFirst: someone with an account who opens the link signed out
// signs in from the invitation page and comes back to its confirmation, then joins.
func TestUI_AcceptInvitationSignInFirst(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Vera")
	email := newBrowser(t, m).registerUI("Walt")
	link := owner.invite(email, "editor")

	walt := newBrowser(t, m) // the same person, in a browser signed out
	_, doc := walt.get(strings.TrimPrefix(link, m.URL()))
	signIn, ok := doc.Find("#sign-in-to-join").Attr("href")
	if !ok {
		t.Fatalf("no sign-in link on the signed-out invitation page: %q", doc.Find("main").Text())
	}
	res, doc := walt.submit(signIn, `form[action="/login"]`, map[string]string{"email": email, "password": "correct horse battery"})
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/invitations/accept" || doc.Find(`#accept form[action="/invitations/accept"]`).Length() != 1 {
		t.Fatalf("signed in from the invitation: %d at %s: %q", res.StatusCode, res.Request.URL, strings.Join(strings.Fields(doc.Find("main").Text()), " "))
	}
	res, doc = walt.accept(link)
	if res.StatusCode != http.StatusOK || doc.Find("#company-name").Text() != "Vera Co" || !strings.Contains(doc.Find("#alerts").Text(), "You joined Vera Co as editor") {
		t.Fatalf("accept after signing in: %d at %q, alerts %q", res.StatusCode, doc.Find("#company-name").Text(), doc.Find("#alerts").Text())
	}
}
