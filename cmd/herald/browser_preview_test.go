package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowser_ComposePreviewFollowsTyping connects five accounts (sandbox accounts, four
// of them relabelled LinkedIn, Instagram, Facebook and TikTok in the database: the preview
// reads only the platform), types a post and sees the preview panel follow: each platform's
// "see more" cut, its hashtags and links, the chosen pictures as a carousel in the
// platform's frame. The form is never replaced while typing. The tabs answer the arrow
// keys. Screenshots of every platform's tab at 1440x900 and 390x844, where the preview
// sits below the form.
func TestBrowser_ComposePreviewFollowsTyping(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ctx := chrome(t, 1440, 900)
	start := time.Now()
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	// waitFor polls the JavaScript condition cond until it holds, for at most 30 seconds.
	waitFor := func(what, cond string) {
		t.Helper()
		end := time.Now().Add(pollDeadline)
		for eval(`String(Boolean(`+cond+`))`) != "true" {
			if time.Now().After(end) {
				t.Fatalf("waiting for %s; the preview holds: %s", what, eval(`document.querySelector("#preview-cards")?.innerText ?? "nothing"`))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	browserRegister(t, ctx, m.URL(), "Noor")

	platforms := []string{"linkedin", "instagram", "facebook", "tiktok", "sandbox"}
	for _, p := range platforms {
		step("connect "+p,
			chromedp.Navigate(m.URL()+"/accounts"),
			chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
			chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)))
		eval(`(() => { const h = document.querySelector("#handle"); if (h) { h.value = "noor-` + p + `"; } return ""; })()`)
		step("allow "+p, chromedp.Click(css(`button[name="decision"][value="allow"]`)), chromedp.WaitVisible(css("#accounts")))
		id := eval(`[...document.querySelectorAll("#accounts tr[data-account]")].find(r => r.textContent.includes("noor-` + p + `"))?.dataset.account ?? ""`)
		if id == "" {
			t.Fatalf("no account noor-%s on the accounts page", p)
		}
		if p != "sandbox" {
			if _, err := m.db.Pool().Exec(context.Background(), `UPDATE social_accounts SET platform = $1 WHERE id = $2`, p, id); err != nil {
				t.Fatal(err)
			}
		}
		// The free plan connects three accounts; this company needs five.
		if _, err := m.db.Pool().Exec(context.Background(), `UPDATE companies SET plan = 'pro' WHERE id = (SELECT company_id FROM social_accounts WHERE id = $1)`, id); err != nil {
			t.Fatal(err)
		}
	}

	t.Logf("accounts connected after %s", time.Since(start))
	step("compose", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#compose-preview")))
	if got := eval(`document.querySelector("#preview-empty")?.textContent ?? ""`); !strings.Contains(got, "Choose accounts") {
		t.Errorf("empty preview says %q", got)
	}
	if got := eval(`getComputedStyle(document.querySelector("#preview-button")).display`); got != "none" {
		t.Errorf("with JavaScript the Preview button shows (display %s)", got)
	}
	eval(`(() => { window.heraldForm = document.querySelector("#compose"); window.heraldText = document.querySelector("#content"); return ""; })()`)
	for _, p := range platforms {
		step("tick "+p, chromedp.Click(xpath(`//input[@name="account_ids"][@data-name="noor-`+p+`"]`)))
	}
	step("type",
		chromedp.Focus(css("#content")),
		chromedp.SendKeys(css("#content"), "Spring is here and our new collection lands on Friday. Read the story at https://www.example.com/journal/spring-collection-2031 #spring #launch @noorstudio\n"+
			"Made to order, by hand, in our studio by the sea.\n3\n4\n5\n6 <b>not bold</b>"))
	t.Logf("keys sent after %s", time.Since(start))
	waitFor("the preview of the typed text, one tab per account", `document.querySelectorAll("#preview-cards [role=tab]").length === 5 && document.querySelector("#preview-cards .pv-sandbox .pv-text")?.textContent.includes("not bold")`)
	if got := eval(`String(window.heraldForm === document.querySelector("#compose") && window.heraldText === document.querySelector("#content") && document.activeElement === window.heraldText)`); got != "true" {
		t.Error("the preview replaced the form, or took the focus, while typing")
	}
	t.Logf("typed after %s", time.Since(start))
	// Each platform's cut, and the links as it shows them.
	cuts := map[string]string{"linkedin": "…see more", "instagram": "… more", "facebook": "… See more", "tiktok": "… more", "sandbox": ""}
	for p, more := range cuts {
		got := eval(`document.querySelector("#preview-cards .pv-` + p + ` .pv-more")?.textContent ?? ""`)
		if got != more {
			t.Errorf("%s cut = %q, want %q", p, got, more)
		}
	}
	if got := eval(`document.querySelector("#preview-cards .pv-linkedin .pv-link")?.textContent ?? ""`); got != "example.com/journal/spring-col…" {
		t.Errorf("LinkedIn shows the link as %q", got)
	}
	if got := eval(`String(document.querySelectorAll("#preview-cards .pv-instagram .pv-link").length)`); got != "0" {
		t.Errorf("Instagram shows %s links", got)
	}
	if got := eval(`String(document.querySelectorAll("#preview-cards b").length)`); got != "0" {
		t.Error("typed HTML became markup in the preview")
	}
	// Typing more updates it again.
	step("type more", chromedp.SendKeys(css("#content"), " Seventh"))
	waitFor("the preview of the added word", `document.querySelector("#preview-cards .pv-sandbox .pv-text")?.textContent.includes("Seventh")`)
	step("write a first comment", chromedp.SendKeys(css("#first_comment"), "Shop the collection: https://example.com/shop #spring"))
	waitFor("the first comment under the posts", `document.querySelector("#preview-cards .pv-linkedin .pv-comment")?.textContent.includes("Shop the collection")`)
	if got := eval(`String(document.querySelectorAll("#preview-cards .pv-tiktok .pv-comment").length)`); got != "0" {
		t.Error("TikTok, which takes no first comment, shows one")
	}

	if m.App.Media.Enabled() {
		dir := t.TempDir()
		tall, wide := filepath.Join(dir, "tall.png"), filepath.Join(dir, "wide.png")
		if err := os.WriteFile(tall, testPNG(t, 540, 960), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(wide, testPNG(t, 960, 540), 0o644); err != nil {
			t.Fatal(err)
		}
		step("upload two pictures",
			chromedp.WaitVisible(css("#compose-upload.enhanced")),
			chromedp.SetUploadFiles(css("#compose-upload-files"), []string{tall, wide}),
			chromedp.WaitVisible(xpath(`//ol[@id="chosen-media"][count(li) = 2]`)))
		waitFor("the carousel in the preview", `document.querySelector("#preview-cards .pv-instagram .pv-count")?.textContent === "1/2" && document.querySelector("#preview-cards .pv-instagram .pv-media img")?.complete`)
		first := eval(`document.querySelector("#chosen-media li").dataset.name`)
		frames := map[string]string{"instagram": "r-4x5", "tiktok": "r-9x16", "linkedin": "r-4x5", "facebook": "r-4x5", "sandbox": "r-9x16"}
		if first == "wide.png" {
			frames = map[string]string{"instagram": "r-16x9", "tiktok": "r-9x16", "linkedin": "r-16x9", "facebook": "r-16x9", "sandbox": "r-16x9"}
		}
		for p, want := range frames {
			if got := eval(`document.querySelector("#preview-cards .pv-` + p + ` .pv-media")?.className ?? ""`); !strings.Contains(got, want) {
				t.Errorf("%s frames %s as %q, want %s", p, first, got, want)
			}
		}
		if got := eval(`String(document.querySelector("#preview-cards .pv-instagram .pv-media img")?.naturalWidth > 0)`); got != "true" {
			t.Error("the thumbnail did not load in the preview")
		}
	}
	if got := eval(`document.querySelector("#preview-cards .pv-tiktok")?.textContent ?? ""`); m.App.Media.Enabled() == strings.Contains(got, "needs at least one image or video") {
		t.Errorf("TikTok's rules under its preview: %q", got)
	}

	// The tabs: arrow keys move the choice, which survives a refresh of the preview.
	step("arrow right", chromedp.Focus(css(`#preview-cards [role="tab"]`)), chromedp.KeyEvent(kb.ArrowRight))
	if got := eval(`document.activeElement.getAttribute("aria-selected") + " " + document.activeElement.textContent.trim() + " " + document.querySelector("#preview-cards [role=tabpanel]:not([hidden])").className`); !strings.HasPrefix(got, "true noor-instagram") || !strings.Contains(got, "pv-instagram") {
		t.Errorf("after ArrowRight: %q", got)
	}
	step("end and left", chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.ArrowLeft))
	if got := eval(`document.activeElement.textContent.trim()`); !strings.HasPrefix(got, "noor-tiktok") {
		t.Errorf("after End, ArrowLeft the focus is on %q", got)
	}
	step("type again", chromedp.SendKeys(css("#content"), " Eighth"))
	waitFor("the preview of the last word", `document.querySelector("#preview-cards .pv-tiktok .pv-full")?.textContent.includes("Eighth")`)
	if got := eval(`document.querySelector("#preview-cards [role=tab][aria-selected=true]").textContent.trim()`); !strings.HasPrefix(got, "noor-tiktok") {
		t.Errorf("after a refresh the chosen tab is %q", got)
	}

	shotTabs := func(suffix string) {
		t.Helper()
		for _, p := range platforms {
			step("show "+p, chromedp.Click(xpath(`//div[@id="preview-cards"]//button[@role="tab"][contains(., "noor-`+p+`")]`)),
				chromedp.ScrollIntoView(css("#compose-preview")))
			png, err := chromedp.Run(ctx, chromedp.Screenshot(css("#compose-preview")))
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join("..", "..", "test-output", "browser")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "preview-"+p+suffix+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	shotTabs("")
	screenshot(t, ctx, "compose-preview.png")

	step("phone", chromedp.EmulateViewport(390, 844))
	if out := eval(`(` + layoutJS + `)("#preview-cards [role=tab]")`); out != "" {
		t.Errorf("compose with the preview on a phone: %s", out)
	}
	if got := eval(`String(document.querySelector("#compose-preview").getBoundingClientRect().top >= document.querySelector("#compose").getBoundingClientRect().bottom)`); got != "true" {
		t.Error("on a phone the preview is not below the form")
	}
	if got := eval(`String(document.querySelector("#content").getBoundingClientRect().width >= 300)`); got != "true" {
		t.Error("on a phone the editor is squeezed below 300px")
	}
	shotTabs("-phone")
	screenshot(t, ctx, "compose-preview-phone.png")
}
