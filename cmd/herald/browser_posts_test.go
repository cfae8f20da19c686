package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_ComposeCountsLiveAndPublishes drives Chromium through connecting the sandbox,
// writing a post while app.js counts characters and checks the platform rules, publishing
// it, and watching the post page update itself (htmx polling, 286, out-of-band summary).
// Screenshots of the compose page, the post and the calendar on a phone go to test-output/.
func TestBrowser_ComposeCountsLiveAndPublishes(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	ctx := chrome(t, 1280, 1000, 90*time.Second)

	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return out
	}
	// setContent replaces the post's text as typing would, firing the input event app.js listens to.
	setContent := func(js string) {
		t.Helper()
		eval(`(() => { const c = document.querySelector("#content"); c.value = ` + js + `; c.dispatchEvent(new Event("input", {bubbles: true})); return ""; })()`)
	}
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }

	step("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Gil"),
		chromedp.SendKeys(css("#email"), strings.ToLower(uniqueEmail("gil"))),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Gil Studio"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	if zone := eval(`document.cookie.match(/herald_tz=([^;]*)/)?.[1] ?? ""`); zone == "" {
		t.Error("app.js did not send the browser's time zone (herald_tz cookie)")
	}
	// Connect goes to the sandbox's consent page through HX-Redirect (the form is boosted).
	step("connect the sandbox",
		chromedp.Navigate(m.URL()+"/accounts"),
		chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
		chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)))
	eval(`(() => { const h = document.querySelector("#handle"); if (h && !h.value) { h.value = "gil-browser"; } return ""; })()`)
	step("allow",
		chromedp.Click(css(`button[name="decision"][value="allow"]`)),
		chromedp.WaitVisible(css("#connect-notice")),
		chromedp.WaitVisible(css("#accounts")))

	step("open compose", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#compose")))
	if hidden := eval(`String(document.querySelector("[data-variant-for]").hidden)`); hidden != "true" {
		t.Errorf("the variant of an unticked account is shown (hidden = %s)", hidden)
	}
	step("tick the account and type",
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.SendKeys(css("#content"), "Hello world #one"))
	if hidden := eval(`String(document.querySelector("[data-variant-for]").hidden)`); hidden != "false" {
		t.Error("ticking the account does not offer its own text")
	}
	if got := eval(`document.querySelector("#platform-counters").textContent`); !strings.Contains(got, "Sandbox 16 / 5,000") {
		t.Errorf("live counter = %q, want Sandbox 16 / 5,000", got)
	}
	setContent(`"🚀".repeat(5001)`)
	if got := eval(`document.querySelector("#rule-warnings").textContent`); !strings.Contains(got, "is 5,001 characters long; Sandbox allows 5,000") {
		t.Errorf("5,001 rockets (code points, not UTF-16 units): warnings %q", got)
	}
	if got := eval(`document.querySelector("#platform-counters li").className`); got != "over" {
		t.Errorf("an over-long text is not marked: class %q", got)
	}
	setContent(`Array.from({length: 31}, (_, i) => "#tag" + i).join(" ")`)
	if got := eval(`document.querySelector("#rule-warnings").textContent`); !strings.Contains(got, "has 31 hashtags; Sandbox allows 30") {
		t.Errorf("hashtag rule: warnings %q", got)
	}
	setContent(`"Live from the browser 🚀"`)
	if got := eval(`document.querySelector("#rule-warnings").textContent + "|" + document.querySelector("#rules-ok").hidden`); got != "|false" {
		t.Errorf("a fitting post still warns: %q", got)
	}
	shot("compose.png")

	step("publish now and watch",
		chromedp.Click(css("#publish-now")),
		chromedp.WaitVisible(css("#post-targets")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)),
		chromedp.WaitVisible(css("#post-targets a.external")))
	if got := eval(`String(document.querySelector("#post-targets").hasAttribute("hx-trigger"))`); got != "false" {
		t.Error("the post page still polls after the post was published")
	}
	if got := eval(`document.querySelector("#post-content").textContent`); got != "Live from the browser 🚀" {
		t.Errorf("published content = %q", got)
	}
	shot("post.png")

	step("calendar", chromedp.Navigate(m.URL()+"/calendar"), chromedp.WaitVisible(css(".cal-post")))
	shot("calendar.png")
	step("posts", chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")))
	shot("posts.png")

	step("calendar on a phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(m.URL()+"/calendar"),
		chromedp.WaitVisible(css(".cal-post")))
	if got := eval(`getComputedStyle(document.querySelector(".cal-week")).display`); got != "block" {
		t.Errorf("on a phone the calendar weeks are %q, want a list (block)", got)
	}
	shot("calendar-phone.png")
}
