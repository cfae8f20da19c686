package main

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heraldhq/herald/app"
)

// metrics holds Herald's Prometheus registry: HTTP requests by route and status, the
// database pool and River's queue depth.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(pool *pgxpool.Pool, depth func(context.Context) (map[string]int, error), versions func() []app.APIVersionStatus) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_http_requests_total", Help: "HTTP requests answered, by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_http_request_duration_seconds", Help: "HTTP request latency, by method and route.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		poolCollector{pool: pool}, depthCollector{depth: depth}, versionCollector{versions: versions})
	return m
}

// sandboxStored counts the posts this process stored on the sandbox platform, so each of
// several instances on one database shows its share of the publishing.
func (m *metrics) sandboxStored(stored func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "herald_sandbox_posts_stored_total",
		Help: "Posts this process published on the sandbox platform (a post whose answer was lost included).",
	}, func() float64 { return float64(stored()) }))
}

// handler serves the registry in Prometheus's text format.
func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// serveMetrics serves /metrics alone on ln (HERALD_METRICS_ADDR) until the server is shut down.
func serveMetrics(ln net.Listener, m *metrics) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv
}

// middleware counts every request under its route pattern (never the raw path, which would
// let clients blow up the label set).
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error answer now, so its status is the one counted
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

var (
	poolDesc = map[string]*prometheus.Desc{
		"total":    prometheus.NewDesc("herald_db_pool_connections", "Database pool connections by state.", []string{"state"}, nil),
		"max":      prometheus.NewDesc("herald_db_pool_max_connections", "Database pool size limit.", nil, nil),
		"acquires": prometheus.NewDesc("herald_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil),
		"waits":    prometheus.NewDesc("herald_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", nil, nil),
	}
	depthDesc = prometheus.NewDesc("herald_queue_jobs", "River jobs waiting or running, by state.", []string{"state"}, nil)
)

type poolCollector struct{ pool *pgxpool.Pool }

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range poolDesc {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolDesc["total"], prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolDesc["max"], prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolDesc["acquires"], prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolDesc["waits"], prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}

type depthCollector struct {
	depth func(context.Context) (map[string]int, error)
}

func (d depthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- depthDesc; ch <- dbUpDesc }

var dbUpDesc = prometheus.NewDesc("herald_database_up", "1 when the queue depth could be read from the database, 0 when it could not.", nil, nil)

func (d depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := d.depth(ctx)
	up := 1.0
	if err != nil {
		up = 0 // the scrape still answers: the other metrics, and this one saying why depth is missing
	}
	ch <- prometheus.MustNewConstMetric(dbUpDesc, prometheus.GaugeValue, up)
	if err != nil {
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(n), state)
	}
}

var versionDesc = prometheus.NewDesc("herald_platform_api_days_left",
	"Days until the platform API version Herald calls retires (negative once retired; +Inf when no retirement is announced). A version Herald does not know has no series; the log and the admin pages name it.",
	[]string{"platform", "version"}, nil)

// versionCollector exports how long each configured platform's API version has left.
type versionCollector struct {
	versions func() []app.APIVersionStatus
}

func (v versionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- versionDesc }

func (v versionCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range v.versions() {
		days := s.Left.Hours() / 24
		switch {
		case s.Retires.IsZero() && s.Unknown:
			continue
		case s.Retires.IsZero():
			days = math.Inf(1)
		}
		ch <- prometheus.MustNewConstMetric(versionDesc, prometheus.GaugeValue, days, string(s.Platform), s.Version)
	}
}
