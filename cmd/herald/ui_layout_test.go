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

// schedulePost writes a post on the accounts and schedules it in two days (or saves a
// draft when when is ""), and returns the post page.
func (b *browser) schedulePost(content, when string, accounts ...string) (*http.Response, *goquery.Document) {
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
	m := startHerald(t, app.Limits{})
	when := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	company := func(name string, scheduled int, draft bool) (*browser, string) {
		b := newBrowser(t, m)
		b.registerUI(name)
		b.connectSandbox("/accounts", "allow")
		_, doc := b.page("/accounts")
		account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
		for range scheduled {
			b.schedulePost(name+"'s post", when, account)
		}
		if draft {
			b.schedulePost(name+"'s draft", "", account)
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
