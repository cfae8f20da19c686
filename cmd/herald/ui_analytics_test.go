package main

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// analyticsContent starts like a spreadsheet formula and holds a comma and quotes, for the
// CSV export's guard and quoting.
const analyticsContent = `=1+1, "launch" day: our measured post`

// startMeasuredHerald is startHerald on a clock of the test's (the use cases' and the
// sandbox's; River's schedule follows the wall clock), which it moves on by adding to skew.
func startMeasuredHerald(t *testing.T) (*Main, *atomic.Int64) {
	t.Helper()
	skew := new(atomic.Int64)
	m := startHeraldWith(t, app.Limits{}, nil, func(m *Main) {
		m.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	return m, skew
}

// publishMeasured signs up a company, connects the sandbox, publishes a post and collects
// its metrics now, moving m's clock (started by startMeasuredHerald with skew) on. It
// returns the signed-in browser, the owner's email and the post's id.
func publishMeasured(t *testing.T, m *Main, skew *atomic.Int64, name string) (*browser, string, string) {
	t.Helper()
	b := newBrowser(t, m)
	email := b.registerUI(name)
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	company := doc.Find("#company-select option[selected]").AttrOr("value", "")
	if account == "" || company == "" {
		t.Fatalf("no account (%q) or company (%q)", account, company)
	}
	at, doc := b.page("/posts/new")
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {analyticsContent}, "account_ids": {account}, "action": {"publish"}})
	id := postID(t, res, doc)
	b.waitForStatus(id, 30*time.Second)
	// The sandbox's numbers grow with the post's age from zero; at 8 seconds every post has
	// at least one impression, so Herald's clock moves 8 seconds on. The periodic job may
	// have collected the first (zero) numbers meanwhile, so the post is made due again, as
	// it would be later on the schedule.
	skew.Add(int64(8 * time.Second))
	if _, err := m.db.Pool().Exec(context.Background(), `UPDATE post_targets SET metrics_next_at = now() WHERE post_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	// The periodic collection may take it first; either way the numbers must be in.
	if _, err := m.App.Analytics.CollectAccount(context.Background(), domain.CompanyID(company), domain.AccountID(account)); err != nil {
		t.Fatalf("collect: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var impressions int64
		if err := m.db.Pool().QueryRow(context.Background(), `SELECT coalesce(max(impressions), 0) FROM post_targets WHERE post_id = $1 AND metrics_at IS NOT NULL`, id).Scan(&impressions); err != nil {
			t.Fatal(err)
		}
		if impressions > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no metrics were collected for the post")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return b, email, id
}

// getCSV downloads path and reads it as CSV.
func (b *browser) getCSV(path string) (*http.Response, [][]string) {
	b.t.Helper()
	res, err := b.http.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil && res.StatusCode == http.StatusOK {
		b.t.Fatalf("%s is not CSV: %v\n%s", path, err, raw)
	}
	return res, rows
}

func TestUI_AnalyticsDashboardExportAndPostMetrics(t *testing.T) {
	t.Parallel()
	m, skew := startMeasuredHerald(t)
	owner, _, id := publishMeasured(t, m, skew, "Ana")

	// The dashboard: nav link, totals, charts, the post on top, export links.
	_, doc := owner.page("/")
	if doc.Find(`nav a[href="/analytics"]`).Length() != 1 {
		t.Error("no Analytics link in the navigation")
	}
	_, doc = owner.page("/analytics")
	if got := doc.Find(`[data-metric="impressions"] .metric-value`).Text(); got == "" || got == "0" {
		t.Errorf("impressions total %q, want more than 0: %s", got, text(doc.Find("#totals")))
	}
	if got := text(doc.Find(`[data-metric="impressions"] .metric-change`)); !strings.HasPrefix(got, "new") {
		t.Errorf("impressions change %q, want new (nothing the period before)", got)
	}
	if n := doc.Find("svg.chart[role=img]").Length(); n != 5 {
		t.Errorf("%d charts, want 5", n)
	}
	if n := doc.Find("svg.chart .bars rect").Length(); n == 0 {
		t.Error("the charts have no bar for today")
	}
	row := doc.Find(`#top-posts tr[data-post="` + id + `"]`)
	if row.Find(`a[href="/posts/`+id+`"]`).Length() != 1 || !strings.Contains(text(row), "launch") || !strings.Contains(text(row), "sandbox-user · published") {
		t.Errorf("top posts: %q", text(doc.Find("#top-posts")))
	}
	if !strings.Contains(text(doc.Find(".breakdown").First()), "Sandbox") || doc.Find(".breakdown").Length() != 2 {
		t.Errorf("breakdowns: %q", text(doc.Find(".breakdown")))
	}
	daily, posts := doc.Find("#export-daily").AttrOr("href", ""), doc.Find("#export-posts").AttrOr("href", "")
	if !strings.HasPrefix(daily, "/analytics/export.csv?") || !strings.Contains(posts, "table=posts") {
		t.Fatalf("export links %q %q", daily, posts)
	}
	if n := doc.Find(".quick-ranges a").Length(); n != 4 {
		t.Errorf("%d quick ranges, want 4", n)
	}
	_, doc = owner.page("/analytics?platform=sandbox")
	if doc.Find(`#top-posts tr[data-post="`+id+`"]`).Length() != 1 || doc.Find(`#platform option[value="sandbox"][selected]`).Length() != 1 {
		t.Error("the sandbox filter does not show the post")
	}
	if _, doc = owner.page("/analytics?platform=linkedin"); doc.Find("#no-top-posts").Length() != 1 {
		t.Error("the LinkedIn filter shows posts")
	}

	// CSV exports.
	res, rows := owner.getCSV(daily)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") || len(rows) != 31 || rows[0][0] != "date" {
		t.Errorf("daily CSV = %d %q %q, %d rows", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), len(rows))
	}
	res, rows = owner.getCSV(posts)
	if res.StatusCode != 200 || len(rows) != 2 || rows[1][0] != id || rows[1][1] != "'"+analyticsContent || !strings.HasSuffix(rows[1][2], " (Sandbox)") || rows[1][7] == "0" {
		t.Errorf("posts CSV = %d %q", res.StatusCode, rows)
	}
	if res, _ := owner.getCSV("/analytics/export.csv?from=nope"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("CSV with a bad date = %d, want 422", res.StatusCode)
	}

	// The post page shows the metrics per target and the series: one collection, or two when
	// the periodic collection (run on start, late under load) took the post first.
	_, doc = owner.page("/posts/" + id)
	if n := doc.Find("#post-series circle").Length(); doc.Find("#post-metrics-table tbody tr").Length() != 1 || n < 1 || n > 2 || doc.Find("#no-metrics").Length() != 0 {
		t.Errorf("post metrics: %q", text(doc.Find("#post-metrics")))
	}

	// Bad dates show beside the picker, not as an error page.
	for _, q := range []string{"from=yesterday", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01", "platform=myspace"} {
		res, doc := owner.get("/analytics?" + q)
		errs := text(doc.Find("#range-form .field-error"))
		if res.StatusCode != http.StatusUnprocessableEntity || errs == "" || doc.Find("#range-form").Length() != 1 || doc.Find("svg.chart").Length() != 0 {
			t.Errorf("/analytics?%s = %d, errors %q", q, res.StatusCode, errs)
		}
	}

	// A viewer may read the dashboard; another company sees none of it.
	viewer := newBrowser(t, m)
	viewerEmail := viewer.registerUI("Vic")
	viewer.accept(owner.invite(viewerEmail, "viewer"))
	_, home := viewer.get("/")
	var company string
	home.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Ana Co" {
			company, _ = s.Attr("value")
		}
	})
	viewer.submit("/", "#company-switcher", map[string]string{"company_id": company})
	if _, doc := viewer.page("/analytics"); doc.Find(`#top-posts tr[data-post="`+id+`"]`).Length() != 1 {
		t.Errorf("the viewer's dashboard: %q", text(doc.Find("main")))
	}
	if _, doc := viewer.page("/posts/" + id); doc.Find("#post-metrics-table").Length() != 1 {
		t.Error("the viewer does not see the post's metrics")
	}

	stranger := newBrowser(t, m)
	stranger.registerUI("Sly")
	if res, doc := stranger.get("/posts/" + id); res.StatusCode != http.StatusNotFound || strings.Contains(doc.Text(), "launch") {
		t.Errorf("another company's post page = %d, want 404", res.StatusCode)
	}
	if _, doc := stranger.page("/analytics"); doc.Find("#top-posts").Length() != 0 || doc.Find(`[data-metric="impressions"] .metric-value`).Text() != "0" {
		t.Errorf("another company's dashboard shows our numbers: %q", text(doc.Find("#totals")))
	}
	if _, rows := stranger.getCSV("/analytics/export.csv?table=posts"); len(rows) != 1 {
		t.Errorf("another company's export has %d rows", len(rows))
	}
}

func TestBrowser_AnalyticsDashboard(t *testing.T) {
	t.Parallel()
	m, skew := startMeasuredHerald(t)
	_, email, id := publishMeasured(t, m, skew, "Bea")

	for _, size := range []struct {
		name string
		w, h int
	}{{"analytics.png", 1280, 1000}, {"analytics-phone.png", 390, 844}} {
		ctx := chrome(t, size.w, size.h)
		type css = chromedp.CSS
		if err := chromedp.Do(ctx,
			// The window cannot be narrower than 500 px; emulation gives a phone's 390.
			chromedp.EmulateViewport(int64(size.w), int64(size.h)),
			chromedp.Navigate(m.URL()+"/login"),
			chromedp.SendKeys(css("#email"), email),
			chromedp.SendKeys(css("#password"), "correct horse battery"),
			chromedp.Submit(css("#password")),
			chromedp.WaitVisible(css("#company-name")),
			chromedp.Navigate(m.URL()+"/analytics"),
			chromedp.WaitVisible(css("#charts")),
			chromedp.WaitVisible(css(`#top-posts tr[data-post="`+id+`"]`)),
			// A quick range is a boosted link: the page swaps to the last 7 days.
			chromedp.Click(css(`.quick-ranges li:first-child a`)),
			chromedp.WaitVisible(css(`.quick-ranges li:first-child a[aria-current="page"]`)),
			chromedp.WaitVisible(css(`#top-posts tr[data-post="`+id+`"]`))); err != nil {
			t.Fatalf("%s: %v", size.name, err)
		}
		// Nothing sticks out sideways on a phone, and the charts have a real size.
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const r = document.querySelector("#chart-impressions").getBoundingClientRect();
			const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
			return (r.width > 200 && r.height > 60 ? "sized" : "tiny " + r.width + "x" + r.height) + (wide ? " overflow " + document.documentElement.scrollWidth : "");
		})()`))
		if err != nil || out != "sized" {
			t.Errorf("%s: %q %v", size.name, out, err)
		}
		screenshot(t, ctx, size.name)
		if err := chromedp.Do(ctx, chromedp.Navigate(m.URL()+"/posts/"+id), chromedp.WaitVisible(css("#post-series"))); err != nil {
			t.Fatalf("post page: %v", err)
		}
		// The post's metrics table fits as well (a card on a phone).
		if out, err := chromedp.Run(ctx, chromedp.Evaluate[string](layoutJS+`("")`)); err != nil || out != "" {
			t.Errorf("%s, post page: %q %v", size.name, out, err)
		}
		screenshot(t, ctx, strings.Replace(size.name, "analytics", "analytics-post", 1))
	}
}

func TestUI_CompanyTimeZoneForAnalytics(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	email := owner.registerUI("Zed")
	at, doc := owner.page("/settings")
	res, doc := owner.postForm(at, doc, "#zone-form", url.Values{"time_zone": {"Mars/Olympus"}})
	if res.StatusCode != 422 || !strings.Contains(doc.Find("#zone-field-error").Text(), "time zone") || doc.Find("#company-time-zone option[selected]").AttrOr("value", "") != "UTC" {
		t.Fatalf("a bad zone = %d %q", res.StatusCode, doc.Find("#zone-field-error").Text())
	}
	at, doc = owner.page("/settings")
	res, _ = owner.postForm(at, doc, "#zone-form", url.Values{"time_zone": {"Europe/Berlin"}})
	if res.StatusCode != 200 {
		t.Fatalf("save zone = %d", res.StatusCode)
	}
	if _, doc := owner.page("/settings"); doc.Find("#company-time-zone option[selected]").AttrOr("value", "") != "Europe/Berlin" {
		t.Errorf("the saved zone is not shown")
	}
	c := newClient(t, m)
	st, _, login := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	if st != 200 {
		t.Fatal(st)
	}
	if _, _, b := c.with(login["token"].(string), "").do("GET", "/api/v1/analytics/overview", nil); b["time_zone"] != "Europe/Berlin" {
		t.Errorf("overview time zone = %v", b["time_zone"])
	}
}

// TestUI_PostSaysWhyItsMetricsAreNotCollected: where the platform does not share a post's
// numbers with apps, the post page says so instead of "not collected yet".
func TestUI_PostSaysWhyItsMetricsAreNotCollected(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	b.registerUI("Noor")
	b.connectSandbox("/accounts", "allow")
	_, doc := b.page("/accounts")
	account := doc.Find("#accounts tbody tr").AttrOr("data-account", "")
	at, doc := b.page("/posts/new")
	res, doc := b.postForm(at, doc, "#compose", url.Values{"content": {"A personal post"}, "account_ids": {account}, "action": {"publish"}})
	id := postID(t, res, doc)
	b.waitForStatus(id, 30*time.Second)
	_, doc = b.page("/posts/" + id)
	if got := text(doc.Find("#post-metrics, .collected").First()); got == "" {
		t.Fatalf("the post page shows no metrics line: %s", text(doc.Find("main")))
	}
	note := "LinkedIn does not share personal posts' numbers with apps."
	if _, err := m.db.Pool().Exec(context.Background(), `UPDATE post_targets SET metrics_note = $2, metrics_next_at = NULL WHERE post_id = $1`, id, note); err != nil {
		t.Fatal(err)
	}
	_, doc = b.page("/posts/" + id)
	if got := text(doc.Find(".metrics-note")); got != note {
		t.Errorf("the post page's note = %q, want %q", got, note)
	}
	if strings.Contains(text(doc.Find("main")), "not collected yet") {
		t.Error("the post page still says the numbers are not collected yet")
	}
}
