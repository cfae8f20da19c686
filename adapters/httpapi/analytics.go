package httpapi

import (
	"encoding/csv"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

type metricsJSON struct {
	Likes       int64 `json:"likes"`
	Comments    int64 `json:"comments"`
	Shares      int64 `json:"shares"`
	Reach       int64 `json:"reach"`
	Impressions int64 `json:"impressions"`
}

func toMetrics(m domain.Metrics) metricsJSON {
	return metricsJSON{Likes: m.Likes, Comments: m.Comments, Shares: m.Shares, Reach: m.Reach, Impressions: m.Impressions}
}

// analyticsPost handles GET /analytics/posts/:id.
func (a *API) analyticsPost(c echo.Context) error {
	r, err := a.analytics.Post(c.Request().Context(), actor(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	type target struct {
		AccountID domain.AccountID `json:"account_id"`
		Platform  domain.Platform  `json:"platform"`
		metricsJSON
		CollectedAt *string `json:"collected_at"`
		Note        string  `json:"metrics_note,omitempty"` // why the platform's numbers are not collected
	}
	type point struct {
		At string `json:"at"`
		metricsJSON
	}
	out := struct {
		PostID  domain.PostID `json:"post_id"`
		Totals  metricsJSON   `json:"totals"`
		Targets []target      `json:"targets"`
		Series  []point       `json:"series"`
	}{PostID: r.Post, Totals: toMetrics(r.Totals), Targets: []target{},
		Series: keyed(r.Series, func(k string, m metricsJSON) point { return point{k, m} })}
	for _, t := range r.Targets {
		out.Targets = append(out.Targets, target{AccountID: t.Account, Platform: t.Platform, metricsJSON: toMetrics(t.Metrics), CollectedAt: optionalTime(t.CollectedAt), Note: t.Note})
	}
	return c.JSON(http.StatusOK, out)
}

type dayJSON struct {
	Date string `json:"date"`
	metricsJSON
}

func days(r app.Report) []dayJSON {
	out := make([]dayJSON, len(r.Daily))
	for i, d := range r.Daily {
		out[i] = dayJSON{Date: d.Date, metricsJSON: toMetrics(d.Metrics)}
	}
	return out
}

func keyed[T any](rows []ports.MetricsRow, mk func(key string, m metricsJSON) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = mk(r.Key, toMetrics(r.Metrics))
	}
	return out
}

// analyticsOverview handles GET /analytics/overview.
func (a *API) analyticsOverview(c echo.Context) error {
	r, err := a.analytics.LabelOverview(c.Request().Context(), actor(c), c.QueryParam("label"), c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	type platformRow struct {
		Platform string `json:"platform"`
		metricsJSON
	}
	type postRow struct {
		PostID string `json:"post_id"`
		metricsJSON
	}
	out := map[string]any{
		"from": rfc3339(r.From), "to": rfc3339(r.To), "time_zone": r.Zone,
		"totals": toMetrics(r.Totals), "previous": toMetrics(r.Previous), "daily": days(r),
		"by_platform": keyed(r.ByPlatform, func(k string, m metricsJSON) platformRow { return platformRow{k, m} }),
		"top_posts":   keyed(r.TopPosts, func(k string, m metricsJSON) postRow { return postRow{k, m} }),
	}
	if r.Label != "" {
		out["label"] = r.Label
	}
	return c.JSON(http.StatusOK, out)
}

// analyticsPlatform handles GET /analytics/platform/:platform.
func (a *API) analyticsPlatform(c echo.Context) error {
	r, err := a.analytics.Platform(c.Request().Context(), actor(c), c.Param("platform"), c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	type accountRow struct {
		AccountID string `json:"account_id"`
		metricsJSON
	}
	return c.JSON(http.StatusOK, map[string]any{
		"platform": r.Platform, "from": rfc3339(r.From), "to": rfc3339(r.To), "time_zone": r.Zone,
		"totals": toMetrics(r.Totals), "previous": toMetrics(r.Previous), "daily": days(r),
		"accounts": keyed(r.ByAccount, func(k string, m metricsJSON) accountRow { return accountRow{k, m} }),
	})
}

// analyticsExport handles GET /analytics/export.csv?from=&to=&platform=&table=daily|posts:
// the report as CSV, the same file the web app's export gives.
func (a *API) analyticsExport(c echo.Context) error {
	x, err := a.analytics.Export(c.Request().Context(), actor(c), c.QueryParam("platform"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("table"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+x.Filename+`"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := csv.NewWriter(c.Response()).WriteAll(x.Rows); err != nil {
		a.log.ErrorContext(c.Request().Context(), "writing the CSV export failed", "err", err)
	}
	return nil
}
