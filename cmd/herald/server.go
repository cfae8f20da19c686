package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/heraldhq/herald/adapters/httpapi"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ui"
)

// contentSecurityPolicy allows nothing inline: htmx and Herald's script come from /static.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// jobsPrefix is where River UI, the operator's job dashboard, is served.
const jobsPrefix = "/admin/jobs"

// jobsCSP is the policy for River UI alone: its single-page app sets inline styles, so
// style-src allows them there; scripts still come only from Herald itself.
const jobsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"

// maxBody is the largest request body Herald reads.
const maxBody = "10M"

// newServer returns Echo with the middleware every request goes through, the JSON API under
// /api/v1, the web app at the root, the job dashboard (jobs, when not nil) at jobsPrefix
// and the operations endpoints.
func newServer(cfg Config, log *slog.Logger, api *httpapi.API, web *ui.Handler, jobs http.Handler, met *metrics, ready func(context.Context) error, health *dbHealth) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		var opts []echo.TrustOption
		for _, p := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(netipToIPNet(p)))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))...)
	}
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if health != nil {
			err = health.check(err)
		}
		if isAPI(c.Request()) {
			httpapi.HandleError(err, c, log)
			return
		}
		web.HandleError(err, c)
	}

	e.Use(requestID, met.middleware, accessLog(log), recoverPanics(log))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            hstsAge(cfg),
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "strict-origin-when-cross-origin",
	}))
	// Uploads to the media library (POST /media, and the parts of resumable uploads) are
	// streamed to disk by their handlers, up to the plan's file size; every other body is
	// held whole and stays under maxBody.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxBody, Skipper: func(c echo.Context) bool {
		return httpapi.StreamsBody(c.Request()) || httpapi.ResumablePart(c.Request()) || httpapi.BulkBody(c.Request())
	}}))
	// A bulk request carries up to 1,000 posts: a larger limit of its own.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: httpapi.MaxBulkBody, Skipper: func(c echo.Context) bool {
		return !httpapi.BulkBody(c.Request())
	}}))
	e.Use(uploadCSRFHeader)
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        csrfNotNeeded,
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     "csrf",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   cfg.SecureCookies(),
		CookieSameSite: http.SameSiteLaxMode,
	}))

	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			if health != nil && postgres.Unreachable(err) {
				health.failed() // logged once for the whole outage
			} else {
				log.WarnContext(ctx, "not ready", "err", err)
			}
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "detail": "database or queue unreachable"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	})
	// On the main listener /metrics is served only to HERALD_METRICS_TOKEN; without one it
	// is not there at all (it lives on HERALD_METRICS_ADDR, loopback by default).
	if cfg.MetricsToken != "" {
		e.GET("/metrics", echo.WrapHandler(met.handler()), metricsToken(cfg.MetricsToken))
	}

	api.Register(e.Group("/api/v1"))
	web.Register(e)
	if jobs != nil {
		mountJobs(e, web.OperatorOnly("jobs"), jobs)
	}
	return e
}

// metricsToken lets through only requests with Authorization: Bearer <token>, compared in
// constant time; others get 404, so the main listener does not tell that metrics exist.
func metricsToken(token string) echo.MiddlewareFunc {
	want := sha256.Sum256([]byte("Bearer " + token))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			got := sha256.Sum256([]byte(c.Request().Header.Get(echo.HeaderAuthorization)))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				return echo.ErrNotFound
			}
			return next(c)
		}
	}
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func isJobs(r *http.Request) bool {
	return r.URL.Path == jobsPrefix || strings.HasPrefix(r.URL.Path, jobsPrefix+"/")
}

// mountJobs serves River UI at jobsPrefix behind guard, with its own CSP. River UI's
// requests carry no CSRF token, so the CSRF middleware skips this prefix and changes here
// must prove they come from Herald's own pages instead (sameOrigin).
func mountJobs(e *echo.Echo, guard echo.MiddlewareFunc, jobs http.Handler) {
	serve := echo.WrapHandler(jobs)
	h := func(c echo.Context) error {
		r := c.Request()
		c.Response().Header().Set(echo.HeaderContentSecurityPolicy, jobsCSP)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && !sameOrigin(r) {
			return domain.Errorf(domain.CodeForbidden, "The request was refused: it did not come from this Herald's own pages.")
		}
		return serve(c)
	}
	e.Any(jobsPrefix, h, guard)
	e.Any(jobsPrefix+"/*", h, guard)
}

// sameOrigin reports whether a browser says the request comes from a page of this
// site: Sec-Fetch-Site same-origin, or, from a browser that does not send it, an Origin
// with the request's own host.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get(echo.HeaderSecFetchSite); site != "" {
		return site == "same-origin"
	}
	o, err := url.Parse(r.Header.Get(echo.HeaderOrigin))
	return err == nil && o.Host != "" && strings.EqualFold(o.Host, r.Host)
}

// csrfNotNeeded skips the CSRF check where no browser credential is involved: API calls
// with a bearer token or without the session cookie cannot be forged by another site.
func csrfNotNeeded(c echo.Context) bool {
	r := c.Request()
	if isJobs(r) {
		return true // checked by mountJobs
	}
	if ui.OneClickUnsubscribe(r) {
		return true // RFC 8058: the signed token in the path is the credential, not a cookie
	}
	if !isAPI(r) {
		return false
	}
	if r.Header.Get(echo.HeaderAuthorization) != "" {
		return true
	}
	_, err := r.Cookie(app.SessionCookie)
	return errors.Is(err, http.ErrNoCookie)
}

// uploadCSRFHeader refuses a streamed upload (httpapi.StreamsBody) from a browser's
// session without the X-CSRF-Token header: the CSRF middleware would otherwise look for
// the token in the form, parsing the whole multipart body (up to the plan's file size)
// into memory and temporary files before the handler could stream it.
func uploadCSRFHeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if httpapi.StreamsBody(c.Request()) && !csrfNotNeeded(c) && c.Request().Header.Get("X-CSRF-Token") == "" {
			return echo.NewHTTPError(http.StatusForbidden, "missing CSRF header")
		}
		return next(c)
	}
}

func hstsAge(cfg Config) int {
	if cfg.SecureCookies() {
		return 365 * 24 * 3600
	}
	return 0
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID keeps a well-formed incoming X-Request-ID (from a proxy) and makes one
// otherwise, so a client cannot inject text into the logs.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		// The client's address rides along too, so audit entries say where a change came from.
		c.SetRequest(c.Request().WithContext(domain.WithClientIP(withRequestID(c.Request().Context(), id), c.RealIP())))
		return next(c)
	}
}

// recoverPanics turns a panic into a 500 answer and a log line with the stack and request id.
func recoverPanics(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		StackSize: 8 << 10,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.ErrorContext(c.Request().Context(), "panic", "err", err, "stack", string(stack), "path", c.Path())
			return fmt.Errorf("recovered panic: %w", err)
		},
	})
}

// accessLog writes one line per request.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			r := c.Request()
			level := slog.LevelInfo
			if c.Response().Status >= 500 && c.Response().Status != http.StatusServiceUnavailable {
				level = slog.LevelError // a 503 is an answer (an outage, logged once, or no AI provider), not a fault
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/static/") {
				level = slog.LevelDebug
			}
			// A route's :token (a review link's, a media file's) is a capability: never logged.
			path := r.URL.Path
			if tok := c.Param("token"); tok != "" {
				path = strings.Replace(path, tok, "[token]", 1)
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "path", path, "route", c.Path(),
				"status", c.Response().Status, "duration_ms", time.Since(start).Milliseconds(), "ip", c.RealIP())
			return nil
		}
	}
}
