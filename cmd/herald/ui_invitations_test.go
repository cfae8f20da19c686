package main

import (
	"net/http"
	"strings"

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
