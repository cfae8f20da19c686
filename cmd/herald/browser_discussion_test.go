package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_ReviewLinkClientCommentsAndApproves has a member write a post, comment on it
// and make a review link; a signed-out browser opens the link, comments and approves; the
// member's thread shows both answers live, without losing what the member is typing.
// Screenshots of the thread and the review page at 1440x900 and 390x844, each checked
// with axe.
func TestBrowser_ReviewLinkClientCommentsAndApproves(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	team := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, team)
	eval := evaluator(t, team)

	browserRegister(t, team, m.URL(), "Nadia")
	browserConnectSandbox(t, team, m.URL(), "nadia-review")
	step("write a draft",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.SendKeys(css("#content"), "Our spring collection lands on Monday. #spring"),
		chromedp.Click(css("#save-draft")),
		chromedp.WaitVisible(css("#discussion")))
	postURL := eval(`location.pathname`)
	step("comment, with the @ list of members",
		chromedp.SendKeys(css("#comment-body"), "Ready for the client, I think. @"),
		chromedp.WaitReady(css("#mention-list[hidden]"))) // only Nadia here, who is not suggested to herself
	step("send the comment",
		chromedp.SendKeys(css("#comment-body"), "\b"),
		chromedp.Click(css("#comment-submit")),
		chromedp.WaitVisible(css(`#thread-list .thread-entry[data-kind="comment"]`)))
	if got := eval(`document.querySelector("#comment-body").value`); got != "" {
		t.Errorf("after sending, the comment box holds %q", got)
	}
	step("make a review link",
		chromedp.SetValue(css("#review-days"), "30"),
		chromedp.Click(css("#review-link-create")),
		chromedp.WaitVisible(css("#review-link-url")))
	link := eval(`document.querySelector("#review-link-url").value`)
	if !strings.HasPrefix(link, m.URL()+"/review/") {
		t.Fatalf("review link = %q", link)
	}
	// Something half-typed, which the live thread must leave alone.
	step("start typing", chromedp.SendKeys(css("#comment-body"), "Waiting for their answer"))

	client := chrome(t, 390, 844)
	cstep := stepper(t, client)
	cstep("open the link signed out",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(".review-item")))
	if v := axeViolations(t, client); v != "" {
		t.Errorf("axe on the review page:\n%s", v)
	}
	screenshot(t, client, "review-page-phone.png")
	cstep("a comment without a name is refused",
		chromedp.SendKeys(css(".review-form textarea"), "Lovely. Could it say Tuesday?"),
		chromedp.Click(css(`.review-form button[value="comment"]`)),
		chromedp.WaitVisible(css(".review-form .field-error")))
	cstep("comment with a name",
		chromedp.SendKeys(css(`.review-form input[name="name"]`), "Cleo Client"),
		chromedp.Click(css(`.review-form button[value="comment"]`)),
		chromedp.WaitVisible(css("#review-thanks")))
	cstep("approve",
		chromedp.SendKeys(css(`.review-form input[name="name"]`), "Cleo Client"),
		chromedp.Click(css(`.review-form button[value="approve"]`)),
		chromedp.WaitVisible(css(`#review-thanks`)),
		chromedp.WaitVisible(css(`.thread-entry[data-kind="client_approval"]`)))
	cstep("desktop", chromedp.EmulateViewport(1440, 900), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	if v := axeViolations(t, client); v != "" {
		t.Errorf("axe on the answered review page:\n%s", v)
	}
	screenshot(t, client, "review-page-desktop.png")
	cstep("a link that does not exist", chromedp.Navigate(m.URL()+"/review/hrd_rev_nothing"), chromedp.WaitVisible(css("#review-missing")))
	if v := axeViolations(t, client); v != "" {
		t.Errorf("axe on the missing link's page:\n%s", v)
	}
	screenshot(t, client, "review-missing-desktop.png")
	for _, p := range consoleOf(client).take() { // the page's own 404 is expected
		if !strings.Contains(p, "404") {
			t.Errorf("console: %s", p)
		}
	}

	// The member's page follows without a reload, and keeps the text being typed.
	step("the thread shows the client's answers",
		chromedp.WaitVisible(css(`#thread-list .thread-entry.by-client[data-kind="client_approval"]`)),
		chromedp.WaitVisible(css(`#thread-list .thread-entry.by-client[data-kind="comment"]`)))
	if got := eval(`document.querySelector("#comment-body").value`); got != "Waiting for their answer" {
		t.Errorf("the live refresh changed the comment box: %q", got)
	}
	if got := eval(`location.pathname`); got != postURL {
		t.Errorf("the page moved to %q", got)
	}
	if got := eval(`document.querySelector("#thread-list").textContent`); !strings.Contains(got, "Cleo Client") || !strings.Contains(got, "Could it say Tuesday?") {
		t.Errorf("thread = %q", got)
	}
	if v := axeViolations(t, team); v != "" {
		t.Errorf("axe on the post page with its thread:\n%s", v)
	}
	eval(`(() => { window.scrollTo(0, 0); return ""; })()`)
	screenshot(t, team, "post-thread-desktop.png")
	step("phone", chromedp.EmulateViewport(390, 844), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	screenshot(t, team, "post-thread-phone.png")
	step("the thread beside the composer",
		chromedp.Navigate(m.URL()+postURL+"/edit"),
		chromedp.WaitVisible(css(`.compose-side #thread-list .thread-entry[data-kind="client_approval"]`)))
	step("desktop again", chromedp.EmulateViewport(1440, 900))
	screenshot(t, team, "compose-thread-desktop.png")
}
