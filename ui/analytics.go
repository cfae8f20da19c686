package ui

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// metricDefs are the five metrics, in the order the pages show them.
var metricDefs = []struct {
	Key, Title string
	Value      func(domain.Metrics) int64
}{
	{"likes", "Likes", func(m domain.Metrics) int64 { return m.Likes }},
	{"comments", "Comments", func(m domain.Metrics) int64 { return m.Comments }},
	{"shares", "Shares", func(m domain.Metrics) int64 { return m.Shares }},
	{"reach", "Reach", func(m domain.Metrics) int64 { return m.Reach }},
	{"impressions", "Impressions", func(m domain.Metrics) int64 { return m.Impressions }},
}

// analyticsPage is the dashboard: the picker (with its errors) and, when the range is
// good, the report drawn as cards, charts and tables.
type analyticsPage struct {
	From, To                 string // the picker's values, YYYY-MM-DD
	Platform                 string
	Platforms                []domain.Platform
	Label                    string             // only posts with this label; "" for all
	Labels                   []ports.LabelCount // the company's labels, for the filter
	Quick                    []quickLink
	Errors                   map[string]string
	Message                  string
	HasReport                bool
	Zone                     string
	Days                     int
	Cards                    []metricCard
	Charts                   []chart
	ByPlatform               []breakdownRow
	ByAccount                []breakdownRow
	TopPosts                 []topPost
	ExportDaily, ExportPosts string
	Names                    accountNames // labels the top posts' targets
}

type quickLink struct {
	Label, Href string
	Current     bool
}

// metricCard is one total with its change against the previous period.
type metricCard struct {
	Key, Title, Value, Change, Trend string // Trend: up, down, flat or new
	Previous                         string
}

// breakdownRow is one platform or account with its numbers and a bar for its impressions.
type breakdownRow struct {
	Name     string
	Platform domain.Platform
	Metrics  []string
	Bar      string // width of the bar, 0..100
	Share    string // "42%" of the impressions
}

// topPost is one of the posts with the most impressions.
type topPost struct {
	ID      string
	Excerpt string
	Post    *domain.Post // nil when deleted
	Metrics []string
}

// change writes the change from prev to cur: "+12%", "−3%", "0%", or "new" when there
// was nothing before; trend names the CSS class.
func change(cur, prev int64) (text, trend string) {
	switch {
	case prev == 0 && cur == 0:
		return "0%", "flat"
	case prev == 0:
		return "new", "new"
	}
	pct := float64(cur-prev) * 100 / float64(prev)
	r := int64(pct + 0.5)
	if pct < 0 {
		r = -int64(-pct + 0.5)
	}
	switch {
	case r > 0:
		return "+" + thousands64(r) + "%", "up"
	case r < 0:
		return "−" + thousands64(-r) + "%", "down"
	}
	return "0%", "flat"
}

func metricCells(m domain.Metrics) []string {
	out := make([]string, len(metricDefs))
	for i, d := range metricDefs {
		out[i] = thousands64(d.Value(m))
	}
	return out
}

// analyticsQuery is the address of the dashboard or an export with the same range.
func analyticsQuery(path, from, to, platform string, extra ...string) string {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	if platform != "" {
		q.Set("platform", platform)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// quickLinks are the last 7, 30 and 90 days and this month, ending today in loc.
func quickLinks(now time.Time, loc *time.Location, platform, labelFilter, from, to string) []quickLink {
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	mk := func(label string, start time.Time) quickLink {
		f, t := d(start), d(today)
		href := analyticsQuery(routePath("analytics"), f, t, platform)
		if labelFilter != "" {
			href = analyticsQuery(routePath("analytics"), f, t, platform, "label", labelFilter)
		}
		return quickLink{Label: label, Href: href, Current: f == from && t == to}
	}
	return []quickLink{
		mk("Last 7 days", today.AddDate(0, 0, -6)),
		mk("Last 30 days", today.AddDate(0, 0, -29)),
		mk("Last 90 days", today.AddDate(0, 0, -89)),
		mk("This month", time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)),
	}
}

// IsLabel reports whether l is the filter's label, regardless of case.
func (p analyticsPage) IsLabel(l string) bool { return p.Label != "" && strings.EqualFold(l, p.Label) }

// HasLabel reports whether the filter's label is among the company's.
func (p analyticsPage) HasLabel() bool {
	for _, l := range p.Labels {
		if p.IsLabel(l.Label) {
			return true
		}
	}
	return false
}

// report asks the app for the dashboard's range: every platform or one, every post or
// those with a label.
func (h *Handler) report(c echo.Context, from, to, platform, label string) (app.Report, error) {
	return h.Analytics.LabelReport(c.Request().Context(), actorOf(c), platform, label, from, to)
}

// analyticsDashboard handles GET /analytics?from=&to=&platform=. A bad range or platform shows
// the picker with the problem (422), never an error page.
func (h *Handler) analyticsDashboard(c echo.Context) error {
	from, to, platform := strings.TrimSpace(c.QueryParam("from")), strings.TrimSpace(c.QueryParam("to")), strings.TrimSpace(c.QueryParam("platform"))
	label := strings.TrimSpace(c.QueryParam("label"))
	p := analyticsPage{From: from, To: to, Platform: platform, Platforms: domain.Platforms, Label: label, Errors: map[string]string{}}
	if labels, err := h.Posts.Labels(c.Request().Context(), actorOf(c)); err == nil {
		p.Labels = labels // a viewer without posts access still sees the numbers, without the filter
	}
	r, err := h.report(c, from, to, platform, label)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeInvalid, domain.CodeNotFound:
		p.Message = domain.MessageOf(err)
		for k, v := range domain.FieldsOf(err) {
			p.Errors[k] = v
		}
		if domain.CodeOf(err) == domain.CodeNotFound {
			p.Errors["platform"] = "must be one of the listed platforms"
		}
		p.Quick = quickLinks(time.Now(), zoneOf(c), "", "", "", "")
		return h.page(c, http.StatusUnprocessableEntity, pageAnalytics, p)
	default:
		return err
	}
	loc, err := app.LoadZone(r.Zone)
	if err != nil {
		loc = time.UTC
	}
	p.From, p.To = r.From.In(loc).Format(time.DateOnly), r.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	p.Quick = quickLinks(time.Now(), loc, platform, label, p.From, p.To)
	p.ExportDaily = analyticsQuery(routePath("analytics.export"), p.From, p.To, platform, "table", "daily")
	p.ExportPosts = analyticsQuery(routePath("analytics.export"), p.From, p.To, platform, "table", "posts")
	names, _, _ := h.accountNames(c) // a missing name shows as a disconnected account
	p.fill(r, names, h.postGetter(c))
	return h.page(c, http.StatusOK, pageAnalytics, p)
}

// fill lays the report out for the template.
func (p *analyticsPage) fill(r app.Report, names accountNames, post func(id string) *domain.Post) {
	p.HasReport, p.Zone, p.Days, p.Names = true, r.Zone, len(r.Daily), names
	for _, d := range metricDefs {
		cur, prev := d.Value(r.Totals), d.Value(r.Previous)
		ch, trend := change(cur, prev)
		p.Cards = append(p.Cards, metricCard{Key: d.Key, Title: d.Title, Value: thousands64(cur), Change: ch, Trend: trend, Previous: thousands64(prev)})
		p.Charts = append(p.Charts, dailyChart("chart-"+d.Key, d.Title, "m-"+d.Key, r.Daily, func(m app.DayMetrics) int64 { return d.Value(m.Metrics) }))
	}
	var total int64
	for _, row := range r.ByPlatform {
		total += row.Impressions
	}
	bar := func(m domain.Metrics) (string, string) {
		if total <= 0 {
			return "0", "–"
		}
		pct := float64(m.Impressions) * 100 / float64(total)
		return num(pct), strconv.Itoa(int(pct+0.5)) + "%"
	}
	for _, row := range r.ByPlatform {
		pl := domain.Platform(row.Key)
		b, s := bar(row.Metrics)
		p.ByPlatform = append(p.ByPlatform, breakdownRow{Name: pl.Title(), Platform: pl, Metrics: metricCells(row.Metrics), Bar: b, Share: s})
	}
	for _, row := range r.ByAccount {
		b, s := bar(row.Metrics)
		a := names[domain.AccountID(row.Key)]
		p.ByAccount = append(p.ByAccount, breakdownRow{Name: names.Name(domain.AccountID(row.Key)), Platform: a.Platform, Metrics: metricCells(row.Metrics), Bar: b, Share: s})
	}
	for _, row := range r.TopPosts {
		tp := topPost{ID: row.Key, Metrics: metricCells(row.Metrics)}
		if post != nil {
			tp.Post = post(row.Key)
		}
		p.TopPosts = append(p.TopPosts, tp)
	}
}

// postGetter returns the company's posts by id, nil for one that is gone.
func (h *Handler) postGetter(c echo.Context) func(id string) *domain.Post {
	return func(id string) *domain.Post {
		post, err := h.Posts.Get(c.Request().Context(), actorOf(c), domain.PostID(id))
		if err != nil {
			return nil
		}
		return &post
	}
}

// exportCSV handles GET /analytics/export.csv?from=&to=&platform=&table=daily|posts.
func (h *Handler) exportCSV(c echo.Context) error {
	x, err := h.Analytics.Export(c.Request().Context(), actorOf(c), c.QueryParam("platform"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("table"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+x.Filename+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.WriteAll(x.Rows); err != nil {
		h.Log.ErrorContext(c.Request().Context(), "writing the CSV export failed", "err", err)
	}
	return nil
}

// csvRows are the export's rows, header first: one a day, or one per top post with its
// accounts by name and its text guarded against formula injection.
// postMetrics is the metrics panel of the post page.
type postMetrics struct {
	Totals  []string
	Targets []targetMetrics
	Chart   chart
	Empty   bool // nothing collected and nothing to say about it
	Series  bool // snapshots to chart
}

type targetMetrics struct {
	Account     domain.AccountID
	Platform    domain.Platform
	CollectedAt time.Time
	Note        string
	Metrics     []string
}

// postMetricsOf reads the post's metrics for its page; nil when there are none to show
// or they cannot be read (the page still shows the post).
func (h *Handler) postMetricsOf(c echo.Context, id domain.PostID) *postMetrics {
	if h.Analytics == nil {
		return nil
	}
	r, err := h.Analytics.Post(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return nil
	}
	pm := &postMetrics{Totals: metricCells(r.Totals), Series: len(r.Series) > 0, Chart: seriesChart(r.Series, zoneOf(c))}
	noted := false
	for _, t := range r.Targets {
		pm.Targets = append(pm.Targets, targetMetrics{Account: t.Account, Platform: t.Platform, CollectedAt: t.CollectedAt, Note: t.Note, Metrics: metricCells(t.Metrics)})
		noted = noted || t.Note != ""
	}
	// A platform's note (it does not share the numbers) is worth the table on its own.
	pm.Empty = !pm.Series && !noted
	return pm
}
