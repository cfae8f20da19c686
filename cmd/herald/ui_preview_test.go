package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestUI_PreviewRendersTheFormAndStaysInTheCompany posts the compose form to the preview
// route as htmx does while typing (the panel alone) and as the Preview button does without
// JavaScript (the compose page, as typed, with the panel filled in); another company's
// account and library file named in a forged form show nothing of them; bad input never
// answers a 500; a viewer may not preview.
func TestUI_PreviewRendersTheFormAndStaysInTheCompany(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)

	rival := newBrowser(t, m)
	rival.registerUI("Rhea")
	rival.connectSandboxAs("rhea-secret-handle")
	rivalAccount := rival.accountIDs("rhea-secret-handle")["rhea-secret-handle"]
	var rivalMedia string
	if m.App.Media.Enabled() {
		_, doc := rival.uploadForm(map[string][]byte{"rival-plans.png": testPNG(t, 800, 600)})
		rivalMedia = mediaID(t, doc, "rival-plans.png")
	}

	owner := newBrowser(t, m)
	owner.registerUI("Pia")
	owner.connectSandboxAs("pia-shop")
	account := owner.accountIDs("pia-shop")["pia-shop"]
	var media string
	if m.App.Media.Enabled() {
		_, doc := owner.uploadForm(map[string][]byte{"shop.png": testPNG(t, 1200, 600)})
		media = mediaID(t, doc, "shop.png")
	}

	vals := url.Values{"content": {"New <b>drop</b> at https://example.com/spring #sale @friends"}, "account_ids": {account, rivalAccount},
		"media_urls": {"https://cdn.example.net/clip.mp4"}, "media_ids": {media, rivalMedia}, "scheduled_for": {"2031-05-04T09:30"}}
	res, doc := owner.postWithToken("/posts/preview", vals, true)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("htmx preview = %d: %s", res.StatusCode, text(doc.Selection))
	}
	if doc.Find("title, nav, form#compose").Length() != 0 {
		t.Error("the htmx answer is more than the preview panel")
	}
	panel := doc.Find("#pv-panel-" + account)
	if panel.Length() != 1 || doc.Find(`[role="tab"]`).Length() != 1 {
		t.Fatalf("want one card, for the company's own account: %s", text(doc.Selection))
	}
	if got := text(panel.Find(".pv-name")); got != "pia-shop" {
		t.Errorf("card name = %q", got)
	}
	if got := text(panel.Find(".pv-when")); got != "Sun 4 May 2031, 09:30" {
		t.Errorf("card time = %q", got)
	}
	if got := text(panel.Find(".pv-text")); !strings.Contains(got, "New <b>drop</b>") || panel.Find("b").Length() != 0 {
		t.Errorf("typed HTML: text %q, %d <b> elements", got, panel.Find("b").Length())
	}
	if text(panel.Find(".pv-tag")) != "#sale" || text(panel.Find(".pv-mention")) != "@friends" || panel.Find(".pv-link").AttrOr("title", "") != "https://example.com/spring" {
		t.Errorf("hashtag, mention, link: %q", panel.Find(".pv-text").Text())
	}
	wantMedia := 1
	if media != "" {
		wantMedia = 2
		if src := panel.Find(".pv-media img").AttrOr("src", ""); src == "" || strings.Contains(src, rivalMedia) {
			t.Errorf("the own file's thumbnail: %q", src)
		}
	}
	if got, want := text(panel.Find(".pv-count")), fmt.Sprintf("1/%d", wantMedia); wantMedia > 1 && got != want {
		t.Errorf("carousel count = %q, want %s", got, want)
	}
	html, _ := doc.Html()
	for _, leak := range []string{"rhea-secret-handle", rivalAccount, "rival-plans"} {
		if leak != "" && strings.Contains(html, leak) {
			t.Errorf("the preview shows another company's %q", leak)
		}
	}
	if rivalMedia != "" && strings.Contains(html, rivalMedia) {
		t.Error("the preview shows another company's library file")
	}

	// Without JavaScript: the whole compose page, as typed, with the preview filled in.
	at, page := owner.page("/posts/new")
	// The Preview button sends the compose form to its formaction.
	page.Find("#compose").SetAttr("action", page.Find("#preview-button").AttrOr("formaction", ""))
	res, doc = owner.postForm(at, page, "#compose", url.Values{"content": {"Plain form preview"}, "account_ids": {account}})
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/posts/preview" {
		t.Fatalf("Preview without JavaScript = %d at %s", res.StatusCode, res.Request.URL.Path)
	}
	if got := doc.Find("#content").Text(); got != "Plain form preview" || doc.Find("#preview-cards #pv-panel-"+account).Length() != 1 {
		t.Errorf("the page comes back with %q and %d cards", got, doc.Find("#preview-cards .pv-panel").Length())
	}
	if got := text(doc.Find("#preview-cards .pv-text").First()); got != "Plain form preview" {
		t.Errorf("preview text = %q", got)
	}

	// Bad input: a 4xx with the problem, never a 500.
	for name, v := range map[string]url.Values{
		"NUL in the text":        {"content": {"a\x00b"}, "account_ids": {account}},
		"not UTF-8":              {"content": {"\xff\xfe"}, "account_ids": {account}},
		"unknown account":        {"content": {"x"}, "account_ids": {"not-a-uuid", "00000000-0000-0000-0000-000000000000"}},
		"unknown media":          {"content": {"x"}, "account_ids": {account}, "media_ids": {"not-a-uuid", "00000000-0000-0000-0000-000000000000"}},
		"bad time":               {"content": {"x"}, "account_ids": {account}, "scheduled_for": {"yesterday-ish"}},
		"bad address":            {"content": {"x"}, "account_ids": {account}, "media_urls": {"::not a url\njavascript:alert(1)"}},
		"huge text":              {"content": {strings.Repeat("🚀", 20000)}, "account_ids": {account}},
		"another company's post": {"content": {"x"}, "post_id": {"00000000-0000-0000-0000-000000000000"}},
	} {
		for _, hx := range []bool{true, false} {
			res, doc := owner.postWithToken("/posts/preview", v, hx)
			if res.StatusCode >= 500 {
				t.Errorf("%s (htmx %v) = %d: %s", name, hx, res.StatusCode, text(doc.Selection))
			}
		}
	}
	if res, _ := owner.postWithToken("/posts/preview", url.Values{"content": {"x"}, "post_id": {"00000000-0000-0000-0000-000000000000"}}, false); res.StatusCode != http.StatusNotFound {
		t.Errorf("preview naming an unknown post = %d, want 404", res.StatusCode)
	}

	// A viewer may not write posts, so has no preview either.
	viewer := newBrowser(t, m)
	viewer.accept(owner.invite(viewer.registerUI("Vic"), "viewer"))
	_, home := viewer.get("/")
	var company string
	home.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Pia Co" {
			company, _ = s.Attr("value")
		}
	})
	viewer.submit("/", "#company-switcher", map[string]string{"company_id": company})
	if res, doc := viewer.postWithToken("/posts/preview", url.Values{"content": {"x"}, "account_ids": {account}}, true); res.StatusCode != http.StatusForbidden || strings.Contains(doc.Text(), "pia-shop") {
		t.Errorf("a viewer's preview = %d", res.StatusCode)
	}
}
