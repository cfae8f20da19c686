package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/app"
)

// formValues returns what a browser sends for the form f: text inputs, hidden inputs,
// ticked checkboxes, selected options and textareas (buttons are the caller's choice).
func formValues(f *goquery.Selection) url.Values {
	v := url.Values{}
	f.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch {
		case s.Is("select"):
			v.Add(name, s.Find("option[selected]").AttrOr("value", ""))
		case s.Is("textarea"):
			v.Add(name, strings.TrimPrefix(s.Text(), "\n"))
		case s.Is("[type=checkbox], [type=radio]"):
			if _, ok := s.Attr("checked"); ok {
				v.Add(name, s.AttrOr("value", "on"))
			}
		default:
			v.Add(name, s.AttrOr("value", ""))
		}
	})
	return v
}

// postForm sends the form matching selector on doc (the page at base) with the values in
// set replacing the form's own, as a browser without JavaScript would.
func (b *browser) postForm(base *url.URL, doc *goquery.Document, selector string, set url.Values, headers ...string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	f := doc.Find(selector).First()
	if f.Length() == 0 {
		b.t.Fatalf("no form %q on %s:\n%s", selector, base, doc.Find("main").Text())
	}
	vals := formValues(f)
	for k, vs := range set {
		vals[k] = vs
	}
	action, err := url.Parse(f.AttrOr("action", ""))
	if err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base.ResolveReference(action).String(), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

// page loads path and returns the page with its address, for postForm.
func (b *browser) page(path string) (*url.URL, *goquery.Document) {
	b.t.Helper()
	res, doc := b.get(path)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s = %d: %s", path, res.StatusCode, doc.Find("main").Text())
	}
	return res.Request.URL, doc
}

// connectSandbox presses "Connect Sandbox" on the page at path, answers the sandbox's
// consent page with decision, and returns where the browser lands after the callback.
func (b *browser) connectSandbox(path, decision string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	at, doc := b.page(path)
	res, consent := b.postForm(at, doc, `form[action="/accounts/connect/sandbox"]`, nil)
	if res.StatusCode != http.StatusOK || consent.Find(`button[name="decision"]`).Length() == 0 {
		b.t.Fatalf("Connect Sandbox led to %s (%d), not the sandbox's consent page: %q", res.Request.URL, res.StatusCode, consent.Text())
	}
	return b.postForm(res.Request.URL, consent, `form:has(button[name="decision"])`, url.Values{"decision": {decision}})
}

// text is the selection's text with runs of white space made one space.
func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

var postPath = regexp.MustCompile(`^/posts/([0-9a-f-]{36})$`)

// postID returns the id of the post page res landed on.
func postID(t *testing.T, res *http.Response, doc *goquery.Document) string {
	t.Helper()
	m := postPath.FindStringSubmatch(res.Request.URL.Path)
	if m == nil {
		t.Fatalf("landed on %s (%d), not a post page: %s", res.Request.URL.Path, res.StatusCode, text(doc.Find("main")))
	}
	return m[1]
}

// setZone picks the time zone on the profile page.
func (b *browser) setZone(zone string) {
	b.t.Helper()
	at, doc := b.page("/profile")
	res, doc := b.postForm(at, doc, "#profile-form", url.Values{"time_zone": {zone}})
	if res.StatusCode != http.StatusOK || doc.Find("#zone-used").Text() != zone {
		b.t.Fatalf("set zone %s: %d, zone used %q", zone, res.StatusCode, doc.Find("#zone-used").Text())
	}
}

// waitForStatus fetches the post's status fragment, as the page does on each event of its
// stream, until the post is final (published, partially published or failed) or the
// deadline passes, and returns the final fragment.
func (b *browser) waitForStatus(id string, deadline time.Duration) *goquery.Document {
	b.t.Helper()
	end := time.Now().Add(deadline)
	for {
		res, doc := b.get("/posts/"+id+"/status", "HX-Request", "true")
		if res.StatusCode != http.StatusOK {
			b.t.Fatalf("status fragment = %d", res.StatusCode)
		}
		switch doc.Find("#post-state").AttrOr("data-status", "") {
		case "published", "partially_published", "failed":
			return doc
		}
		if time.Now().After(end) {
			b.t.Fatalf("post %s not final after %s: %s", id, deadline, text(doc.Selection))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUI_PostsComposeScheduleCalendarPublish(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Xena")

	_, doc := b.page("/posts")
	if doc.Find("#no-posts #connect-first").Length() != 1 {
		t.Errorf("empty posts list without accounts does not invite to connect one: %q", text(doc.Find("main")))
	}
	if doc.Find(`nav#site-menu a[href="/posts"]`).Length() != 1 || doc.Find(`nav#site-menu a[href="/calendar"]`).Length() != 1 || doc.Find(`nav#site-menu a[href="/accounts"]`).Length() != 1 {
		t.Error("the navigation lacks Posts, Calendar or Accounts")
	}

	res, doc := b.connectSandbox("/accounts", "allow")
	if res.Request.URL.Path != "/accounts" || !strings.Contains(doc.Find("#connect-notice").Text(), "One account was connected") {
		t.Fatalf("after consent: at %s, notice %q", res.Request.URL, doc.Find("#connect-notice").Text())
	}
	row := doc.Find("#accounts tbody tr")
	if row.Length() != 1 || !strings.Contains(text(row), "Sandbox") || !strings.Contains(text(row), "active") {
		t.Fatalf("accounts table: %q", text(doc.Find("#accounts")))
	}
	account := row.AttrOr("data-account", "")
	accountName := strings.TrimSpace(row.Find("td .account-name").First().Text())

	// Invalid input comes back beside the fields, every typed character kept.
	at, doc := b.page("/posts/new")
	if doc.Find(`script#platform-rules[type="application/json"]`).Length() != 1 || doc.Find(`input[name="account_ids"][value="`+account+`"]`).Length() != 1 {
		t.Fatalf("compose page lacks the rules or the account: %q", text(doc.Find("main")))
	}
	typed := "Launch day 🚀 <b>soon</b>\nsecond line"
	res, doc = b.postForm(at, doc, "#compose", url.Values{"content": {typed}, "media_urls": {"https://cdn.example.com/a.png\nftp://nope"},
		"variant_" + account: {"draft variant"}, "action": {"draft"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("compose without accounts = %d, want 422", res.StatusCode)
	}
	if doc.Find("#accounts-error").Length() != 1 || !strings.Contains(doc.Find("#media-error").Text(), "line 2") {
		t.Errorf("field errors: accounts %q, media %q", doc.Find("#accounts-error").Text(), doc.Find("#media-error").Text())
	}
	if got := doc.Find("#content").Text(); strings.TrimPrefix(got, "\n") != typed {
		t.Errorf("content not kept: %q", got)
	}
	if got := doc.Find("#media_urls").Text(); !strings.Contains(got, "ftp://nope") || !strings.Contains(doc.Find("#variant-"+account).Text(), "draft variant") {
		t.Errorf("media or variant not kept: %q", got)
	}

	// Publishing a post too long for the sandbox saves nothing and shows the rule beside the account.
	long := strings.Repeat("ü", 5001)
	res, doc = b.postForm(res.Request.URL, doc, "#compose", url.Values{"content": {long}, "media_urls": {""}, "account_ids": {account},
		"variant_" + account: {""}, "action": {"publish"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#account-"+account+"-error").Text(), "5,000") {
		t.Fatalf("too long for the sandbox = %d, account error %q, page %q", res.StatusCode, doc.Find("#account-"+account+"-error").Text(), text(doc.Find("main")))
	}
	if !strings.Contains(doc.Find("#compose-error").Text(), "not saved or scheduled") || doc.Find("#compose").AttrOr("action", "") != "/posts" {
		t.Errorf("after a refused schedule the form should still write a new post: message %q, action %q", doc.Find("#compose-error").Text(), doc.Find("#compose").AttrOr("action", ""))
	}
	if !strings.Contains(doc.Find("#rule-warnings").Text(), "5,001 characters") {
		t.Errorf("rule warnings rendered on submit: %q", doc.Find("#rule-warnings").Text())
	}

	// A valid draft goes to its page.
	res, doc = b.postForm(res.Request.URL, doc, "#compose", url.Values{"content": {"Hello from the UI test #herald"}, "action": {"draft"}})
	id := postID(t, res, doc)
	if !strings.Contains(doc.Find("#alerts").Text(), "saved") || doc.Find("#post-content").Text() != "Hello from the UI test #herald" || doc.Find("#post-status").Text() != "draft" {
		t.Fatalf("draft page: alerts %q, content %q, status %q", doc.Find("#alerts").Text(), doc.Find("#post-content").Text(), doc.Find("#post-status").Text())
	}

	// Scheduled at 23:30 in New York, which is the next day in UTC: the page and the
	// calendar show the local day and time.
	b.setZone("America/New_York")
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Now().In(ny).AddDate(0, 0, 3)
	local := time.Date(day.Year(), day.Month(), day.Day(), 23, 30, 0, 0, ny)
	at, doc = b.page("/posts/" + id)
	res, doc = b.postForm(at, doc, "#schedule-form", url.Values{"scheduled_for": {local.Format("2006-01-02T15:04")}, "action": {"schedule"}})
	if res.StatusCode != http.StatusOK || doc.Find("#post-status").Text() != "scheduled" {
		t.Fatalf("schedule: %d, status %q, %q", res.StatusCode, doc.Find("#post-status").Text(), text(doc.Find("main")))
	}
	if got, want := doc.Find("#post-time").Text(), local.Format("Mon 2 Jan 2006, 15:04"); got != want {
		t.Errorf("scheduled time shown = %q, want %q", got, want)
	}
	if got := doc.Find("#post-time").AttrOr("datetime", ""); got != local.UTC().Format(time.RFC3339) {
		t.Errorf("datetime attribute = %q, want %s", got, local.UTC().Format(time.RFC3339))
	}
	if !strings.Contains(doc.Find("#post-state").Text(), "America/New_York") || doc.Find(`#post-page[data-live-events^="/posts/`+id+`/events?since="]`).Length() != 1 {
		t.Errorf("zone not named, or a scheduled post does not follow its event stream")
	}
	if doc.Find("[hx-trigger]").Length() != 0 {
		t.Error("the post page polls")
	}
	if res, doc := b.get("/posts/"+id+"/status", "HX-Request", "true"); res.StatusCode != http.StatusOK || doc.Find("form, input").Length() != 0 {
		t.Errorf("status of a scheduled post = %d with %d form elements, want 200 and none", res.StatusCode, doc.Find("form, input").Length())
	}

	date := local.Format("2006-01-02")
	// The month's day cell, the week's 23:00 hour of that day, the list's day.
	for _, view := range []string{"month", "week", "list"} {
		_, doc = b.page("/calendar?view=" + view + "&date=" + date)
		next := local.AddDate(0, 0, 1).Format("2006-01-02")
		cellOf := map[string]func(d string) string{
			"month": func(d string) string { return `.cal-day[data-date="` + d + `"]` },
			"week":  func(d string) string { return `.cal-slot[data-slot="` + d + `T23:00"]` },
			"list":  func(d string) string { return `#day-` + d },
		}[view]
		cell := doc.Find(cellOf(date))
		if !strings.Contains(text(cell), "23:30") || cell.Find(`a[href="/posts/`+id+`"]`).Length() != 1 {
			t.Errorf("%s view: the post is not on %s at 23:30: %q", view, date, text(cell))
		}
		if doc.Find(cellOf(next)+` a[href="/posts/`+id+`"]`).Length() != 0 {
			t.Errorf("%s view: the post also shows on the UTC day %s", view, next)
		}
		if !strings.Contains(doc.Find("main").Text(), "America/New_York") {
			t.Errorf("%s view does not name the zone", view)
		}
	}

	_, doc = b.page("/posts?status=scheduled")
	if doc.Find(`#posts li[data-post="`+id+`"]`).Length() != 1 || !strings.Contains(text(doc.Find("#posts")), accountName+" · pending") {
		t.Errorf("scheduled filter: %q", text(doc.Find("main")))
	}
	if _, doc = b.page("/posts?status=draft"); doc.Find(`#posts li[data-post="`+id+`"]`).Length() != 0 {
		t.Error("the scheduled post is listed under drafts")
	}

	at, doc = b.page("/posts/" + id)
	res, doc = b.postForm(at, doc, `form[action="/posts/`+id+`/unschedule"]`, nil)
	if doc.Find("#post-status").Text() != "draft" || !strings.Contains(doc.Find("#alerts").Text(), "no longer scheduled") {
		t.Fatalf("unschedule: %d, status %q", res.StatusCode, doc.Find("#post-status").Text())
	}

	// Publish now: the status fragment ends published and the target links to the post.
	at, doc = b.page("/posts/" + id)
	res, doc = b.postForm(at, doc, "#schedule-form", url.Values{"action": {"publish"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(doc.Find("#alerts").Text(), "publishing it now") {
		t.Fatalf("publish now: %d, %q", res.StatusCode, doc.Find("#alerts").Text())
	}
	final := b.waitForStatus(id, 30*time.Second)
	if got := final.Find(`#post-state[hx-swap-oob="true"] #post-status`).Text(); got != "published" {
		t.Errorf("final state line = %q, want published: %s", got, text(final.Selection))
	}
	if final.Find("#post-targets a.external").Length() != 1 || final.Find("form, input").Length() != 0 {
		t.Errorf("final fragment: external link %d, %d form elements", final.Find("#post-targets a.external").Length(), final.Find("form, input").Length())
	}
	if _, doc = b.page("/posts/" + id); doc.Find("#edit-post").Length() != 0 {
		t.Error("a published post offers Edit")
	}
	if res, _ := b.get("/posts/" + id + "/edit"); res.StatusCode != http.StatusConflict {
		t.Errorf("editing a published post = %d, want 409", res.StatusCode)
	}
}

func TestUI_PostsViewerAndOtherCompany(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Yann")
	owner.connectSandbox("/accounts", "allow")
	_, doc := owner.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := owner.page("/posts/new")
	res, doc := owner.postForm(at, doc, "#compose", url.Values{"content": {"Owner's post"}, "account_ids": {account}, "action": {"draft"}})
	id := postID(t, res, doc)

	viewer := newBrowser(t, m)
	viewerEmail := viewer.registerUI("Zoe")
	viewer.accept(owner.invite(viewerEmail, "viewer"))
	_, home := viewer.get("/")
	var company string
	home.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Yann Co" {
			company, _ = s.Attr("value")
		}
	})
	viewer.submit("/", "#company-switcher", map[string]string{"company_id": company})

	_, doc = viewer.page("/posts")
	if doc.Find(`#posts li[data-post="`+id+`"]`).Length() != 1 {
		t.Fatalf("the viewer does not see the post: %q", text(doc.Find("main")))
	}
	if doc.Find(`a[href="/posts/new"]`).Length() != 0 {
		t.Error("a viewer is invited to write a post")
	}
	_, doc = viewer.page("/posts/" + id)
	if n := doc.Find("#post-actions, #schedule-form, form[action^='/posts/']:not(#comment-form)").Length(); n != 0 { // viewers may comment
		t.Errorf("a viewer sees %d write controls on the post page", n)
	}
	_, doc = viewer.page("/accounts")
	if n := doc.Find(`form[action^="/accounts/"]`).Length(); n != 0 {
		t.Errorf("a viewer sees %d connect or disconnect forms", n)
	}
	if _, doc = viewer.page("/calendar"); doc.Find(`a[href="/posts/new"]`).Length() != 0 {
		t.Error("a viewer is invited to write a post on the calendar")
	}
	if res, _ := viewer.get("/posts/new"); res.StatusCode != http.StatusForbidden {
		t.Errorf("compose for a viewer = %d, want 403", res.StatusCode)
	}
	// The app refuses a forged form too.
	_, doc = viewer.page("/posts/" + id)
	forged := url.Values{"_csrf": {doc.Find(`input[name="_csrf"]`).First().AttrOr("value", "")}, "version": {"0"}}
	req, _ := http.NewRequest("POST", viewer.base+"/posts/"+id+"/delete", strings.NewReader(forged.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := viewer.send(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer deleting a post = %d, want 403", res.StatusCode)
	}

	stranger := newBrowser(t, m)
	stranger.registerUI("Abe")
	for _, p := range []string{"/posts/" + id, "/posts/" + id + "/edit", "/posts/" + id + "/status", "/posts/" + id + "/events", "/posts/not-a-uuid"} {
		if res, doc := stranger.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(doc.Text(), "Owner's post") {
			t.Errorf("another company's %s = %d, want 404", p, res.StatusCode)
		}
	}
	if res, doc := stranger.get("/posts/"+id+"/status", "HX-Request", "true"); res.Header.Get("HX-Retarget") != "#alerts" || strings.Contains(doc.Text(), "Owner's post") {
		t.Errorf("htmx refresh of another company's post = %d, HX-Retarget %q; want the gone message in #alerts", res.StatusCode, res.Header.Get("HX-Retarget"))
	}
	_, doc = stranger.page("/posts")
	csrf := doc.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	for _, action := range []string{"/delete", "/unschedule", "/schedule", ""} {
		req, _ := http.NewRequest("POST", stranger.base+"/posts/"+id+action, strings.NewReader(url.Values{"_csrf": {csrf}, "action": {"publish"}, "content": {"x"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, _ := stranger.send(req); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST another company's /posts/:id%s = %d, want 404", action, res.StatusCode)
		}
	}
	if _, doc := owner.page("/posts/" + id); doc.Find("#post-content").Text() != "Owner's post" {
		t.Error("the owner's post changed")
	}
}

func TestUI_ConnectOutcomesAndReturnTo(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Bea")

	res, doc := b.connectSandbox("/accounts", "deny")
	if res.Request.URL.Path != "/accounts" || !strings.Contains(doc.Find("#connect-notice").Text(), "You did not allow Herald") || doc.Find("#accounts").Length() != 0 {
		t.Errorf("denied: at %s, notice %q", res.Request.URL, doc.Find("#connect-notice").Text())
	}
	for code, want := range map[string]string{"expired": "expired", "refused": "refused", "forbidden": "role", "unavailable": "could not be reached",
		"failed": "went wrong", "<script>alert(1)</script>": "went wrong"} {
		_, doc := b.page("/accounts?connect_error=" + url.QueryEscape(code))
		if got := doc.Find("#connect-notice").Text(); !strings.Contains(got, want) || strings.Contains(doc.Find("main").Text(), "alert(1)") {
			t.Errorf("connect_error=%s: notice %q", code, got)
		}
	}

	// Connecting from the compose page comes back to it, with the account ready to tick.
	_, doc = b.page("/posts/new")
	if doc.Find(`#no-accounts form[action="/accounts/connect/sandbox"] input[name="return_to"][value="/posts/new"]`).Length() != 1 {
		t.Fatalf("compose without accounts does not offer to connect one: %q", text(doc.Find("main")))
	}
	res, doc = b.connectSandbox("/posts/new", "allow")
	if res.Request.URL.Path != "/posts/new" || !strings.Contains(doc.Find("#connect-notice").Text(), "connected") || doc.Find(`input[name="account_ids"]`).Length() != 1 {
		t.Errorf("connect from compose: at %s, notice %q", res.Request.URL, doc.Find("#connect-notice").Text())
	}

	// htmx gets the consent address in HX-Redirect; a foreign return_to falls back to /accounts.
	at, doc := b.page("/accounts")
	req := func(returnTo string, headers ...string) *http.Response {
		vals := formValues(doc.Find(`form[action="/accounts/connect/sandbox"]`))
		vals.Set("return_to", returnTo)
		r, _ := http.NewRequest("POST", at.ResolveReference(&url.URL{Path: "/accounts/connect/sandbox"}).String(), strings.NewReader(vals.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		client := *b.http
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := req("/accounts", "HX-Request", "true", "HX-Boosted", "true"); res.Header.Get("HX-Redirect") == "" || res.StatusCode >= 300 {
		t.Errorf("htmx connect: %d, HX-Redirect %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
	res = req("//evil.example/steal")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") == "" {
		t.Fatalf("connect = %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Finish that flow: it must come back to Herald's accounts page.
	consentReq, _ := http.NewRequest("GET", res.Header.Get("Location"), nil)
	res, consent := b.send(consentReq)
	res, doc = b.postForm(res.Request.URL, consent, `form:has(button[name="decision"])`, url.Values{"decision": {"allow"}})
	if res.Request.URL.Host != at.Host || res.Request.URL.Path != "/accounts" {
		t.Errorf("a foreign return_to led to %s", res.Request.URL)
	}
}

func TestUI_EditKeepsInputAndReportsStaleVersions(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Cid")
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := b.page("/posts/new")
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"Version one"}, "account_ids": {account},
		"variant_" + account: {"Sandbox only"}, "action": {"draft"}})
	id := postID(t, res, doc)

	editAt, edit := b.page("/posts/" + id + "/edit")
	if edit.Find("#content").Text() != "Version one" || edit.Find("#variant-"+account).Text() != "Sandbox only" {
		t.Fatalf("edit form not filled: %q / %q", edit.Find("#content").Text(), edit.Find("#variant-"+account).Text())
	}
	if _, ok := edit.Find(`input[name="account_ids"][value="` + account + `"]`).Attr("checked"); !ok {
		t.Error("the post's account is not ticked on the edit form")
	}
	// Someone else saves first.
	other, otherDoc := b.page("/posts/" + id + "/edit")
	if res, _ := b.postForm(other, otherDoc, "#compose", url.Values{"content": {"Version two"}, "action": {"draft"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("second editor's save = %d", res.StatusCode)
	}
	res, doc = b.postForm(editAt, edit, "#compose", url.Values{"content": {"My late change"}, "action": {"draft"}})
	if res.StatusCode != http.StatusPreconditionFailed || !strings.Contains(doc.Find("#compose-error").Text(), "Someone else changed this post") {
		t.Errorf("stale save = %d, %q", res.StatusCode, doc.Find("#compose-error").Text())
	}
	if doc.Find("#content").Text() != "My late change" {
		t.Errorf("the late change was lost: %q", doc.Find("#content").Text())
	}
	if _, doc := b.page("/posts/" + id); doc.Find("#post-content").Text() != "Version two" {
		t.Errorf("the stale save overwrote the post: %q", doc.Find("#post-content").Text())
	}

	// A time in the past is an error beside the time field; the text stays.
	at, doc = b.page("/posts/" + id + "/edit")
	res, doc = b.postForm(at, doc, "#compose", url.Values{"content": {"Scheduled text"}, "scheduled_for": {"2020-01-01T10:00"}, "action": {"schedule"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#scheduled-for-error").Text(), "past") || doc.Find("#content").Text() != "Scheduled text" {
		t.Errorf("past time: %d, error %q, content %q", res.StatusCode, doc.Find("#scheduled-for-error").Text(), doc.Find("#content").Text())
	}
	if v := doc.Find("#scheduled_for").AttrOr("value", ""); v != "2020-01-01T10:00" {
		t.Errorf("the typed time was not kept: %q", v)
	}
}

func TestUI_TimeZoneFromProfileOrBrowser(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Dov")
	if _, doc := b.page("/profile"); doc.Find("#zone-used").Text() != "UTC" {
		t.Errorf("zone without setting or cookie = %q, want UTC", doc.Find("#zone-used").Text())
	}
	base, _ := url.Parse(b.base)
	b.http.Jar.SetCookies(base, []*http.Cookie{{Name: "herald_tz", Value: "Asia/Tokyo", Path: "/"}})
	if _, doc := b.page("/calendar"); !strings.Contains(doc.Find("main").Text(), "Asia/Tokyo") {
		t.Error("the browser's zone (herald_tz) is not used")
	}
	at, doc := b.page("/profile")
	res, doc := b.postForm(at, doc, "#profile-form", url.Values{"time_zone": {"Mars/Olympus_Mons"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#time-zone-error").Length() != 1 {
		t.Errorf("unknown zone = %d, error %q", res.StatusCode, doc.Find("#time-zone-error").Text())
	}
	b.setZone("Australia/Eucla") // valid, though not in the list
	b.setZone("Europe/Berlin")
	if _, doc := b.page("/posts"); !strings.Contains(doc.Find("main").Text(), "Europe/Berlin") {
		t.Error("the saved zone does not win over the browser's")
	}
}

// TestUI_SandboxOperatorPageIsForSuperadmins publishes to the sandbox and reads the
// operator page: a 404 for everyone but superadmins, who see the post listed.
func TestUI_SandboxOperatorPageIsForSuperadmins(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	email := b.registerUI("Otto")
	b.connectSandbox("/accounts", "allow")
	c := newClient(t, m)
	st, _, login := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	if st != 200 {
		t.Fatal(st)
	}
	api := c.with(login["token"].(string), "")
	_, _, accts := api.do("GET", "/api/v1/accounts", nil)
	acct := accts["items"].([]any)[0].(map[string]any)["id"].(string)
	_, _, p := api.do("POST", "/api/v1/posts", map[string]any{"content": "Operator, can you see me?", "account_ids": []string{acct}})
	api.do("POST", "/api/v1/posts/"+p["id"].(string)+"/schedule", nil)
	deadline := time.Now().Add(20 * time.Second)
	for p["status"] != "published" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		_, _, p = api.do("GET", "/api/v1/posts/"+p["id"].(string), nil)
	}
	if res, _ := b.get("/sandbox/posts"); res.StatusCode != http.StatusForbidden {
		t.Errorf("operator page for a plain member = %d, want 403 (the operator guard of every operator tool)", res.StatusCode)
	}
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), email, "", ""); err != nil {
		t.Fatal(err)
	}
	res, doc := b.get("/sandbox/posts")
	if res.StatusCode != http.StatusOK || !strings.Contains(doc.Text(), "Operator, can you see me?") {
		t.Errorf("operator page for a superadmin = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
	if _, home := b.get("/"); home.Find(`nav a[href="/sandbox/posts"]`).Length() != 1 {
		t.Error("superadmins have no link to the sandbox's operator page")
	}
}

// openEvents opens an event stream as who and reads the names of its events into a
// channel until the body ends.
func openEvents(t *testing.T, who *browser, path string) (*http.Response, <-chan string) {
	t.Helper()
	req, _ := http.NewRequest("GET", who.base+path, nil)
	res, err := (&http.Client{Jar: who.http.Jar}).Do(req) // no client timeout: the stream stays open
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s = %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
	}()
	return res, events
}

// TestUI_EventStreamsSayWhenAPostChangesAndStayInTheirCompany opens the post page's and
// the calendar's event streams: each sends "change" when the post changes and nothing
// before, another company gets 404 for the post's stream and no event on its own calendar's
// stream for the same week, and a stream still open when
// Herald shuts down does not hold the shutdown up (Close fails the test if it does).
func TestUI_EventStreamsSayWhenAPostChangesAndStayInTheirCompany(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	b.registerUI("Eve")
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := b.page("/posts/new")
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"Streamed"}, "account_ids": {account}, "action": {"draft"}})
	id := postID(t, res, doc)
	postEvents := doc.Find("#post-page").AttrOr("data-live-events", "")
	day := time.Now().UTC().AddDate(0, 0, 2)
	_, cal := b.page("/calendar?view=week&date=" + day.Format(time.DateOnly))
	calendarEvents := cal.Find("#calendar-live").AttrOr("data-live-events", "")
	if postEvents == "" || calendarEvents == "" {
		t.Fatalf("no event streams on the pages: post %q, calendar %q", postEvents, calendarEvents)
	}

	openAs := func(who *browser, path string) (*http.Response, <-chan string) {
		t.Helper()
		return openEvents(t, who, path)
	}
	open := func(path string) (*http.Response, <-chan string) { t.Helper(); return openAs(b, path) }
	expect := func(what string, events <-chan string) {
		t.Helper()
		select {
		case name, ok := <-events:
			if name != "change" {
				t.Errorf("%s: got %q (open %t), want change", what, name, ok)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("%s: no change event within 20s", what)
		}
	}
	// quiet watches events for 3 s, long enough for a stray look (a notice, the listener
	// connecting) to show a false "change", while the test goes on; wait for it with <-.
	quiet := func(what string, events <-chan string) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			select {
			case name, ok := <-events:
				if ok {
					t.Errorf("%s: got event %q before anything changed", what, name)
				}
			case <-time.After(3 * time.Second):
			}
		}()
		return done
	}
	postRes, post := open(postEvents)
	calRes, calendar := open(calendarEvents)
	defer calRes.Body.Close()
	stranger := newBrowser(t, m)
	stranger.registerUI("Mallory")
	_, strangerCal := stranger.page("/calendar?view=week&date=" + day.Format(time.DateOnly))
	strangerRes, strangerEvents := openAs(stranger, strangerCal.Find("#calendar-live").AttrOr("data-live-events", ""))
	defer strangerRes.Body.Close()
	postQuiet, calendarQuiet := quiet("post stream, unchanged", post), quiet("calendar stream, unchanged", calendar)
	<-postQuiet
	<-calendarQuiet

	at, doc = b.page("/posts/" + id)
	if res, doc := b.postForm(at, doc, "#schedule-form", url.Values{"scheduled_for": {day.Format("2006-01-02T15:04")}, "action": {"schedule"}}); res.StatusCode != http.StatusOK {
		t.Fatalf("schedule = %d: %s", res.StatusCode, text(doc.Find("main")))
	}
	strangerQuiet := quiet("another company's calendar stream after scheduling", strangerEvents)
	expect("post stream after scheduling", post)
	expect("calendar stream after scheduling", calendar)

	if _, old := open(postEvents); true {
		expect("a stream opened with an old fingerprint", old)
	}
	if res, _ := stranger.get(postEvents); res.StatusCode != http.StatusNotFound {
		t.Errorf("another company's post stream = %d, want 404", res.StatusCode)
	}
	<-strangerQuiet
	_ = postRes // left open on purpose: shutting Herald down must end it
}

// TestUI_EventStreamsFollowChangesMadeElsewhere changes a post with SQL on a connection of
// its own, as another Herald process or a person at psql would: a target's reason, then the
// post's, then deleting it. The post page's stream says "change" after each, well before its
// slow re-check (30 s) could have found them, so PostgreSQL's notifications reached it.
func TestUI_EventStreamsFollowChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	b.registerUI("Olga")
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := b.page("/posts/new")
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"Changed elsewhere"}, "account_ids": {account}, "action": {"draft"}})
	id := postID(t, res, doc)
	streamRes, events := openEvents(t, b, doc.Find("#post-page").AttrOr("data-live-events", ""))
	defer streamRes.Body.Close()

	ctx := context.Background()
	other, err := pgxpool.New(ctx, m.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	changes := []struct{ what, sql string }{
		// The first event may come from the listener's first connection rather than from a
		// notification; the ones after it can only come from notifications.
		{"a target's reason", `UPDATE post_targets SET reason = 'set by hand' WHERE post_id = $1`},
		{"the target's reason again", `UPDATE post_targets SET reason = 'set by hand, twice' WHERE post_id = $1`},
		{"the post's reason", `UPDATE posts SET status_reason = 'set by hand' WHERE id = $1`},
		{"deleting the post", `DELETE FROM posts WHERE id = $1`},
	}
	for _, c := range changes {
		if _, err := other.Exec(ctx, c.sql, id); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		select {
		case name, ok := <-events:
			if !ok || name != "change" {
				t.Fatalf("after %s: got %q (open %t), want change", c.what, name, ok)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no change event within 20s after %s", c.what)
		}
	}
	if name, ok := <-events; ok {
		t.Errorf("the stream of a deleted post goes on: %q", name)
	}
}

// TestUI_RetryKeepsAFutureTimeAndAsksOnceItPassed fails two scheduled posts by
// disconnecting their account and reconnects it. The post due in 12 days says "was
// scheduled for" (not "was due"), and "Retry at its time" keeps that time. Once the other
// post's time has passed (Herald's clock moved on), its page offers publish now or a new
// time instead, and a stale retry form is refused with that choice rather than publishing.
func TestUI_RetryKeepsAFutureTimeAndAsksOnceItPassed(t *testing.T) {
	t.Parallel()
	var skew atomic.Int64
	m := startHeraldWith(t, app.Limits{}, nil, func(m *Main) {
		m.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	b := newBrowser(t, m)
	b.registerUI("Rita")
	b.connectSandboxAs("rita-sandbox")
	account := b.accountIDs("rita-sandbox")["rita-sandbox"]
	in12Days := time.Now().UTC().AddDate(0, 0, 12).Truncate(time.Minute)
	inAnHour := time.Now().UTC().Add(time.Hour).Truncate(time.Minute).Add(time.Minute)
	later := b.schedulePost("Due in 12 days", in12Days, account)
	soon := b.schedulePost("Due in an hour", inAnHour, account)
	at, doc := b.page("/accounts")
	if res, doc := b.postForm(at, doc, `form[action="/accounts/`+account+`/disconnect"]`, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("disconnect = %d: %s", res.StatusCode, text(doc.Find("main")))
	}
	b.connectSandboxAs("rita-sandbox")
	if again := b.accountIDs("rita-sandbox")["rita-sandbox"]; again != account {
		t.Fatalf("reconnecting made account %s, want %s", again, account)
	}

	at, doc = b.page("/posts/" + later)
	state := text(doc.Find("#post-state"))
	if doc.Find("#post-status").Text() != "failed" || !strings.Contains(state, "was scheduled for "+in12Days.Format("Mon 2 Jan 2006, 15:04")) || strings.Contains(state, "was due") {
		t.Errorf("failed post due in 12 days: %q", state)
	}
	res, doc := b.postForm(at, doc, `form[action="/posts/`+later+`/retry"]`, nil)
	if res.StatusCode != http.StatusOK || doc.Find("#post-status").Text() != "scheduled" || doc.Find("#post-time").Text() != in12Days.Format("Mon 2 Jan 2006, 15:04") ||
		!strings.Contains(doc.Find("#alerts").Text(), "scheduled for "+in12Days.Format("Mon 2 Jan 2006, 15:04")) {
		t.Errorf("retry: %d, status %q, time %q, alert %q", res.StatusCode, doc.Find("#post-status").Text(), doc.Find("#post-time").Text(), doc.Find("#alerts").Text())
	}

	// A retry form from before the time passed, sent after it.
	at, stale := b.page("/posts/" + soon)
	skew.Store(int64(2 * time.Hour))
	res, doc = b.postForm(at, stale, `form[action="/posts/`+soon+`/retry"]`, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(doc.Find("#schedule-error").Text(), "choose to publish it now or give it a new time") || doc.Find("#post-status").Text() != "failed" {
		t.Errorf("late retry = %d, status %q, message %q; want 409 asking to choose", res.StatusCode, doc.Find("#post-status").Text(), doc.Find("#schedule-error").Text())
	}
	if doc.Find("#retry").Length() != 0 || !strings.Contains(doc.Find("#retry-choice").Text(), "which has passed") || !strings.Contains(text(doc.Find("#post-state")), "was due") {
		t.Errorf("the page does not offer the choice: %q", text(doc.Find("#post-summary")))
	}
	newTime := time.Now().UTC().Add(5 * time.Hour).Truncate(time.Minute)
	res, doc = b.postForm(res.Request.URL, doc, "#schedule-form", url.Values{"scheduled_for": {newTime.Format("2006-01-02T15:04")}, "action": {"schedule"}})
	if res.StatusCode != http.StatusOK || doc.Find("#post-status").Text() != "scheduled" || doc.Find("#post-time").Text() != newTime.Format("Mon 2 Jan 2006, 15:04") {
		t.Errorf("retry at a new time: %d, status %q, time %q: %s", res.StatusCode, doc.Find("#post-status").Text(), doc.Find("#post-time").Text(), text(doc.Find("main")))
	}
}

// TestUI_RefusedScheduleSavesNothing sends the compose form with Schedule and a time in the
// past, with Publish now and a text too long, and with Enter in the date field (no button
// named): the refused ones leave no draft behind, and Enter with a time schedules.
func TestUI_RefusedScheduleSavesNothing(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Nils")
	b.connectSandboxAs("nils-sandbox")
	account := b.accountIDs("nils-sandbox")["nils-sandbox"]
	past := time.Now().UTC().Add(-3 * time.Hour).Format("2006-01-02T15:04")
	for _, try := range []url.Values{
		{"content": {"Too late"}, "scheduled_for": {past}, "action": {"schedule"}},
		{"content": {strings.Repeat("x", 5001)}, "action": {"publish"}},
		{"content": {strings.Repeat("x", 5001)}, "scheduled_for": {past}}, // Enter in the date field
	} {
		try.Set("account_ids", account)
		at, doc := b.page("/posts/new")
		res, doc := b.postForm(at, doc, "#compose", try)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#compose-error").Text(), "not saved or scheduled") {
			t.Errorf("%v: %d, message %q", try["action"], res.StatusCode, doc.Find("#compose-error").Text())
		}
		if got := doc.Find("#content").Text(); strings.TrimPrefix(got, "\n") != try.Get("content") {
			t.Errorf("%v: the text was not kept", try["action"])
		}
	}
	if _, doc := b.page("/posts"); doc.Find("#posts li").Length() != 0 {
		t.Fatalf("refused schedules left %d posts behind: %s", doc.Find("#posts li").Length(), text(doc.Find("#posts")))
	}
	at, doc := b.page("/posts/new")
	later := time.Now().UTC().Add(3 * time.Hour).Truncate(time.Minute)
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"Enter schedules"}, "account_ids": {account}, "scheduled_for": {later.Format("2006-01-02T15:04")}})
	postID(t, res, doc)
	if doc.Find("#post-status").Text() != "scheduled" || doc.Find("#post-time").Text() != later.Format("Mon 2 Jan 2006, 15:04") {
		t.Errorf("Enter with a time: status %q at %q, want scheduled", doc.Find("#post-status").Text(), doc.Find("#post-time").Text())
	}
}
