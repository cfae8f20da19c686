package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// sampleReport has n days from 1 Jan 2026 with growing numbers on every day.
func sampleReport(n int) app.Report {
	r := app.Report{Zone: "Europe/Berlin", Previous: domain.Metrics{Likes: 100, Comments: 0, Shares: 50, Reach: 1000, Impressions: 2000}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		m := domain.Metrics{Likes: int64(i + 1), Comments: int64(i % 3), Shares: 1, Reach: int64(100 * (i + 1)), Impressions: int64(1234 * (i + 1))}
		r.Daily = append(r.Daily, app.DayMetrics{Date: start.AddDate(0, 0, i).Format(time.DateOnly), Metrics: m})
		r.Totals = add(r.Totals, m)
	}
	if n > 0 {
		r.ByPlatform = []ports.MetricsRow{{Key: "linkedin", Metrics: domain.Metrics{Impressions: 300, Likes: 3}}, {Key: "instagram", Metrics: domain.Metrics{Impressions: 100}}}
		r.ByAccount = []ports.MetricsRow{{Key: "a1", Metrics: domain.Metrics{Impressions: 300}}, {Key: "gone", Metrics: domain.Metrics{Impressions: 100}}}
		r.TopPosts = []ports.MetricsRow{{Key: "p1", Metrics: domain.Metrics{Impressions: 12345, Likes: 7}}, {Key: "p2", Metrics: domain.Metrics{Impressions: 1}}}
	}
	return r
}

func add(a, b domain.Metrics) domain.Metrics {
	return domain.Metrics{Likes: a.Likes + b.Likes, Comments: a.Comments + b.Comments, Shares: a.Shares + b.Shares, Reach: a.Reach + b.Reach, Impressions: a.Impressions + b.Impressions}
}

func renderDashboard(t *testing.T, r app.Report) (*goquery.Document, string) {
	t.Helper()
	post := samplePost(t, domain.PostPublished, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	p := analyticsPage{From: "2026-01-01", To: "2026-01-31", Platforms: domain.Platforms, Errors: map[string]string{},
		Quick: quickLinks(time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), time.UTC, "", "", "2026-01-01", "2026-01-31")}
	names := accountNames{"a1": {ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme on LinkedIn"}}
	p.fill(r, names, func(id string) *domain.Post {
		if id == "p1" {
			return &post
		}
		return nil
	})
	doc := render(t, pageAnalytics, p, time.UTC, domain.RoleViewer)
	html, _ := doc.Html()
	return doc, html
}

func TestTemplates_AnalyticsChartsWith0And1And365Days(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 365} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			doc, html := renderDashboard(t, sampleReport(n))
			for _, bad := range []string{"NaN", "Inf", "style="} {
				if strings.Contains(html, bad) {
					t.Errorf("dashboard contains %q", bad)
				}
			}
			charts := doc.Find("svg.chart")
			if charts.Length() != 5 {
				t.Fatalf("%d charts, want one per metric", charts.Length())
			}
			charts.Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("id")
				if role, _ := s.Attr("role"); role != "img" {
					t.Errorf("%s: role %q", id, role)
				}
				if l, _ := s.Attr("aria-label"); l == "" || s.Find("title").First().Text() == "" || s.Find("desc").Text() == "" {
					t.Errorf("%s lacks its label, title or desc", id)
				}
				if got := s.Find(".bars rect").Length(); got != n && !(id == "chart-comments" && got < n) {
					t.Errorf("%s: %d bars for %d days", id, got, n)
				}
				ticks := s.Find(".x-ticks text")
				if n > 0 && (ticks.Length() < 1 || ticks.Length() > chartMaxXTicks) {
					t.Errorf("%s: %d date ticks", id, ticks.Length())
				}
				var last float64 = -1000
				ticks.Each(func(_ int, tk *goquery.Selection) {
					x, err := strconv.ParseFloat(tk.AttrOr("x", ""), 64)
					if err != nil || x < 0 || x > chartW {
						t.Errorf("%s: tick x %q", id, tk.AttrOr("x", ""))
					}
					if x-last < 60 {
						t.Errorf("%s: ticks %v and %v overlap", id, last, x)
					}
					last = x
				})
				if got := s.Find(".y-ticks text").Length(); got != 3 {
					t.Errorf("%s: %d value ticks, want 0, mid and max", id, got)
				}
				s.Find(".bars rect").Each(func(_ int, b *goquery.Selection) {
					for _, a := range []string{"x", "y", "width", "height"} {
						if v, err := strconv.ParseFloat(b.AttrOr(a, ""), 64); err != nil || v < 0 {
							t.Errorf("%s: bar %s=%q", id, a, b.AttrOr(a, ""))
						}
					}
				})
			})
			// htmx must not boost a download into the page.
			if doc.Find(`[hx-boost="false"] a#export-daily[download], [hx-boost="false"] a#export-posts[download]`).Length() != 2 {
				t.Error("the CSV links are boosted")
			}
			if n == 0 {
				if doc.Find("#chart-likes .chart-empty").Length() != 1 || doc.Find("#no-top-posts").Length() != 1 {
					t.Error("an empty range does not say so")
				}
				return
			}
			var total int64
			for i := range n {
				total += int64(1234 * (i + 1))
			}
			if got, want := text(doc.Find(`[data-metric="impressions"] .metric-value`)), thousands64(total); got != want {
				t.Errorf("impressions total %q, want %q", got, want)
			}
			if got := text(doc.Find(`[data-metric="comments"] .metric-change`)); n > 2 && !strings.HasPrefix(got, "new") {
				t.Errorf("comments change %q, want new", got)
			}
			if got := text(doc.Find("#top-posts tbody tr").First()); !strings.Contains(got, "Hello <b>world</b>") || !strings.Contains(got, "12,345") || !strings.Contains(got, "LinkedIn") {
				t.Errorf("top post row %q", got)
			}
			if href := doc.Find("#top-posts a.post-excerpt").AttrOr("href", ""); href != "/posts/p1" {
				t.Errorf("top post links to %q", href)
			}
			if !strings.Contains(text(doc.Find("#top-posts tbody tr").Eq(1)), "Deleted post") {
				t.Error("a deleted top post is not named as such")
			}
			if got := text(doc.Find(".breakdown").Eq(1)); !strings.Contains(got, "Acme on LinkedIn") || !strings.Contains(got, "Disconnected account") || !strings.Contains(got, "75%") {
				t.Errorf("accounts table %q", got)
			}
			if n == 365 {
				labels := text(doc.Find("#chart-likes .x-ticks"))
				if !strings.Contains(labels, "Mar 2026") {
					t.Errorf("a year is labelled by months, got %q", labels)
				}
			}
		})
	}
}

func TestTemplates_AnalyticsErrorsBesideThePicker(t *testing.T) {
	t.Parallel()
	p := analyticsPage{From: "yesterday", To: "2026-01-01", Platforms: domain.Platforms, Message: "Please correct the highlighted fields.",
		Errors: map[string]string{"from": "must be a date (2026-11-24) or an RFC 3339 time"}}
	doc := render(t, pageAnalytics, p, time.UTC, domain.RoleViewer)
	if got := text(doc.Find("#from-error")); !strings.Contains(got, "must be a date") {
		t.Errorf("from error %q", got)
	}
	if v := doc.Find("#from").AttrOr("value", ""); v != "yesterday" {
		t.Errorf("typed value not kept: %q", v)
	}
	if doc.Find("svg.chart").Length() != 0 || doc.Find("#exports").Length() != 0 {
		t.Error("a bad range still shows a report")
	}
}

func TestChange(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cur, prev   int64
		text, trend string
	}{{112, 100, "+12%", "up"}, {97, 100, "−3%", "down"}, {5, 0, "new", "new"}, {0, 0, "0%", "flat"}, {100, 100, "0%", "flat"},
		{0, 7, "−100%", "down"}, {3000, 1, "+299,900%", "up"}, {1001, 1000, "0%", "flat"}, {995, 1000, "−1%", "down"}} {
		if text, trend := change(c.cur, c.prev); text != c.text || trend != c.trend {
			t.Errorf("change(%d, %d) = %q %q, want %q %q", c.cur, c.prev, text, trend, c.text, c.trend)
		}
	}
}

func TestChart_NiceAxisAndCompactLabels(t *testing.T) {
	t.Parallel()
	for v, want := range map[int64]float64{0: 2, 1: 2, 3: 4, 7: 8, 10: 10, 12: 20, 230: 400, 500: 500, 1001: 2000, 99999: 100000} {
		if got := niceMax(v); got != want {
			t.Errorf("niceMax(%d) = %v, want %v", v, got, want)
		}
	}
	for f, want := range map[float64]string{0: "0", 1: "1", 950: "950", 1250: "1.3k", 2_500_000: "2.5M"} {
		if got := compact(f); got != want {
			t.Errorf("compact(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestTemplates_PostMetrics(t *testing.T) {
	t.Parallel()
	post := samplePost(t, domain.PostPublished, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	names := accountNames{"a1": {ID: "a1", Platform: domain.LinkedIn, DisplayName: "Acme on LinkedIn"}}

	empty := &postMetrics{Totals: metricCells(domain.Metrics{}), Empty: true, Chart: seriesChart(nil, time.UTC)}
	doc := render(t, pagePost, postPage{Post: post, Names: names, Metrics: empty}, time.UTC, domain.RoleViewer)
	if got := text(doc.Find("#post-metrics")); !strings.Contains(got, "No metrics collected yet") {
		t.Errorf("empty metrics %q", got)
	}

	// A platform that does not share the numbers: its note, and no chart.
	noted := &postMetrics{Totals: metricCells(domain.Metrics{}), Chart: seriesChart(nil, time.UTC),
		Targets: []targetMetrics{{Account: "a1", Platform: domain.LinkedIn, Note: "LinkedIn does not share personal posts' numbers with apps.", Metrics: metricCells(domain.Metrics{})}}}
	doc = render(t, pagePost, postPage{Post: post, Names: names, Metrics: noted}, time.UTC, domain.RoleViewer)
	if got := text(doc.Find("#post-metrics .metrics-note")); got != "LinkedIn does not share personal posts' numbers with apps." || doc.Find("#post-series").Length() != 0 {
		t.Errorf("metrics with a note: %q, %d charts", text(doc.Find("#post-metrics")), doc.Find("#post-series").Length())
	}

	for _, n := range []int{1, 40} {
		var series []ports.MetricsRow
		for i := range n {
			at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i*i) * time.Hour)
			series = append(series, ports.MetricsRow{Key: at.Format(time.RFC3339), Metrics: domain.Metrics{Impressions: int64(1500 * (i + 1))}})
		}
		pm := &postMetrics{Totals: metricCells(domain.Metrics{Likes: 4, Impressions: 1500 * int64(n)}), Chart: seriesChart(series, time.UTC), Series: true,
			Targets: []targetMetrics{{Account: "a1", Platform: domain.LinkedIn, CollectedAt: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), Metrics: metricCells(domain.Metrics{Likes: 4, Impressions: 1500 * int64(n)})}}}
		doc := render(t, pagePost, postPage{Post: post, Names: names, Metrics: pm}, time.UTC, domain.RoleViewer)
		html, _ := doc.Html()
		if strings.Contains(html, "NaN") || strings.Contains(html, "Inf") {
			t.Errorf("%d points: NaN or Inf in the chart", n)
		}
		svg := doc.Find("#post-series")
		if svg.AttrOr("role", "") != "img" || svg.Find("circle").Length() != n || svg.Find(".x-ticks text").Length() > 3 {
			t.Errorf("%d points: chart %q", n, text(svg))
		}
		if got := text(doc.Find("#post-metrics-table")); !strings.Contains(got, "Acme on LinkedIn") || !strings.Contains(got, thousands(1500*n)) || !strings.Contains(got, "Total") {
			t.Errorf("%d points: table %q", n, got)
		}
	}
}

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }
