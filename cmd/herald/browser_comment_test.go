package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_FirstCommentShownAndRetried publishes a post with a first comment from the
// composer, sees the comment published on the post page, then (its state set to failed as
// a platform's refusal would) retries it with the page's button, at desktop and phone
// sizes, with screenshots of each state.
func TestBrowser_FirstCommentShownAndRetried(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	browserRegister(t, ctx, m.URL(), "Cora")
	browserConnectSandbox(t, ctx, m.URL(), "cora-desk")
	const comment = "Sizes and prices: https://example.com/spring"
	step("publish a post with a first comment",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name="account_ids"]').forEach((b) => { b.checked = true; })`),
		chromedp.SendKeys(css("#content"), "Spring collection is live"),
		chromedp.SendKeys(css("#first_comment"), comment),
		chromedp.Click(css("#publish-now")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)),
		chromedp.WaitVisible(css(`.target-comment[data-comment-status="published"]`)))
	if got := eval(`document.querySelector(".target-comment .comment-text").textContent`); got != comment {
		t.Errorf("the post page shows the comment %q", got)
	}
	postPath := eval(`location.pathname`)
	id := strings.TrimPrefix(postPath, "/posts/")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		step(size.name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(m.URL()+postPath), chromedp.WaitVisible(css("#post-targets")))
		screenshot(t, ctx, size.name+"-post-comment-published.png")
	}
	// The platform refused the comment: the page says why and offers to send it again.
	if _, err := m.db.Pool().Exec(context.Background(), `UPDATE post_targets SET comment_status = 'failed', comment_external_id = '',
		comment_reason = 'The sandbox refused the comment (an injected permanent failure).', comment_published_at = NULL WHERE post_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		step(size.name+" failed", chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(m.URL()+postPath),
			chromedp.WaitVisible(css(`form.retry-comment button`)))
		screenshot(t, ctx, size.name+"-post-comment-failed.png")
	}
	step("retry the comment",
		chromedp.Click(css(`form.retry-comment button`)),
		chromedp.WaitVisible(css(`.target-comment[data-comment-status="published"]`)))
	if eval(`String(document.querySelectorAll("form.retry-comment").length)`) != "0" {
		t.Error("a published comment still offers Retry comment")
	}
	var comments int
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sandbox_posts WHERE reference LIKE 'comment/%/' || $1 || '/%'`, id).Scan(&comments); err != nil {
		t.Fatal(err)
	}
	if comments != 2 {
		t.Errorf("the sandbox holds %d comments, want the first one and the retried one", comments)
	}
}
