package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_APIReferenceRenders opens the API reference (/api/v1/docs) on a desktop and
// a phone window: Swagger UI, served from /static under the page's own CSP, renders the
// document's operations and webhook events, an operation opens with its parameters, and
// the console shows no error and no CSP violation (chrome fails the test on either).
func TestBrowser_APIReferenceRenders(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1440, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := chrome(t, size.w, size.h)
			type css = chromedp.CSS
			type xpath = chromedp.Search
			step := stepper(t, ctx)
			step("open the reference",
				chromedp.Navigate(m.URL()+"/api/v1/docs"),
				chromedp.WaitVisible(xpath(`//h1[contains(., "Herald API")]`)),
				chromedp.WaitVisible(css(`#operations-Posts-schedulePost`)))
			screenshot(t, ctx, "api-docs-"+size.name+".png")
			viewport(t, ctx, "api-docs-"+size.name+"-top.png")
			step("open an operation",
				chromedp.Click(css(`#operations-Posts-schedulePost .opblock-summary-control`)),
				chromedp.ScrollIntoView(css(`#operations-Posts-schedulePost`)),
				chromedp.WaitVisible(xpath(`//div[@id="operations-Posts-schedulePost"]//*[contains(@class, "parameter__name") and contains(., "If-Match")]`)))
			viewport(t, ctx, "api-docs-"+size.name+"-operation.png")
			text, err := chromedp.Run(ctx, chromedp.Text(css("#swagger-ui")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"/posts/{id}/targets/{account_id}/resolve", "/accounts/connect/{platform}", "Webhooks", "post.published", "Idempotency-Key"} {
				if !strings.Contains(text, want) {
					t.Errorf("the reference does not show %q", want)
				}
			}
		})
	}
}

// viewport saves what the window shows (not the whole page) as test-output/browser/<name>.
func viewport(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
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
