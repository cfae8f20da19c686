package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUI_ComposeKeepsFirstCommentsAndLabels: the composer takes a first comment, an
// account's own one and comma-separated labels; a refused form keeps every one as typed
// with the problem beside its field, and a saved post shows them again when edited.
func TestUI_ComposeKeepsFirstCommentsAndLabels(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	b.registerUI("Cora")
	b.connectSandboxAs("cora-sandbox")
	account := b.accountIDs("cora-sandbox")["cora-sandbox"]

	at, doc := b.page("/posts/new")
	if doc.Find("#first_comment").Length() != 1 || doc.Find("#labels").Length() != 1 || doc.Find("#comment-"+account).Length() != 1 {
		t.Fatalf("the composer lacks the first comment, labels or the account's own comment: %q", text(doc.Find("#compose")))
	}
	long := strings.Repeat("x", 41)
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"Launch"}, "account_ids": {account}, "action": {"draft"},
		"first_comment": {"More: https://example.com <b>"}, "comment_" + account: {"Sandbox's own"}, "labels": {"Spring launch, " + long}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#labels-error").Text(), "label 2") {
		t.Fatalf("a too long label = %d, labels error %q", res.StatusCode, doc.Find("#labels-error").Text())
	}
	if strings.TrimPrefix(doc.Find("#first_comment").Text(), "\n") != "More: https://example.com <b>" ||
		strings.TrimPrefix(doc.Find("#comment-"+account).Text(), "\n") != "Sandbox's own" || doc.Find("#labels").AttrOr("value", "") != "Spring launch, "+long {
		t.Fatalf("typed values not kept: comment %q, own %q, labels %q", doc.Find("#first_comment").Text(), doc.Find("#comment-"+account).Text(), doc.Find("#labels").AttrOr("value", ""))
	}

	res, doc = b.postForm(res.Request.URL, doc, "#compose", url.Values{"labels": {" Spring launch ,spring LAUNCH, Q2 "}, "action": {"draft"}})
	id := postID(t, res, doc)
	_, doc = b.page("/posts/" + id + "/edit")
	if got := doc.Find("#labels").AttrOr("value", ""); got != "Spring launch, Q2" {
		t.Errorf("labels when editing = %q", got)
	}
	if strings.TrimPrefix(doc.Find("#first_comment").Text(), "\n") != "More: https://example.com <b>" || strings.TrimPrefix(doc.Find("#comment-"+account).Text(), "\n") != "Sandbox's own" {
		t.Errorf("comments when editing: %q, %q", doc.Find("#first_comment").Text(), doc.Find("#comment-"+account).Text())
	}
}
