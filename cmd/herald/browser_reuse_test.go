package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_SnippetsInsertAtTheCaretAndDuplicate saves a snippet on the Snippets page,
// inserts it in the composer at the caret of the post's text, saves the draft with a label,
// finds the label's chip and filter on the posts list, and duplicates the post into a new
// draft that opens in the composer with a notice. Screenshots at 1440x900 and 390x844.
func TestBrowser_SnippetsInsertAtTheCaretAndDuplicate(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }

	browserRegister(t, ctx, m.URL(), "Rui")
	browserConnectSandbox(t, ctx, m.URL(), "rui-browser")

	step("save a snippet",
		chromedp.Navigate(m.URL()+"/snippets"),
		chromedp.WaitVisible(css("#no-snippets")),
		chromedp.SendKeys(css("#snippet-name"), "Launch tags"),
		chromedp.SendKeys(css("#snippet-content"), "#launch #herald"),
		chromedp.Click(css("#save-snippet")),
		chromedp.WaitVisible(css("#snippets .snippet-card")))
	step("a second one with a name already taken is refused, keeping the text",
		chromedp.SendKeys(css("#snippet-name"), "LAUNCH TAGS"),
		chromedp.SendKeys(css("#snippet-content"), "kept text"),
		chromedp.Click(css("#save-snippet")),
		chromedp.WaitVisible(css("#snippet-name-error")))
	if got := eval(`document.querySelector("#snippet-content").value`); got != "kept text" {
		t.Errorf("the typed text after a refusal = %q", got)
	}
	step("another snippet", chromedp.Navigate(m.URL()+"/snippets"), chromedp.WaitVisible(css("#snippet-name")),
		chromedp.SendKeys(css("#snippet-name"), "Sign-off"),
		chromedp.SendKeys(css("#snippet-content"), "Thanks for reading!\n— The Rui team"),
		chromedp.Click(css("#save-snippet")),
		chromedp.WaitVisible(css(`#snippets .snippet-card:nth-child(2)`)))
	shot("reuse-snippets-desktop.png")

	step("compose and put the caret after Hello",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.SendKeys(css("#content"), "Hello world"),
		chromedp.SendKeys(css("#labels"), "Spring launch"))
	eval(`(() => { const c = document.querySelector("#content"); c.focus(); c.setSelectionRange(5, 5); return ""; })()`)
	step("open the snippet list and search it",
		chromedp.Click(css("#snippet-insert > summary")),
		chromedp.WaitVisible(css("#snippet-search")),
		chromedp.SendKeys(css("#snippet-search"), "launch"))
	if got := eval(`String(document.querySelectorAll("[data-snippet-item]:not([hidden])").length)`); got != "1" {
		t.Errorf("searching launch shows %s snippets, want 1", got)
	}
	step("insert", chromedp.Click(css(`[data-snippet-item]:not([hidden]) [data-snippet-insert]`)))
	if got := eval(`document.querySelector("#content").value`); got != "Hello #launch #herald world" {
		t.Errorf("after inserting at the caret the text is %q", got)
	}
	if got := eval(`document.querySelector("#platform-counters").textContent`); !strings.Contains(got, "27 /") {
		t.Errorf("the counter did not follow the insertion: %q", got)
	}
	// Into the first comment: it is focused last, so the snippet goes there, at its end.
	// A click, not element.focus(): in a tab that is not the browser's front one (the tests
	// share one Chromium), focus() may not fire the focus event the composer listens to.
	eval(`(() => { document.querySelector("#first_comment").value = "PS:"; return ""; })()`)
	step("focus the first comment", chromedp.Click(css("#first_comment")))
	eval(`(() => { const c = document.querySelector("#first_comment"); c.setSelectionRange(3, 3); return ""; })()`)
	step("insert into the first comment",
		chromedp.Click(css(`#snippet-search`)))
	eval(`(() => { const s = document.querySelector("#snippet-search"); s.value = ""; s.dispatchEvent(new Event("input", {bubbles: true})); return ""; })()`)
	step("insert the sign-off", chromedp.Click(css(`[data-snippet-item][data-name="Sign-off"] [data-snippet-insert]`)))
	if got := eval(`document.querySelector("#first_comment").value`); got != "PS: Thanks for reading!\n— The Rui team" {
		t.Errorf("the first comment after inserting = %q", got)
	}
	if got := eval(`document.querySelector("#content").value`); got != "Hello #launch #herald world" {
		t.Errorf("inserting into the comment changed the text: %q", got)
	}
	shot("reuse-compose-snippets-desktop.png")

	step("save the draft", chromedp.Click(css("#save-draft")), chromedp.WaitVisible(css("#post-summary")))
	if got := eval(`document.querySelector(".label-chips").textContent.trim()`); got != "Spring launch" {
		t.Errorf("the post's label chips = %q", got)
	}
	step("the posts list shows the label and filters by it",
		chromedp.Navigate(m.URL()+"/posts?label=spring+launch"),
		chromedp.WaitVisible(css("#posts")))
	if got := eval(`document.querySelector("#label-filter").value + "|" + document.querySelectorAll("#posts .post-row").length`); got != "Spring launch|1" {
		t.Errorf("label filter = %q, want the label selected and one post", got)
	}
	shot("reuse-posts-labels-desktop.png")

	step("duplicate from the list",
		chromedp.Click(css(`#posts .duplicate-post`)),
		chromedp.WaitVisible(css("#compose")))
	if got := eval(`document.querySelector("#alerts").textContent`); !strings.Contains(got, "This is a copy, saved as a new draft") {
		t.Errorf("after duplicating, the notice is %q", got)
	}
	if got := eval(`document.querySelector("#content").value + "|" + document.querySelector("#labels").value + "|" + location.pathname`); !strings.HasPrefix(got, "Hello #launch #herald world|Spring launch|/posts/") || !strings.HasSuffix(got, "/edit") {
		t.Errorf("the copy's composer = %q", got)
	}
	shot("reuse-duplicated-desktop.png")
	step("two posts now", chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")))
	if got := eval(`String(document.querySelectorAll("#posts .post-row").length)`); got != "2" {
		t.Errorf("%s posts after duplicating, want 2", got)
	}

	step("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/snippets"), chromedp.WaitVisible(css("#snippets")))
	shot("reuse-snippets-phone.png")
	step("phone compose", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#compose")),
		chromedp.Click(css("#snippet-insert > summary")), chromedp.WaitVisible(css("#snippet-search")))
	shot("reuse-compose-snippets-phone.png")
	step("phone posts", chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")))
	shot("reuse-posts-phone.png")
}
