package app_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestExportRows_QuotingAndFormulaGuard(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "-2": "'-2", "@cmd": "'@cmd", "\tx": "'\tx",
		"hello": "hello", "": "", "a=b": "a=b"} {
		if got := app.CSVText(in); got != want {
			t.Errorf("CSVText(%q) = %q, want %q", in, got, want)
		}
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := app.Report{Zone: "Europe/Berlin"}
	for i := range 2 {
		m := domain.Metrics{Likes: int64(i + 1), Comments: int64(i % 3), Shares: 1, Reach: int64(100 * (i + 1)), Impressions: int64(1234 * (i + 1))}
		r.Daily = append(r.Daily, app.DayMetrics{Date: start.AddDate(0, 0, i).Format(time.DateOnly), Metrics: m})
	}
	r.TopPosts = []ports.MetricsRow{{Key: "p1", Metrics: domain.Metrics{Impressions: 12345, Likes: 7}}, {Key: "p2", Metrics: domain.Metrics{Impressions: 1}}}
	evil := domain.Post{ID: "p1", Content: "=HYPERLINK(\"http://x.test\",\"click\"),\n\n \"quoted\", and more",
		Targets: []domain.Target{{AccountID: "a1", Platform: domain.LinkedIn}, {AccountID: "a2", Platform: domain.Sandbox}}}
	names := map[domain.AccountID]domain.Account{"a1": {ID: "a1", Platform: domain.LinkedIn, DisplayName: "=Acme"}}
	rows := app.ExportRows(r, "posts", map[string]domain.Post{"p1": evil}, names)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	back, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if len(back) != 3 || strings.Join(back[0], ",") != "post_id,content,accounts,likes,comments,shares,reach,impressions" {
		t.Fatalf("posts rows: %q", back)
	}
	if got := back[1][1]; got != `'=HYPERLINK("http://x.test","click"), "quoted", and more` || back[1][2] != "'=Acme (LinkedIn); Disconnected account (Sandbox)" || back[1][7] != "12345" {
		t.Errorf("first post row %q", back[1])
	}
	if got := back[2]; got[0] != "p2" || got[1] != "" || got[2] != "" { // a deleted post keeps its row
		t.Errorf("deleted post row %q", got)
	}
	daily := app.ExportRows(r, "daily", nil, nil)
	if len(daily) != 3 || strings.Join(daily[1], ",") != "2026-01-01,1,0,1,100,1234" {
		t.Errorf("daily rows %q", daily)
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	if got := domain.Excerpt("a\n\n b  c", 10); got != "a b c" {
		t.Errorf("Excerpt = %q", got)
	}
	if got := domain.Excerpt("héllo wörld", 6); got != "héllo…" {
		t.Errorf("Excerpt cut = %q", got)
	}
}
