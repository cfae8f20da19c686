package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_ApprovalFlowWithTwoPeople: the owner requires approval for editors and
// invites an editor (a browser of their own); the editor writes a post and can only submit
// it; the owner sends it back from the Review page with a reason (required: without one
// the page says so); the editor sees the reason, fixes the post and submits it again; the
// owner approves it on its page and publishes it to the sandbox. Screenshots of the review
// page and of a post in review at 1440x900 and 390x844; axe finds nothing on either.
func TestBrowser_ApprovalFlowWithTwoPeople(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{}) // its own: the publish must not wait behind other tests' jobs
	owner := chrome(t, 1440, 900, 240*time.Second)
	editor := chrome(t, 1440, 900, 240*time.Second)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	ownerStep, editorStep := stepper(t, owner), stepper(t, editor)
	shots := func(ctx context.Context, name string, wait chromedp.Action[chromedp.Void]) {
		t.Helper()
		step := stepper(t, ctx)
		step("desktop "+name, chromedp.EmulateViewport(1440, 900), wait)
		screenshot(t, ctx, name+".png")
		step("phone "+name, chromedp.EmulateViewport(390, 844), wait)
		screenshot(t, ctx, name+"-phone.png")
		step("back to desktop", chromedp.EmulateViewport(1440, 900))
	}
	axe := func(ctx context.Context, page string) {
		t.Helper()
		if v := axeViolations(t, ctx); v != "" {
			t.Errorf("axe on %s:\n%s", page, v)
		}
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	browserRegister(t, owner, m.URL(), "Ada")
	browserConnectSandbox(t, owner, m.URL(), "ada-sandbox")
	ownerStep("require approval for editors",
		chromedp.Navigate(m.URL()+"/team"),
		chromedp.Click(css("#rule-editors")),
		chromedp.Click(css("#save-approvals")),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"]//*[contains(., "The approval rules were saved")]`)))
	ownerStep("invite the editor",
		chromedp.SendKeys(css("#member-email"), strings.ToLower(uniqueEmail("ben"))),
		chromedp.SetValue(css("#member-role"), "editor"),
		chromedp.Submit(css("#member-email")),
		chromedp.WaitVisible(css("#invitation-url")))
	link, err := chromedp.Run(owner, chromedp.Value(css("#invitation-url")))
	if err != nil {
		t.Fatal(err)
	}

	editorStep("join as editor",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("#invitation-summary")),
		chromedp.SendKeys(css("#name"), "Ben"),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(xpath(`//h1[@id="company-name" and text()="Ada Studio"]`)))
	editorStep("write a post",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.SendKeys(css("#content"), "Our autumn launch"))
	if n, err := chromedp.Run(editor, chromedp.Evaluate[int](`document.querySelectorAll("#schedule, #publish-now").length`)); err != nil || n != 0 {
		t.Errorf("the editor's composer offers Schedule or Publish now (%d, %v)", n, err)
	}
	editorStep("submit for approval",
		chromedp.Click(css("#submit-for-approval")),
		chromedp.WaitVisible(css("#approval-waiting")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="in review"]`)))
	postURL, err := chromedp.Run(editor, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	shots(editor, "post-in-review", chromedp.WaitVisible(css("#approval-waiting")))
	axe(editor, "the post in review")

	ownerStep("open the review page",
		chromedp.Navigate(m.URL()+"/"),
		chromedp.WaitVisible(css("#nav-review")),
		chromedp.Click(css("#nav-review")),
		chromedp.WaitVisible(css("#review-list")))
	if got := text(owner, "#review-count"); got != "1" {
		t.Errorf("review count = %q, want 1", got)
	}
	shots(owner, "review", chromedp.WaitVisible(css("#review-list")))
	axe(owner, "the review page")
	ownerStep("send back without a reason",
		chromedp.Click(css(".review-reject summary")),
		chromedp.Click(css(`.review-reject button[type="submit"]`)),
		chromedp.WaitVisible(xpath(`//p[contains(@class, "alert") and contains(., "say what should change")]`)))
	ownerStep("send back with a reason",
		chromedp.SendKeys(css(".review-reject textarea"), "Name the launch date, please."),
		chromedp.Click(css(`.review-reject button[type="submit"]`)),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"]//*[contains(., "Changes were requested")]`)),
		chromedp.WaitVisible(css("#review-empty")))

	editorStep("see the reason",
		chromedp.Navigate(postURL),
		chromedp.WaitVisible(css("#approval-comment")))
	if got := text(editor, "#approval-comment"); got != "Name the launch date, please." {
		t.Errorf("the editor sees %q", got)
	}
	editorStep("fix and submit again",
		chromedp.Click(css("#edit-post")),
		chromedp.WaitVisible(css("#compose")),
		chromedp.SetValue(css("#content"), "Our autumn launch: 1 October"),
		chromedp.Click(css("#submit-for-approval")),
		chromedp.WaitVisible(css("#approval-waiting")))

	ownerStep("approve on the post page",
		chromedp.Navigate(postURL),
		chromedp.WaitVisible(css("#approval-actions")),
		chromedp.Click(css("#approve")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="approved"]`)))
	ownerStep("publish it now",
		chromedp.Click(css(`#schedule-form button[name="action"][value="publish"]`)),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)),
		chromedp.WaitVisible(css("#post-targets a.external")))
	if got := text(owner, "#post-content"); got != "Our autumn launch: 1 October" {
		t.Errorf("published content = %q", got)
	}
}
