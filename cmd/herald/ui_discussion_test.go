package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestUI_ThreadWithoutJavaScriptAndAnotherCompany comments on a post through the plain
// form (the owner, with a mention; a viewer), makes and revokes a review link from the
// post page, and reaches none of it from another company.
func TestUI_ThreadWithoutJavaScriptAndAnotherCompany(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Ines")
	owner.connectSandbox("/accounts", "allow")
	_, doc := owner.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := owner.page("/posts/new")
	res, doc := owner.postForm(at, doc, "#compose", url.Values{"content": {"Thread post"}, "account_ids": {account}, "action": {"draft"}})
	id := postID(t, res, doc)

	viewer := newBrowser(t, m)
	viewerEmail := viewer.registerUI("Omar")
	viewer.accept(owner.invite(viewerEmail, "viewer"))

	at, doc = owner.page("/posts/" + id)
	res, doc = owner.postForm(at, doc, "#comment-form", url.Values{"body": {"@Omar please check the hashtag"}})
	if res.Request.URL.Path != "/posts/"+id || doc.Find("#thread-list .thread-entry").Length() != 1 || text(doc.Find("#thread-list mark.mention")) != "@Omar" {
		t.Fatalf("after commenting: %s %d, thread %q", res.Request.URL.Path, res.StatusCode, text(doc.Find("#thread-list")))
	}
	res, doc = owner.postForm(at, doc, "#comment-form", url.Values{"body": {"   "}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#comment-error").Length() != 1 {
		t.Errorf("an empty comment = %d, error %q", res.StatusCode, text(doc.Find("#comment-error")))
	}
	// htmx gets the list with the new comment.
	at, doc = owner.page("/posts/" + id)
	res, doc = owner.postForm(at, doc, "#comment-form", url.Values{"body": {"Second"}}, "HX-Request", "true")
	if res.StatusCode != http.StatusOK || doc.Find("#thread-list .thread-entry").Length() != 2 || doc.Find("#comment-form").Length() != 0 {
		t.Errorf("htmx comment = %d: %q", res.StatusCode, text(doc.Find("body")))
	}

	at, doc = owner.page("/posts/" + id)
	res, doc = owner.postForm(at, doc, "#review-link-form", url.Values{"days": {"7"}})
	link := doc.Find("#review-link-url").AttrOr("value", "")
	linkID := doc.Find("#review-link-list li").AttrOr("data-link", "")
	if res.StatusCode != http.StatusCreated || !strings.Contains(link, "/review/hrd_rev_") || linkID == "" {
		t.Fatalf("make a review link = %d, %q %q", res.StatusCode, link, linkID)
	}
	if _, again := owner.page("/posts/" + id); again.Find("#review-link-url").Length() != 0 || strings.Contains(again.Text(), link) {
		t.Error("the link's address is shown again")
	}

	stranger := newBrowser(t, m)
	stranger.registerUI("Pia")
	for _, p := range []string{"/posts/" + id + "/comments", "/posts/" + id + "/comments/events"} {
		if res, doc := stranger.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(doc.Text(), "hashtag") {
			t.Errorf("another company's %s = %d, want 404", p, res.StatusCode)
		}
	}
	_, sdoc := stranger.page("/posts")
	csrf := sdoc.Find(`input[name="_csrf"]`).First().AttrOr("value", "")
	for _, path := range []string{"/posts/" + id + "/comments", "/posts/" + id + "/review-links", "/review-links/" + linkID + "/revoke"} {
		req, _ := http.NewRequest("POST", stranger.base+path, strings.NewReader(url.Values{"_csrf": {csrf}, "body": {"x"}, "days": {"7"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, _ := stranger.send(req); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST another company's %s = %d, want 404", path, res.StatusCode)
		}
	}

	// The viewer reads and comments, and sees no review links.
	_, home := viewer.get("/")
	company := ""
	home.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Ines Co" {
			company = s.AttrOr("value", "")
		}
	})
	viewer.submit("/", "#company-switcher", map[string]string{"company_id": company})
	vat, vdoc := viewer.page("/posts/" + id)
	if vdoc.Find("#review-links").Length() != 0 {
		t.Error("a viewer sees the review links")
	}
	if res, vdoc := viewer.postForm(vat, vdoc, "#comment-form", url.Values{"body": {"Looks fine to me"}}); vdoc.Find("#thread-list .thread-entry").Length() != 3 {
		t.Errorf("the viewer's comment = %d: %q", res.StatusCode, text(vdoc.Find("#thread-list")))
	}

	// Revoked, the link's page says so.
	at, doc = owner.page("/posts/" + id)
	if res, _ := owner.postForm(at, doc, `form[action="/review-links/`+linkID+`/revoke"]`, nil); res.Request.URL.Path != "/posts/"+id {
		t.Errorf("revoke landed on %s", res.Request.URL.Path)
	}
	client := newBrowser(t, m)
	if res, doc := client.get(strings.TrimPrefix(link, m.URL())); res.StatusCode != http.StatusGone || doc.Find("#review-gone").Length() != 1 {
		t.Errorf("the revoked link = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
}
