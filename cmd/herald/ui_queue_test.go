package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestUI_QueueWithoutJavaScript saves weekly times from the slot editor (a bad time comes
// back beside its field with what was typed), adds a post to the queue from the composer
// and a draft from its page, lists both on the queue page, and keeps another company's
// person from adding acme's posts to a queue or swapping their times (404).
func TestUI_QueueWithoutJavaScript(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Queuer")
	b.connectSandboxAs("queuer-one")
	account := b.accountIDs("queuer-one")["queuer-one"]

	at, doc := b.page("/queue")
	res, doc := b.postForm(at, doc, "#slot-editor", url.Values{"day_1": {"25:99, 10:00"}})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#day_1").AttrOr("value", "") != "25:99, 10:00" ||
		!strings.Contains(text(doc.Find("#day_1-error")), "25:99") || doc.Find("#day_1").AttrOr("aria-invalid", "") != "true" {
		t.Fatalf("a bad time = %d, field %q, error %q", res.StatusCode, doc.Find("#day_1").AttrOr("value", ""), text(doc.Find("#day_1-error")))
	}
	at, doc = b.page("/queue")
	res, doc = b.postForm(at, doc, "#slot-editor", url.Values{"workdays": {"10:00"}, "day_6": {"10:00"}, "day_7": {"10:00, 16:00"}})
	if res.Request.URL.Path != "/queue" || doc.Find("#day_3").AttrOr("value", "") != "10:00" || doc.Find("#day_7").AttrOr("value", "") != "10:00, 16:00" {
		t.Fatalf("saving times landed on %s with Wednesday %q: %s", res.Request.URL.Path, doc.Find("#day_3").AttrOr("value", ""), text(doc.Find("main")))
	}

	page, doc := b.page("/posts/new")
	res, doc = b.postForm(page, doc, "#compose", url.Values{"content": {"From the composer"}, "account_ids": {account}, "action": {"queue"}})
	composed := postID(t, res, doc)
	if doc.Find("#post-status").Text() != "scheduled" || !strings.Contains(text(doc.Find("#alerts")), "added to the queue") {
		t.Fatalf("Add to queue from the composer: %q, alerts %q", doc.Find("#post-status").Text(), text(doc.Find("#alerts")))
	}
	page, doc = b.page("/posts/new")
	res, doc = b.postForm(page, doc, "#compose", url.Values{"content": {"A draft first"}, "account_ids": {account}, "action": {"draft"}})
	draft := postID(t, res, doc)
	button := doc.Find("#post-add-to-queue")
	if button.Length() == 0 {
		t.Fatalf("a draft's page has no Add to queue: %s", text(doc.Find("main")))
	}
	form := button.Closest("form")
	vals := formValues(form)
	req, _ := http.NewRequest("POST", b.base+button.AttrOr("formaction", ""), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, doc = b.send(req)
	if doc.Find("#post-status").Text() != "scheduled" {
		t.Fatalf("Add to queue from the draft's page = %d %q: %s", res.StatusCode, doc.Find("#post-status").Text(), text(doc.Find("main")))
	}
	_, doc = b.page("/queue")
	var listed []string
	doc.Find(".queue-entry.queued").Each(func(_ int, s *goquery.Selection) { listed = append(listed, s.AttrOr("data-post", "")) })
	if len(listed) != 2 || listed[0] != composed || listed[1] != draft {
		t.Fatalf("queue page lists %v, want [%s %s]", listed, composed, draft)
	}

	rival := newBrowser(t, m)
	rival.registerUI("Rivalq")
	_, rdoc := rival.page("/queue")
	csrf := rdoc.Find(`#slot-editor input[name="_csrf"]`).AttrOr("value", "")
	for path, vals := range map[string]url.Values{
		"/posts/" + composed + "/queue": {"_csrf": {csrf}},
		"/queue/swap":                   {"_csrf": {csrf}, "post": {composed}, "other": {draft}},
	} {
		req, _ := http.NewRequest("POST", rival.base+path, strings.NewReader(vals.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res, _ := rival.send(req); res.StatusCode != http.StatusNotFound {
			t.Errorf("rival POST %s = %d, want 404", path, res.StatusCode)
		}
	}
	if _, rdoc = rival.page("/queue"); rdoc.Find(".queue-entry.queued").Length() != 0 {
		t.Error("the rival's queue page shows acme's posts")
	}
	_, doc = b.page("/queue")
	var after []string
	doc.Find(".queue-entry.queued").Each(func(_ int, s *goquery.Selection) { after = append(after, s.AttrOr("data-post", "")) })
	if strings.Join(after, " ") != strings.Join(listed, " ") {
		t.Errorf("acme's queue after the rival's tries = %v, want %v", after, listed)
	}
}
