package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_RegisterLoginSwitchInvite drives Debian's Chromium through the web app with
// JavaScript on (htmx boosting, the auto-submitting company switcher) and saves a screenshot
// under test-output/. .ci/run installs Chromium when it is missing.
func TestBrowser_RegisterLoginSwitchInvite(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	colleague := strings.ToLower(uniqueEmail("colleague"))
	if _, err := m.App.Auth.Register(context.Background(), app.Registration{Email: colleague, Password: "correct horse battery", Name: "Colleague", Company: "Elsewhere"}, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, 1280, 900)

	email := strings.ToLower(uniqueEmail("vera"))
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	step("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Vera"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Vera Media"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	step("sign out and in",
		chromedp.Click(css("#person-menu summary")), chromedp.Click(css(`form[action="/logout"] button`)),
		chromedp.WaitVisible(css(`form[action="/login"]`)),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	step("create a second company",
		chromedp.Click(css("details.home-create summary")),
		chromedp.SendKeys(css("#new-company"), "Vera Labs"),
		chromedp.Submit(css("#new-company")),
		chromedp.WaitVisible(xpath(`//h1[@id="company-name" and text()="Vera Labs"]`)))
	option, err := chromedp.Run(ctx, chromedp.AttributeValue(xpath(`//select[@id="company-select"]/option[text()="Vera Media"]`), "value"))
	if err != nil {
		t.Fatalf("switcher option: %v", err)
	}
	// The switcher submits itself on change (app.js).
	step("switch company",
		chromedp.SetValue(css("#company-select"), option.Value),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#company-select").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(xpath(`//h1[@id="company-name" and text()="Vera Media"]`)))
	heading, err := chromedp.Run(ctx, chromedp.Text(css("#company-name")))
	if err != nil {
		t.Fatal(err)
	}
	step("invite a member",
		chromedp.Navigate(m.URL()+"/team"),
		chromedp.SendKeys(css("#member-email"), colleague),
		chromedp.SetValue(css("#member-role"), "editor"),
		chromedp.Submit(css("#member-email")),
		chromedp.WaitVisible(css("#invitation-url")))
	invitations, err := chromedp.Run(ctx, chromedp.Text(css("#invitations")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Vera Media" || !strings.Contains(invitations, colleague) {
		t.Errorf("after the flow: company %q, invitations %q", heading, invitations)
	}
	screenshot(t, ctx, "team.png")
}

// browserHangGuard bounds a browser test's tab: it only stops a test that hangs, and is far
// beyond what any flow needs on a loaded 2-core machine (steps wait for what the page shows,
// never for a time), so how busy the machine is never fails a test.
const browserHangGuard = 12 * time.Minute

// pollDeadline bounds a browser test's wait for something that happens on its own (a job
// publishing, a live update, an email): generous, for a loaded 2-core machine.
const pollDeadline = 3 * time.Minute

// chrome opens a tab of w×h in a browser context of its own (its own cookies and storage)
// in the package's headless Chromium, for at most browserHangGuard, and closes it when the
// test ends.
// It fails the test when Chromium is missing, and when the page wrote an error, an
// uncaught exception or a CSP violation to the console that the test did not take
// (consoleOf(ctx).take()).
func chrome(t *testing.T, w, h int) context.Context {
	t.Helper()
	root, err := sharedChromium()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancelCtx := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	ctx, cancelTime := context.WithTimeout(ctx, browserHangGuard)
	t.Cleanup(func() { cancelTime(); cancelCtx() })
	console := watchConsole(t, ctx)
	t.Cleanup(func() { // runs first: the browser is still there
		for _, p := range console.take() {
			t.Errorf("console: %s", p)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return context.WithValue(ctx, consoleKey{}, console)
}

// chromium is Debian's Chromium, started headless once for the package's browser tests
// (starting one costs seconds) and stopped by TestMain.
var chromium struct {
	once sync.Once
	ctx  context.Context
	err  error
	stop func()
}

func sharedChromium() (context.Context, error) {
	chromium.once.Do(func() {
		bin, err := exec.LookPath("chromium")
		if err != nil {
			chromium.err = errors.New("chromium is not installed: apt-get install chromium (.ci/run does this)")
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(actx)
		chromium.stop = func() { cancelCtx(); cancelAlloc() }
		if err := chromedp.Do(ctx); err != nil { // starts the browser
			chromium.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		chromium.ctx = ctx
	})
	return chromium.ctx, chromium.err
}

// screenshot saves the page in ctx as test-output/browser/<name>.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "test-output", "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser_OperatorTenantsAndJobDashboard signs a superadmin in with JavaScript on,
// opens a company's page on the tenants page and follows the navigation to River UI,
// which must render under Herald's policies (its own CSP for /admin/jobs), and saves
// screenshots of both.
func TestBrowser_OperatorTenantsAndJobDashboard(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	email := strings.ToLower(uniqueEmail("operator"))
	if _, err := m.App.Auth.Register(context.Background(), app.Registration{Email: email, Password: "correct horse battery", Name: "Operator", Company: "Herald Ops"}, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), email, "", ""); err != nil {
		t.Fatal(err)
	}
	ctx := chrome(t, 1280, 900)
	type css = chromedp.CSS
	type xpath = chromedp.Search
	step := stepper(t, ctx)
	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))
	step("open a tenant",
		chromedp.Navigate(m.URL()+"/admin/tenants?limit=200"),
		chromedp.Click(xpath(`//table[@id="tenants"]//a[text()="Herald Ops"]`)),
		chromedp.WaitVisible(css("#tenant-usage")))
	screenshot(t, ctx, "tenant.png")
	step("open the job dashboard",
		chromedp.Click(css("#nav-jobs")),
		chromedp.WaitVisible(xpath(`//div[@id="root"]//*[contains(., "cleanup_expired") or contains(., "Queues")]`)))
	screenshot(t, ctx, "jobs.png")
}

// stepper returns step, which runs actions in the browser of ctx and ends the test with
// what when one fails.
func stepper(t *testing.T, ctx context.Context) func(what string, steps ...chromedp.Action[chromedp.Void]) {
	return func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// evaluator returns eval, which runs a JavaScript expression in the browser of ctx and
// returns its string value, ending the test when it fails.
func evaluator(t *testing.T, ctx context.Context) func(js string) string {
	return func(js string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return out
	}
}

// browserRegister signs a new person named name up through the register page of the
// Herald at base, as the owner of a new company "<name> Studio".
func browserRegister(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	stepper(t, ctx)("register "+name,
		chromedp.Navigate(base+"/register"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), strings.ToLower(uniqueEmail(name))),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS("#company"), name+" Studio"),
		chromedp.Submit(chromedp.CSS("#company")),
		chromedp.WaitVisible(chromedp.CSS("#company-name")))
}

// browserConnectSandbox connects a sandbox account named handle to the signed-in
// person's company through the accounts page and the sandbox's consent page.
func browserConnectSandbox(t *testing.T, ctx context.Context, base, handle string) {
	t.Helper()
	stepper(t, ctx)("connect "+handle,
		chromedp.Navigate(base+"/accounts"),
		chromedp.Click(chromedp.CSS(`form[action="/accounts/connect/sandbox"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`button[name="decision"][value="allow"]`)),
		chromedp.SetValue(chromedp.CSS("#handle"), handle),
		chromedp.Click(chromedp.CSS(`button[name="decision"][value="allow"]`)),
		chromedp.WaitVisible(chromedp.CSS("#accounts")))
}
