package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// joinAs adds a new person to owner's company with role and switches them to it.
func joinAs(t *testing.T, m *Main, owner *browser, name, company, role string) *browser {
	t.Helper()
	b := newBrowser(t, m)
	email := b.registerUI(name)
	b.accept(owner.invite(email, role))
	_, home := b.get("/")
	var id string
	home.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == company {
			id = s.AttrOr("value", "")
		}
	})
	if id == "" {
		t.Fatalf("%s is not a member of %s", name, company)
	}
	b.submit("/", "#company-switcher", map[string]string{"company_id": id})
	return b
}

// postWithToken sends a form to path with the page's CSRF token, as htmx would when hx is true.
func (b *browser) postWithToken(path string, vals url.Values, hx bool) (*http.Response, *goquery.Document) {
	b.t.Helper()
	_, doc := b.page("/")
	vals.Set("_csrf", doc.Find(`input[name="_csrf"]`).First().AttrOr("value", ""))
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	// Not b.send: a 503 is an expected answer here, not a fault.
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	page, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, page
}

func TestUI_SettingsBrandVoiceAndUsage(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Vera")

	at, doc := owner.page("/settings")
	if doc.Find(`nav a[href="/settings"][aria-current="page"]`).Length() != 1 {
		t.Error("no current Settings link in the nav")
	}
	bar := doc.Find("progress#ai-usage-bar")
	if bar.AttrOr("value", "") != "0" || bar.AttrOr("max", "") != "20000" || !strings.Contains(text(doc.Find("#ai-usage-text")), "0 of 20,000 tokens") {
		t.Errorf("usage for a new free company: value %q max %q, %q", bar.AttrOr("value", ""), bar.AttrOr("max", ""), text(doc.Find("#ai-usage")))
	}
	if nc := text(doc.Find("#ai-not-configured")); !strings.Contains(nc, "OPENAI_API_KEY") || !strings.Contains(nc, "HERALD_AI_MODEL") {
		t.Errorf("no not-configured line: %q", nc)
	}

	// Too many words to avoid: the form comes back with the problem beside the field and
	// everything typed kept.
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprintf("word%d", i))
	}
	res, doc := owner.postForm(at, doc, "#voice-form", url.Values{"voice": {"Warm & plain <no jargon>"}, "avoid_words": {strings.Join(many, ", ")}, "default_hashtags": {"#acme"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#avoid-words-error")), "at most 50") {
		t.Fatalf("too many words = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
	if doc.Find("#voice").Text() != "Warm & plain <no jargon>" || doc.Find("#avoid_words").Text() != strings.Join(many, ", ") || doc.Find("#default_hashtags").Text() != "#acme" {
		t.Error("input not kept after a problem")
	}

	at, doc = owner.page("/settings")
	res, doc = owner.postForm(at, doc, "#voice-form", url.Values{"voice": {"Warm & plain <no jargon>"}, "avoid_words": {"synergy, leverage\nsynergy"}, "default_hashtags": {"#acme, launch"}})
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/settings" || !strings.Contains(text(doc.Find("#alerts")), "brand voice was saved") {
		t.Fatalf("save = %d at %s: %q", res.StatusCode, res.Request.URL.Path, text(doc.Find("main")))
	}
	if doc.Find("#voice").Text() != "Warm & plain <no jargon>" || doc.Find("#avoid_words").Text() != "synergy\nleverage" || doc.Find("#default_hashtags").Text() != "#acme\n#launch" {
		t.Errorf("saved voice shows as %q / %q / %q", doc.Find("#voice").Text(), doc.Find("#avoid_words").Text(), doc.Find("#default_hashtags").Text())
	}

	viewer := joinAs(t, m, owner, "Walt", "Vera Co", "viewer")
	_, doc = viewer.page("/settings")
	if n := doc.Find("#voice-form, main textarea").Length(); n != 0 {
		t.Errorf("a viewer sees %d voice controls", n)
	}
	if doc.Find("#voice-description").Text() != "Warm & plain <no jargon>" || doc.Find("#voice-avoid").Text() != "synergy\nleverage" {
		t.Errorf("a viewer does not read the voice: %q", text(doc.Find("#brand-voice")))
	}
	if doc.Find("#ai-usage progress").Length() != 0 {
		t.Error("a viewer sees the AI usage")
	}
	if res, _ := viewer.postWithToken("/settings/voice", url.Values{"voice": {"hijacked"}}, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer saving the voice = %d, want 403", res.StatusCode)
	}

	editor := joinAs(t, m, owner, "Xena", "Vera Co", "editor")
	_, doc = editor.page("/settings")
	if doc.Find("#voice-form").Length() != 0 || doc.Find("progress#ai-usage-bar").Length() != 1 {
		t.Error("an editor should read the voice and see the usage")
	}
	if _, doc := owner.page("/settings"); doc.Find("#voice").Text() != "Warm & plain <no jargon>" {
		t.Error("the voice changed")
	}
}

func TestUI_SuggestWithoutProvider(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Yuri")
	owner.connectSandbox("/accounts", "allow")

	_, doc := owner.page("/posts/new")
	panel := doc.Find(".compose-layout aside#ai-panel")
	if panel.Length() != 1 || !strings.Contains(text(panel.Find("#ai-not-configured")), "OPENAI_API_KEY") || panel.Find("#ai-suggest").Length() != 0 {
		t.Errorf("the panel without a provider: %q", text(panel))
	}

	for _, hx := range []bool{true, false} {
		res, doc := owner.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "platforms": {"sandbox"}, "tone": {"playful"}}, hx)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(text(doc.Find("#ai-error")), "No AI provider is configured") ||
			res.Header.Get("HX-Retarget") != "" || (doc.Find("nav").Length() == 0) == !hx {
			t.Errorf("suggest without a provider (htmx %v) = %d, retarget %q: %q", hx, res.StatusCode, res.Header.Get("HX-Retarget"), text(doc.Find("body")))
		}
	}

	viewer := joinAs(t, m, owner, "Zack", "Yuri Co", "viewer")
	res, doc := viewer.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "platforms": {"sandbox"}}, true)
	if res.StatusCode != http.StatusForbidden || doc.Find("#ai-error, .ai-card").Length() != 0 {
		t.Errorf("a viewer asking for suggestions = %d: %q", res.StatusCode, text(doc.Find("body")))
	}
	if res.Header.Get("HX-Retarget") != "#alerts" {
		t.Errorf("the refusal goes to %q, want #alerts", res.Header.Get("HX-Retarget"))
	}

	editor := joinAs(t, m, owner, "Ada", "Yuri Co", "editor")
	if _, doc := editor.page("/posts/new"); doc.Find("#ai-panel").Length() != 1 {
		t.Error("an editor does not see the AI panel")
	}
}

// fakeCaptions is an AI provider for tests: one caption per platform asked for, or err.
type fakeCaptions struct {
	mu       sync.Mutex
	caption  string
	hashtags []string
	tokens   int // prompt tokens per answer; completion is a tenth of it
	err      error
	last     ports.CaptionRequest
}

func (f *fakeCaptions) Generate(_ context.Context, req ports.CaptionRequest) (ports.CaptionResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = req
	if f.err != nil {
		return ports.CaptionResult{}, f.err
	}
	res := ports.CaptionResult{PromptTokens: f.tokens, CompletionTokens: f.tokens / 10}
	for _, p := range req.Platforms {
		res.Suggestions = append(res.Suggestions, ports.CaptionSuggestion{Platform: p, Caption: f.caption, Hashtags: f.hashtags})
	}
	return res, nil
}

func (f *fakeCaptions) set(fn func(*fakeCaptions)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// withProvider gives Herald the AI provider gen instead of the configured one.
func withProvider(gen ports.CaptionGenerator) func(*Main) {
	return func(m *Main) { m.AIProvider = gen }
}

func TestUI_SuggestWithAProvider(t *testing.T) {
	t.Parallel()
	gen := &fakeCaptions{caption: "Said \"hi\" <script>alert(1)</script>\nsecond line", hashtags: []string{"launch"}, tokens: 10_000}
	m := startHeraldWith(t, app.Limits{}, nil, withProvider(gen))
	owner := newBrowser(t, m)
	owner.registerUI("Bea")
	owner.connectSandbox("/accounts", "allow")
	at, doc := owner.page("/settings")
	owner.postForm(at, doc, "#voice-form", url.Values{"voice": {"warm"}, "avoid_words": {"synergy"}, "default_hashtags": {"bea"}})

	_, doc = owner.page("/posts/new")
	account := doc.Find(`#compose input[name="account_ids"]`).First().AttrOr("value", "")
	if doc.Find("#ai-panel #ai-suggest").Length() != 1 || doc.Find("#ai-not-configured").Length() != 0 {
		t.Fatalf("no Suggest button with a provider: %q", text(doc.Find("#ai-panel")))
	}
	if _, ok := doc.Find(`#ai-form input[name="platforms"][value="sandbox"]`).Attr("checked"); !ok {
		t.Error("the company's platform is not preselected")
	}

	res, doc := owner.postWithToken("/posts/suggest", url.Values{"brief": {"  "}, "tone": {"cheeky"}, "platforms": {"sandbox", "nowhere"}}, true)
	if res.StatusCode != http.StatusUnprocessableEntity || res.Header.Get("HX-Retarget") != "#ai-panel" || res.Header.Get("HX-Reswap") != "outerHTML" {
		t.Errorf("bad input = %d, retarget %q %q", res.StatusCode, res.Header.Get("HX-Retarget"), res.Header.Get("HX-Reswap"))
	}
	if !strings.Contains(text(doc.Find("#ai-brief-error")), "say in a few words") || !strings.Contains(text(doc.Find("#ai-platforms-error")), "not a platform") ||
		doc.Find("#ai-tone").AttrOr("value", "") != "cheeky" || doc.Find("aside#ai-panel #ai-form").Length() != 1 {
		t.Errorf("the panel with problems: %q", text(doc.Find("body")))
	}

	res, doc = owner.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "tone": {"playful"}, "platforms": {"sandbox"}, "account_ids": {account}}, true)
	card := doc.Find(`.ai-card[data-platform="sandbox"]`)
	if res.StatusCode != http.StatusOK || card.Length() != 1 {
		t.Fatalf("suggest = %d: %q", res.StatusCode, text(doc.Find("body")))
	}
	want := "Said \"hi\" <script>alert(1)</script>\nsecond line\n\n#launch"
	if got := card.Find("button[data-use-caption]:not([data-account])").AttrOr("data-text", ""); got != want {
		t.Errorf("Use in post carries %q, want %q", got, want)
	}
	if got := card.Find(`button[data-account="`+account+`"]`).AttrOr("data-text", ""); got != want {
		t.Errorf("Use for the account carries %q", got)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("the caption became a script")
	}
	gen.set(func(f *fakeCaptions) {
		if f.last.VoiceDescription != "warm" || f.last.Tone != "playful" || len(f.last.AvoidWords) != 1 {
			t.Errorf("the provider was asked %+v, without the brand voice or tone", f.last)
		}
		f.err = &domain.Error{Code: domain.CodeUnavailable, Message: "The AI provider did not answer in time; please try again."}
	})

	res, doc = owner.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "platforms": {"sandbox"}}, true)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(text(doc.Find("#ai-error")), "did not answer in time") {
		t.Errorf("provider down = %d: %q", res.StatusCode, text(doc.Find("body")))
	}
	gen.set(func(f *fakeCaptions) { f.err = nil })

	// Without JavaScript the same form gets a page: the problems beside the fields, or the
	// captions to copy.
	res, doc = owner.postWithToken("/posts/suggest", url.Values{"brief": {""}, "platforms": {"sandbox"}}, false)
	if res.StatusCode != http.StatusUnprocessableEntity || res.Header.Get("HX-Retarget") != "" || doc.Find("nav").Length() == 0 || doc.Find("#ai-brief-error").Length() != 1 {
		t.Errorf("plain bad input = %d: %q", res.StatusCode, text(doc.Find("body")))
	}
	res, doc = owner.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "tone": {"playful"}, "platforms": {"sandbox"}}, false)
	if res.StatusCode != http.StatusOK || doc.Find("nav").Length() == 0 || doc.Find("textarea.ai-copy").Text() != want || doc.Find("button[data-use-caption]").Length() != 0 {
		t.Errorf("plain suggest = %d: %q", res.StatusCode, text(doc.Find("body")))
	}

	// 11,000 tokens a request against the free plan's 20,000: two answers spend it.
	res, doc = owner.postWithToken("/posts/suggest", url.Values{"brief": {"Spring sale"}, "platforms": {"sandbox"}}, true)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(text(doc.Find("#ai-error")), "20,000 AI tokens") || !strings.Contains(text(doc.Find("#ai-retry-at")), "More tokens are available from") {
		t.Errorf("spent allowance = %d: %q", res.StatusCode, text(doc.Find("body")))
	}
	_, doc = owner.page("/settings")
	if bar := doc.Find("progress#ai-usage-bar"); bar.AttrOr("value", "") != "22000" || !strings.Contains(text(doc.Find("#ai-usage-text")), "22,000 of 20,000") {
		t.Errorf("usage after two answers: %q", text(doc.Find("#ai-usage")))
	}
}

// TestBrowser_SuggestFillsTheCompose drives Chromium through asking the (fake) AI for a
// caption and putting it into the post and into an account's own text with app.js; the
// live counters must follow. Screenshots go to test-output/browser/.
func TestBrowser_SuggestFillsTheCompose(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, nil, withProvider(&fakeCaptions{caption: "Said \"hi\" <b>now</b>\nline two", hashtags: []string{"launch"}, tokens: 100}))
	ctx := chrome(t, 1280, 1000)

	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }

	browserRegister(t, ctx, m.URL(), "Cleo")
	browserConnectSandbox(t, ctx, m.URL(), "cleo-browser")

	// Ticking the account shows its own text and starts its preview, which may move the
	// panel while the page is busy: the button is pressed as a person's click would press
	// it, without aiming at where it was a moment before (a loaded CI run once missed it).
	suggest := chromedp.Evaluate[chromedp.Void](`document.querySelector("#ai-suggest").click()`)
	step("open compose, tick the account, ask with an empty brief",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#ai-panel #ai-suggest")),
		chromedp.Click(css(`input[name="account_ids"]`)),
		chromedp.WaitVisible(css("[data-variant-for]")),
		suggest,
		chromedp.WaitVisible(css("#ai-brief-error")))
	step("ask with a brief",
		chromedp.SendKeys(css("#ai-brief"), "Spring sale"),
		suggest,
		chromedp.WaitVisible(css(".ai-card button[data-use-caption]")))
	if got := eval(`String(document.querySelectorAll("#ai-form .field-error, #ai-form [aria-invalid]").length)`); got != "0" {
		t.Errorf("%s problems from the earlier 422 are still shown after the answer", got)
	}
	want := "Said \"hi\" <b>now</b>\nline two\n\n#launch"
	step("use in post", chromedp.Click(css(".ai-card button[data-use-caption]:not([data-account])")))
	if got := eval(`document.querySelector("#content").value`); got != want {
		t.Errorf("Use in post put %q into the text, want %q", got, want)
	}
	if got := eval(`document.querySelector("#platform-counters").textContent`); !strings.Contains(got, "Sandbox 38 / 5,000") {
		t.Errorf("the counter did not follow: %q", got)
	}
	step("use for the account", chromedp.Click(css(".ai-card button[data-account]")))
	if got := eval(`document.querySelector("textarea[data-variant]").value`); got != want {
		t.Errorf("Use for put %q into the account's text", got)
	}
	if got := eval(`String(document.querySelector("details.variant").open) + "|" + document.querySelector("[data-counter-for]").textContent`); !strings.HasPrefix(got, "true|38 / 5,000") {
		t.Errorf("the account's text is not shown with its count: %q", got)
	}
	shot("compose-ai.png")
	step("compose on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#ai-panel")))
	if got := eval(`String(document.querySelector("#ai-panel").getBoundingClientRect().top > document.querySelector("#compose").getBoundingClientRect().top)`); got != "true" {
		t.Error("on a phone the panel is not below the form")
	}
	shot("compose-ai-phone.png")
	step("settings", chromedp.EmulateViewport(1280, 1000), chromedp.Navigate(m.URL()+"/settings"), chromedp.WaitVisible(css("#ai-usage-bar")))
	shot("settings.png")
}
