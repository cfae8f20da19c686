package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// composePost writes a post on the accounts and schedules it in two days (or saves a
// draft when when is ""), and returns the post page.
func (b *browser) composePost(content, when string, accounts ...string) (*http.Response, *goquery.Document) {
	b.t.Helper()
	at, doc := b.page("/posts/new")
	vals := url.Values{"content": {content}, "account_ids": accounts, "action": {"draft"}}
	if when != "" {
		vals.Set("action", "schedule")
		vals.Set("scheduled_for", when)
	}
	res, doc := b.postForm(at, doc, "#compose", vals)
	postID(b.t, res, doc)
	return res, doc
}

// TestUI_DisconnectConfirmationCountsScheduledPosts: the Disconnect button's confirmation
// says how many scheduled posts will fail on that account, counting its own company's
// scheduled posts on it only (not drafts, not another company's).
func TestUI_DisconnectConfirmationCountsScheduledPosts(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	when := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	company := func(name string, scheduled int, draft bool) (*browser, string) {
		b := newBrowser(t, m)
		b.registerUI(name)
		b.connectSandbox("/accounts", "allow")
		_, doc := b.page("/accounts")
		account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
		for range scheduled {
			b.composePost(name+"'s post", when, account)
		}
		if draft {
			b.composePost(name+"'s draft", "", account)
		}
		return b, account
	}
	confirm := func(b *browser, account string) string {
		_, doc := b.page("/accounts")
		return doc.Find(`#accounts tr[data-account="`+account+`"] form[action$="/disconnect"]`).AttrOr("hx-confirm", "")
	}

	vida, va := company("Vida", 2, true)
	otto, oa := company("Otto", 1, false)
	nils, na := company("Nils", 0, true)
	for _, c := range []struct {
		b       *browser
		account string
		want    string
	}{
		{vida, va, "2 scheduled posts will fail"},
		{otto, oa, "1 scheduled post will fail"},
		{nils, na, "No scheduled post goes to it"},
	} {
		if got := confirm(c.b, c.account); !strings.Contains(got, c.want) {
			t.Errorf("confirmation %q, want %q", got, c.want)
		}
	}
}

// TestUI_TimeZonePickersAreGroupedSelects: the company's zone (Settings) and the person's
// zone (Profile) are chosen from every IANA zone, grouped by region, with the current one
// selected; the server still refuses a name it does not know (422 beside the picker, the
// saved zone kept), and keeps a valid name that is not listed (an old alias).
func TestUI_TimeZonePickersAreGroupedSelects(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Zora")
	selected := func(doc *goquery.Document, sel string) string {
		return doc.Find(sel+" option[selected]").AttrOr("value", "<none>")
	}
	for _, p := range []struct{ path, sel string }{{"/settings", "#company-time-zone"}, {"/profile", "#time-zone"}} {
		_, doc := b.page(p.path)
		picker := doc.Find("select" + p.sel)
		if picker.Length() != 1 || picker.Find("option").Length() < 300 || picker.Find(`optgroup[label="Europe"] option[value="Europe/Berlin"]`).Length() != 1 ||
			picker.Find(`optgroup[label="America"] option[value="America/Argentina/Buenos_Aires"]`).Length() != 1 || doc.Find(`input[name="time_zone"]`).Length() != 0 {
			t.Errorf("%s: the zone picker is not a grouped select of every zone: %d options", p.path, picker.Find("option").Length())
		}
		if got := picker.Find(`option[value="America/Argentina/Buenos_Aires"]`).Text(); got != "Argentina / Buenos Aires" {
			t.Errorf("%s: Buenos Aires is labelled %q", p.path, got)
		}
	}
	if _, doc := b.page("/settings"); selected(doc, "#company-time-zone") != "UTC" {
		t.Errorf("a new company's zone: selected %q, want UTC", selected(doc, "#company-time-zone"))
	}

	at, doc := b.page("/settings")
	res, doc := b.postForm(at, doc, "#zone-form", url.Values{"time_zone": {"Mars/Olympus"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#zone-field-error").Text(), "not a time zone") ||
		selected(doc, "#company-time-zone") != "UTC" {
		t.Errorf("an unknown zone = %d, error %q, selected %q (want the saved UTC)", res.StatusCode, doc.Find("#zone-field-error").Text(), selected(doc, "#company-time-zone"))
	}
	for _, zone := range []string{"Asia/Kathmandu", "Asia/Calcutta"} {
		at, doc = b.page("/settings")
		if res, _ := b.postForm(at, doc, "#zone-form", url.Values{"time_zone": {zone}}); res.StatusCode != http.StatusOK {
			t.Fatalf("save %s = %d", zone, res.StatusCode)
		}
		if _, doc := b.page("/settings"); selected(doc, "#company-time-zone") != zone {
			t.Errorf("saved %s, selected %q", zone, selected(doc, "#company-time-zone"))
		}
	}

	at, doc = b.page("/profile")
	res, doc = b.postForm(at, doc, "#profile-form", url.Values{"time_zone": {"../../etc/passwd"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#time-zone-error").Length() != 1 || selected(doc, "#time-zone") != "" {
		t.Errorf("profile, unknown zone = %d, error %q, selected %q (want the browser's, as saved)", res.StatusCode, doc.Find("#time-zone-error").Text(), selected(doc, "#time-zone"))
	}
	b.setZone("Pacific/Chatham")
	if _, doc := b.page("/profile"); selected(doc, "#time-zone") != "Pacific/Chatham" {
		t.Errorf("profile: selected %q after saving Pacific/Chatham", selected(doc, "#time-zone"))
	}
}

// TestUI_UnscheduleConfirmsAndKeepsTheTime: Unschedule asks first, and the draft it leaves
// has the time it was scheduled for in its schedule form (in the viewer's zone), so
// scheduling it again is one click. A doctored time in the address is ignored.
func TestUI_UnscheduleConfirmsAndKeepsTheTime(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Uma")
	b.setZone("Asia/Kathmandu")
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	when := time.Now().In(mustZone(t, "Asia/Kathmandu")).Add(72 * time.Hour).Format("2006-01-02T15:04")
	res, doc := b.composePost("Later", when, account)
	if doc.Find("#post-status").Text() != "scheduled" {
		t.Fatalf("not scheduled: %q", text(doc.Find("main")))
	}
	if got := doc.Find("#post-scheduled-for").AttrOr("value", ""); got != when {
		t.Errorf("a scheduled post's Move to field = %q, want its time %q", got, when)
	}
	form := doc.Find(`form[action$="/unschedule"]`)
	if !strings.Contains(form.AttrOr("hx-confirm", ""), "Unschedule") || !strings.Contains(form.AttrOr("data-confirm", "")+form.AttrOr("hx-confirm", ""), "draft") {
		t.Errorf("Unschedule does not ask first: hx-confirm %q", form.AttrOr("hx-confirm", ""))
	}
	res, doc = b.postForm(res.Request.URL, doc, `form[action$="/unschedule"]`, nil)
	if res.StatusCode != http.StatusOK || doc.Find("#post-status").Text() != "draft" {
		t.Fatalf("unschedule = %d, status %q", res.StatusCode, doc.Find("#post-status").Text())
	}
	if got := doc.Find("#post-scheduled-for").AttrOr("value", ""); got != when {
		t.Errorf("after unscheduling, the schedule form holds %q, want the former time %q", got, when)
	}
	if res, doc := b.get(res.Request.URL.Path + "?at=%3Cscript%3E"); res.StatusCode != http.StatusOK || doc.Find("#post-scheduled-for").AttrOr("value", "") != "" {
		t.Errorf("a doctored time: %d, field %q", res.StatusCode, doc.Find("#post-scheduled-for").AttrOr("value", ""))
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
