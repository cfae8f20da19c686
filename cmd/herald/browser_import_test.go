package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_ImportCSV uploads a CSV file on the import page, looks at the preview (one
// row refused for an unknown account) on a desktop and a phone, checks both with axe, and
// schedules the good rows.
func TestBrowser_ImportCSV(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }

	browserRegister(t, ctx, m.URL(), "Iris")
	browserConnectSandbox(t, ctx, m.URL(), "iris-florist")
	year := time.Now().Year() + 1
	file := filepath.Join(t.TempDir(), "spring-campaign.csv")
	csv := fmt.Sprintf("time,accounts,text,media,labels,first comment\n"+
		"%[1]d-03-02 09:30,iris-florist,\"Tulips are in! Come and see the first bunches of the season.\",https://example.com/tulips.jpg,Spring;Tulips,Open 9 to 6\n"+
		"%[1]d-03-03 09:30,iris-florist,\"Daffodils, by the armful.\",,Spring,\n"+
		"%[1]d-03-04 09:30,iris-bakery,\"Wrong account on this row.\",,Spring,\n"+
		"%[1]d-03-05 12:00,iris-florist,\"Lunchtime posies, ready to go.\",,Spring;Lunch,Order ahead\n", year)
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	step("open the import from the posts page", chromedp.Navigate(m.URL()+"/posts"), chromedp.Click(css("#import-posts")), chromedp.WaitVisible(css("#import-form")))
	if v := axeViolations(t, ctx); v != "" {
		t.Errorf("axe on the import page: %s", v)
	}
	shot("import-empty.png")
	step("preview the file",
		chromedp.SetUploadFiles(css("#import-file"), []string{file}),
		chromedp.Click(css("#import-preview")),
		chromedp.WaitVisible(css("#import-rows")))
	if got := eval(`document.querySelectorAll("#import-rows tr.import-bad").length + "/" + document.querySelectorAll("#import-rows tbody tr").length`); got != "1/4" {
		t.Errorf("bad/all rows = %s, want 1/4", got)
	}
	if got := eval(`document.querySelector("#import-rows tr.import-bad .import-problems").textContent`); !strings.Contains(got, `"iris-bakery"`) {
		t.Errorf("the bad row's reason = %q", got)
	}
	if v := axeViolations(t, ctx); v != "" {
		t.Errorf("axe on the preview: %s", v)
	}
	shot("import-preview.png")
	step("the preview on a phone", chromedp.EmulateViewport(390, 844))
	if overflow := eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); overflow != "false" {
		t.Error("the preview scrolls sideways on a phone")
	}
	if v := axeViolations(t, ctx); v != "" {
		t.Errorf("axe on the phone preview: %s", v)
	}
	shot("import-preview-phone.png")
	step("schedule the good rows", chromedp.EmulateViewport(1440, 900), chromedp.Click(css("#import-confirm")), chromedp.WaitNotPresent(css("#import-rows")))
	if got := eval(`location.pathname + " " + document.querySelector("main").textContent`); !strings.HasPrefix(got, "/posts ") {
		t.Fatalf("after Schedule: %s", strings.Join(strings.Fields(got), " "))
	}
	if got := eval(`document.querySelector("main").textContent`); !strings.Contains(got, "Scheduled 3 posts from spring-campaign.csv. Left out: 1 row with problems.") {
		t.Errorf("after scheduling the posts page says %q", strings.Join(strings.Fields(got), " "))
	}
	if got := eval(`String(document.querySelectorAll("#posts li.st-scheduled").length)`); got != "3" {
		t.Errorf("scheduled posts listed = %s, want 3", got)
	}
	shot("import-done.png")
}
