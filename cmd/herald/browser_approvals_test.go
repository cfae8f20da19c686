package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/adapters/mail/mailtest"
	"github.com/heraldhq/herald/app"
)

// linkIn returns the first address in text that starts with prefix (an email's link).
func linkIn(t *testing.T, text, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `[^\s<>"]+`).FindString(text)
	if m == "" {
		t.Fatalf("no link to %s in:\n%s", prefix, text)
	}
	return m
}

// TestBrowser_ApprovalFlowWithTwoPeople: Herald sends email through a real SMTP server
// (Mailpit), and every email in the flow is read from it. The owner registers and verifies
// the address from the emailed link, requires approval for editors and invites an editor
// (a browser of their own) who joins through the emailed invitation; the editor writes a
// post and can only submit it, and the owner is emailed that it waits; the owner sends it
// back from the Review page with a reason (required: without one the page says so), and
// the editor is emailed the reason; the editor sees it, fixes the post and submits it
// again; the owner approves it on its page, the editor is emailed so, and the owner
// publishes it to the sandbox. Screenshots of the review page and of a post in review at
// 1440x900 and 390x844; axe finds nothing on either.
func TestBrowser_ApprovalFlowWithTwoPeople(t *testing.T) {
	t.Parallel()
	smtp := mailtest.Start(t, mailtest.Options{})
	// Its own Herald: the publish must not wait behind other tests' jobs.
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_SMTP_URL": smtp.SMTPURL(), "HERALD_SMTP_FROM": "Herald <herald@example.com>"})
	ownerEmail, editorEmail := strings.ToLower(uniqueEmail("ada")), strings.ToLower(uniqueEmail("ben"))
	owner := chrome(t, 1440, 900)
	editor := chrome(t, 1440, 900)
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

	ownerStep("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Ada"),
		chromedp.SendKeys(css("#email"), ownerEmail),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Ada Studio"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	verify := smtp.WaitFor(t, ownerEmail, "Confirm your email address")
	ownerStep("verify the address from the email",
		chromedp.Navigate(linkIn(t, smtp.Detail(t, verify.ID).Text, m.URL()+"/verify-email")),
		chromedp.WaitVisible(css("#verify-submit")),
		chromedp.Click(css("#verify-submit")),
		chromedp.WaitVisible(css("#verify-done")))
	browserConnectSandbox(t, owner, m.URL(), "ada-sandbox")
	ownerStep("require approval for editors",
		chromedp.Navigate(m.URL()+"/team"),
		chromedp.Click(css("#rule-editors")),
		chromedp.Click(css("#save-approvals")),
		chromedp.WaitVisible(xpath(`//div[@id="alerts"]//*[contains(., "The approval rules were saved")]`)))
	ownerStep("invite the editor",
		chromedp.SendKeys(css("#member-email"), editorEmail),
		chromedp.SetValue(css("#member-role"), "editor"),
		chromedp.Submit(css("#member-email")),
		chromedp.WaitVisible(css("#invitation-emailed")))
	invitation := smtp.WaitFor(t, editorEmail, "invited you to Ada Studio")
	link := linkIn(t, smtp.Detail(t, invitation.ID).Text, m.URL()+"/invitations/accept")

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
	waits := smtp.WaitFor(t, ownerEmail, "A post waits for your approval")
	if d := smtp.Detail(t, waits.ID); !strings.Contains(d.Text, postURL) || !strings.Contains(d.HTML, postURL) {
		t.Errorf("the approval request does not link to the post %s:\n%s", postURL, d.Text)
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

	changes := smtp.WaitFor(t, editorEmail, "Changes were requested on your post")
	if d := smtp.Detail(t, changes.ID); !strings.Contains(d.Text, "Name the launch date, please.") || !strings.Contains(d.Text, postURL) {
		t.Errorf("the editor's email lacks the reason or the link:\n%s", d.Text)
	}
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
	smtp.WaitFor(t, editorEmail, "was approved")
	ownerStep("publish it now",
		chromedp.Click(css(`#schedule-form button[name="action"][value="publish"]`)),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)),
		chromedp.WaitVisible(css("#post-targets a.external")))
	if got := text(owner, "#post-content"); got != "Our autumn launch: 1 October" {
		t.Errorf("published content = %q", got)
	}
	// Each event emailed each person once: nobody is told of their own action, and the
	// owner gets one request per submission.
	count := func(to, subject string) int {
		n := 0
		for _, msg := range smtp.Messages(t) {
			if strings.Contains(msg.Subject, subject) && len(msg.To) == 1 && strings.EqualFold(msg.To[0].Address, to) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		to, subject string
		want        int
	}{{ownerEmail, "A post waits for your approval", 2}, {editorEmail, "Changes were requested", 1}, {editorEmail, "was approved", 1},
		{editorEmail, "A post waits for your approval", 0}, {ownerEmail, "was approved", 0}} {
		if got := count(c.to, c.subject); got != c.want {
			t.Errorf("%d emails %q to %s, want %d", got, c.subject, c.to, c.want)
		}
	}
}
