package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// consoleProblems collects every error, exception and Content Security Policy report the
// page writes to Chromium's console from now on, so a test can fail on any of them.
type consoleProblems struct {
	mu   sync.Mutex
	seen []string
}

type consoleKey struct{}

// consoleOf returns the console watcher chrome started for ctx.
// formAnswer matches Chromium's network line for a form answered with its problems.
var formAnswer = regexp.MustCompile(`status of (403|409|422|429)\b`)

func consoleOf(ctx context.Context) *consoleProblems {
	p, _ := ctx.Value(consoleKey{}).(*consoleProblems)
	return p
}

// watchConsole subscribes to ctx's console before the test navigates anywhere.
func watchConsole(t *testing.T, ctx context.Context) *consoleProblems {
	t.Helper()
	p := &consoleProblems{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// A form's validation answer is a 422 on purpose; Chromium still logs it as a
			// failed load.
			// A form answered with its problems (422 invalid, 403 plan limit or suspended
			// company, 409 conflict, 429 throttled) is a page the test checks, not an error.
			expected := m.Source == "network" && formAnswer.MatchString(m.Text)
			if !expected && (m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy")) {
				p.mu.Lock()
				p.seen = append(p.seen, m.String()+" ("+m.URL+")")
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// take returns the problems seen since the last call and forgets them.
func (p *consoleProblems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.seen
	p.seen = nil
	return out
}

// layoutJS returns what sticks out of the window: the page wider than the window, a table
// cut off at its right, or an element matching the selector argument (buttons that must
// stay reachable) outside it.
const layoutJS = `((sel) => {
  const w = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth > w) {
    out.push("the page is " + document.documentElement.scrollWidth + "px wide in a " + w + "px window");
  }
  // A table in a scrolling box does not widen the page, but its right side is cut off.
  document.querySelectorAll("main table").forEach((t) => {
    const r = t.getBoundingClientRect();
    if (r.right > w + 0.5) { out.push("table " + (t.id || t.className) + " ends at " + Math.round(r.right) + "px"); }
  });
  if (sel) {
    const els = document.querySelectorAll(sel);
    if (els.length === 0) { out.push("nothing matches " + sel); }
    els.forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.left < 0 || r.right > w) {
        out.push("'" + el.textContent.trim() + "' spans " + Math.round(r.left) + ".." + Math.round(r.right) + "px");
      }
    });
  }
  return out.join("; ");
})`

// TestBrowser_PagesFitPhoneAndDesktopWithoutConsoleErrors opens the main pages of a company
// with two sandbox accounts, a colleague and two posts at 1440x900 and at 390x844: nothing
// is wider than the window, Disconnect and Remove stay on screen, the navigation folds
// into a menu button on the phone that opens by keyboard, and Chromium's console shows no
// error or CSP violation, also after htmx swaps (boosted links, the post page's polling,
// a boosted form). Screenshots of every page at both sizes go to test-output/browser/.
func TestBrowser_PagesFitPhoneAndDesktopWithoutConsoleErrors(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	colleague := strings.ToLower(uniqueEmail("ilse"))
	ilse, err := m.App.Auth.Register(context.Background(), app.Registration{Email: colleague, Password: "correct horse battery", Name: "Ilse Colleague", Company: "Ilse Co"}, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, 1440, 900)
	console := consoleOf(ctx)

	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	clean := func(where string) {
		t.Helper()
		for _, p := range console.take() {
			t.Errorf("%s: console: %s", where, p)
		}
	}

	// The check itself: a style attribute set from script breaks the CSP (style-src 'self'),
	// and Chromium must report it where the test looks.
	step("canary", chromedp.Navigate(m.URL()+"/login"), chromedp.WaitVisible(css("#email")),
		chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("style", "color: red")`))
	for end := time.Now().Add(pollDeadline); ; {
		if seen := strings.Join(console.take(), "\n"); strings.Contains(seen, "Content Security Policy") {
			break
		}
		if time.Now().After(end) {
			t.Fatal("a CSP violation did not reach the console watcher")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// axe-core's check too: an image without a text alternative is reported.
	step("axe canary", chromedp.Navigate(m.URL()+"/login"), chromedp.WaitVisible(css("#email")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/static/favicon.svg">')`))
	if out := axeViolations(t, ctx); !strings.Contains(out, "image-alt") {
		t.Fatalf("axe-core did not report an image without alt: %q", out)
	}
	clean("axe canary")

	step("the sign-up page", chromedp.Navigate(m.URL()+"/register"), chromedp.WaitVisible(css("#company")))
	screenshot(t, ctx, "desktop-register.png")
	step("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Hedda"),
		chromedp.SendKeys(css("#email"), strings.ToLower(uniqueEmail("hedda"))),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Hedda Goods and Sons International"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	for _, handle := range []string{"north-desk", "south-desk"} {
		step("connect "+handle,
			chromedp.Navigate(m.URL()+"/accounts"),
			chromedp.Click(css(`form[action="/accounts/connect/sandbox"] button`)),
			chromedp.WaitVisible(css(`button[name="decision"][value="allow"]`)),
			chromedp.SetValue(css("#handle"), handle),
			chromedp.Click(css(`button[name="decision"][value="allow"]`)),
			chromedp.WaitVisible(css("#accounts")))
	}
	// The colleague is invited through the page (a boosted form) and accepts the link; a
	// second invitation stays open, so the team page has both tables.
	for i, email := range []string{colleague, strings.ToLower(uniqueEmail("pending"))} {
		step("invite "+email+" (a boosted form)",
			chromedp.Navigate(m.URL()+"/team"),
			chromedp.SendKeys(css("#member-email"), email),
			chromedp.Submit(css("#member-email")),
			chromedp.WaitVisible(css("#invitation-url")))
		if i > 0 {
			break
		}
		link, err := url.Parse(eval(`document.querySelector("#invitation-url").value`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.App.Teams.AcceptInvitation(context.Background(), domain.Actor{UserID: ilse.User.ID}, link.Query().Get("token")); err != nil {
			t.Fatalf("the colleague accepts: %v", err)
		}
	}

	// One post to both accounts published now (the post page polls until it is final), one
	// scheduled in three days.
	step("publish a post to both accounts",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name="account_ids"]').forEach((b) => { b.checked = true; })`),
		chromedp.SendKeys(css("#content"), "Spring collection is live: a long sentence so the excerpt wraps on a phone"),
		chromedp.Click(css("#publish-now")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="published"]`)))
	published := eval(`location.pathname`)
	clean("publishing (post page polling)")
	// The sandbox's page of the published post is served under the same CSP.
	step("the sandbox's post page",
		chromedp.Navigate(eval(`document.querySelector("#post-targets a.external").href`)),
		chromedp.WaitVisible(css("main article")))
	clean("the sandbox's post page")
	later := time.Now().Add(72 * time.Hour).Format("2006-01-02T15:04")
	step("schedule a post",
		chromedp.Navigate(m.URL()+"/posts/new"),
		chromedp.WaitVisible(css("#compose")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name="account_ids"]').forEach((b) => { b.checked = true; })`),
		chromedp.SendKeys(css("#content"), "Autumn preview"),
		chromedp.SetValue(css("#scheduled_for"), later),
		chromedp.Click(css("#schedule")),
		chromedp.WaitVisible(xpath(`//span[@id="post-status" and text()="scheduled"]`)))
	scheduled := eval(`location.pathname`)

	if got := eval(`Array.from(document.querySelectorAll("#post-targets tbody tr td:first-child")).map((td) => td.textContent.trim()).join(",")`); !strings.Contains(got, "north-desk") || !strings.Contains(got, "south-desk") {
		t.Errorf("the post page's targets are %q, want both accounts by name", got)
	}

	pages := []struct {
		name, path, wait, reachable string
		detail                      string // a part the phone screenshot shows at full size
	}{
		{"home", "/", "#company-name", "", ""},
		{"accounts", "/accounts", "#accounts", `#accounts form[action$="/disconnect"] button`, ""},
		{"team", "/team", "#members", `#members form[action$="/remove"] button`, ""},
		{"posts", "/posts", "#posts", "", ""},
		{"post", published, "#post-targets", "", ""},
		{"post-scheduled", scheduled, "#post-targets", "#unschedule", "#post-summary"},
		{"calendar", "/calendar", "#calendar", "", "#calendar"},
		{"settings", "/settings", "#company-zone", "#save-zone", "#company-zone"},
		{"profile", "/profile", "#profile-form", "", ""},
		{"analytics", "/analytics", "#totals", "", "#top-posts"},
		{"compose", "/posts/new", "#compose", "#publish-now", ""},
		{"media", "/media", "#media-grid", "#library-upload-files", ""},
		{"tokens", "/tokens", "main h1", "", ""},
		{"webhooks", "/webhooks", "#add-endpoint", "", ""},
		{"audit", "/audit", "main h1", "", "#audit-log"},
	}
	sizes := []struct {
		name string
		w, h int64
	}{{"desktop", 1440, 900}, {"phone", 390, 844}}
	// Every page in the light and the dark scheme, at both sizes: nothing sticks out,
	// axe-core finds no WCAG 2.1 A or AA violation (contrast included), and a screenshot
	// (dark ones are named <size>-dark-<page>.png).
	for _, scheme := range []string{"dark", "light"} {
		step("prefer "+scheme, colorScheme(scheme))
		for _, size := range sizes {
			step("window "+size.name, chromedp.EmulateViewport(size.w, size.h))
			for _, p := range pages {
				where := size.name + " " + scheme + " " + p.name
				step(where, chromedp.Navigate(m.URL()+p.path), chromedp.WaitVisible(css(p.wait)))
				if out := eval(layoutJS + `(` + jsString(p.reachable) + `)`); out != "" {
					t.Errorf("%s: %s", where, out)
				}
				// axe at every size in light, and on the desktop in dark (the colours are
				// the same on a phone): the test stays within its time on a busy machine.
				if scheme == "light" || size.name == "desktop" {
					if out := axeViolations(t, ctx); out != "" {
						t.Errorf("%s: axe-core:\n%s", where, out)
					}
				}
				name := size.name + "-" + p.name
				if scheme == "dark" {
					name = size.name + "-dark-" + p.name
				}
				screenshot(t, ctx, name+".png")
				if size.name == "phone" && p.detail != "" {
					elementShot(t, ctx, p.detail, name+"-detail.png")
				}
				clean(where)
			}
		}
	}
	for _, size := range sizes {
		step("window "+size.name, chromedp.EmulateViewport(size.w, size.h))
		step(size.name+": a boosted link",
			chromedp.Navigate(m.URL()+"/posts"),
			chromedp.WaitVisible(css("#posts")),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('a[href="/accounts"]').click()`),
			chromedp.WaitVisible(css("#accounts")))
		// Back restores the page from htmx's history cache (or asks the server for it).
		step(size.name+": back", chromedp.NavigateBack(), chromedp.WaitVisible(css("#posts")))
		clean(size.name + " boosted link to accounts and back")
	}

	// On the phone the navigation is one menu button; it opens by keyboard and shows the links.
	step("phone: posts", chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")))
	if got := eval(`(() => { const a = document.querySelector('#site-menu a[href="/team"]'); return a ? String(a.getBoundingClientRect().height > 0) : "missing"; })()`); got != "false" {
		t.Errorf("on a phone the navigation's Team link is visible before the menu is opened (%s)", got)
	}
	step("phone: open the menu by keyboard",
		chromedp.Focus(css("#menu-button")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(css(`#site-menu a[href="/team"]`)))
	if got := eval(`document.querySelector("#menu-button").getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("the open menu's button says aria-expanded=%q", got)
	}
	if out := eval(layoutJS + `("#site-menu a")`); out != "" {
		t.Errorf("phone, menu open: %s", out)
	}
	screenshot(t, ctx, "phone-menu-open.png")
	step("phone: Escape closes the menu", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(css(`#site-menu a[href="/team"]`)))
	if got := eval(`document.activeElement.id + " " + document.querySelector("#menu-button").getAttribute("aria-expanded")`); got != "menu-button false" {
		t.Errorf("after Escape: focus and aria-expanded %q, want the button, false", got)
	}
	step("phone: open the menu again", chromedp.Click(css("#menu-button")), chromedp.WaitVisible(css(`#site-menu a[href="/team"]`)))
	step("phone: follow a menu link", chromedp.Click(css(`#site-menu a[href="/team"]`)), chromedp.WaitVisible(css("#members")))
	if got := eval(`String(document.querySelector('#site-menu a[href="/team"]').getBoundingClientRect().height > 0)`); got != "false" {
		t.Error("the menu stays open after following one of its links")
	}
	step("phone: back to the posts", chromedp.NavigateBack(), chromedp.WaitVisible(css("#posts")))
	if got := eval(`String(document.querySelector('#site-menu a[href="/team"]').getBoundingClientRect().height > 0) + " " + document.querySelector("#menu-button").getAttribute("aria-expanded")`); got != "false false" {
		t.Errorf("back on the page the menu was opened on, the menu is %q, want closed", got)
	}
	step("desktop again", chromedp.EmulateViewport(1440, 900), chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")))
	if got := eval(`String(document.querySelector("#menu-button").getBoundingClientRect().height > 0) + " " + String(document.querySelector('#site-menu a[href="/team"]').getBoundingClientRect().height > 0)`); got != "false true" {
		t.Errorf("on a wide window the menu button and links are %q, want the links shown and no button", got)
	}
	// The person menu in the top bar: profile, time zone, notification settings and sign out;
	// Escape closes it.
	step("desktop: open the person menu", chromedp.Click(css("#person-menu summary")), chromedp.WaitVisible(css(`#person-menu form[action="/logout"] button`)))
	if got := eval(`Array.from(document.querySelectorAll("#person-menu .menu-items li")).map((li) => li.textContent.trim().split(/\s+/)[0]).join(",")`); got != "Profile,Time,Notifications,Sign" {
		t.Errorf("the person menu offers %q, want Profile, Time zone, Notifications, Sign out", got)
	}
	if out := axeViolations(t, ctx); out != "" {
		t.Errorf("person menu open: axe-core:\n%s", out)
	}
	screenshot(t, ctx, "desktop-person-menu.png")
	step("desktop: Escape closes the person menu", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(css(`#person-menu form[action="/logout"] button`)))
	// The skip link is the first thing the keyboard reaches and moves to the page's content.
	step("the skip link", chromedp.Navigate(m.URL()+"/posts"), chromedp.WaitVisible(css("#posts")), chromedp.KeyEvent(kb.Tab))
	if got := eval(`document.activeElement.className + " " + document.activeElement.getAttribute("href")`); got != "skip-link #main" {
		t.Errorf("the first Tab reaches %q, want the skip link to #main", got)
	}
	clean("menu")
}

// elementShot saves the first element matching sel as test-output/browser/<name>.
func elementShot(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	dir := filepath.Join("..", "..", "test-output", "browser")
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// jsString quotes s as a JavaScript string literal (s holds no quotes or backslashes here).
func jsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
