package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/mail/smtp"
	"github.com/heraldhq/herald/adapters/openai"
	"github.com/heraldhq/herald/adapters/platforms/facebook"
	"github.com/heraldhq/herald/adapters/platforms/instagram"
	"github.com/heraldhq/herald/adapters/platforms/linkedin"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/adapters/platforms/tiktok"
	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/adapters/storage/s3"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Config is Herald's configuration, read from the environment once at start.
type Config struct {
	DatabaseURL     string                 // DATABASE_URL; empty: start the embedded cluster
	Addr            string                 // HERALD_ADDR
	MetricsAddr     string                 // HERALD_METRICS_ADDR: /metrics's own listener; "" when off
	MetricsAddrSet  bool                   // HERALD_METRICS_ADDR was given (a busy default port only warns)
	MetricsToken    string                 // HERALD_METRICS_TOKEN: also serve /metrics on Addr to this bearer token
	BaseURL         *url.URL               // HERALD_BASE_URL
	DataDir         string                 // HERALD_DATA_DIR
	LogFormat       string                 // HERALD_LOG_FORMAT: auto, text or json
	LogLevel        string                 // HERALD_LOG_LEVEL
	TrustedProxies  []netip.Prefix         // HERALD_TRUSTED_PROXIES
	DBMaxConns      int32                  // HERALD_DB_MAX_CONNS
	PublishWorkers  int                    // HERALD_PUBLISH_WORKERS: due posts one process publishes at once
	APIRateScale    float64                // HERALD_API_RATE_LIMIT: multiplies the plans' API rate limits; 0 turns them off
	ShutdownTimeout time.Duration          // HERALD_SHUTDOWN_TIMEOUT
	Production      bool                   // HERALD_ENV=production: no generated keys, no sandbox unless asked
	EncryptionKeys  string                 // HERALD_ENCRYPTION_KEYS: id:base64key,... (first encrypts)
	Sandbox         string                 // HERALD_SANDBOX: auto, on or off
	SandboxConfig   sandbox.Config         // HERALD_SANDBOX_LATENCY, _TRANSIENT_RATE, _PERMANENT_RATE, _LOST_RATE, _TOKEN_TTL
	MediaCheck      bool                   // HERALD_MEDIA_CHECK: look at media files before scheduling
	MediaPrivate    bool                   // HERALD_MEDIA_ALLOW_PRIVATE: the media check may reach private addresses
	WebhookPrivate  bool                   // HERALD_WEBHOOK_ALLOW_PRIVATE: webhook endpoints may be loopback or private addresses
	MetricsSchedule domain.MetricsSchedule // HERALD_METRICS_SCHEDULE: until:every steps
	// The real platforms, nil when their client id and secret are not set.
	LinkedIn  *linkedin.Config  // HERALD_LINKEDIN_*
	Facebook  *facebook.Config  // HERALD_FACEBOOK_*
	Instagram *instagram.Config // HERALD_INSTAGRAM_*
	TikTok    *tiktok.Config    // HERALD_TIKTOK_*
	// AI is the OpenAI-compatible provider, nil when neither OPENAI_API_KEY nor
	// OPENAI_BASE_URL is set.
	AI *openai.Config
	// S3 is the bucket media library files are kept in (HERALD_S3_*), nil when
	// HERALD_S3_BUCKET is not set: they are then under HERALD_DATA_DIR/media.
	S3 *s3.Config
	// S3Presigned hands platforms the bucket's presigned addresses of media instead of
	// Herald's own (HERALD_S3_PRESIGNED_URLS): the bucket serves the bytes.
	S3Presigned bool
	// SMTP is the server emails go through (HERALD_SMTP_URL, HERALD_SMTP_FROM), nil when
	// HERALD_SMTP_URL is not set: emails are then recorded as unsent.
	SMTP *smtp.Config
}

// LoadConfig reads every variable through getenv and reports all problems at once, one
// line each, so an operator fixes them in one go.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	or := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL: strings.TrimSpace(getenv("DATABASE_URL")),
		Addr:        or("HERALD_ADDR", "127.0.0.1:8080"),
		DataDir:     or("HERALD_DATA_DIR", "./data"),
		LogFormat:   or("HERALD_LOG_FORMAT", "auto"),
		LogLevel:    or("HERALD_LOG_LEVEL", "info"),
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "must be a postgres:// URL, such as postgres://herald:secret@localhost:5432/herald")
		}
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("HERALD_ADDR", "must be host:port, such as 127.0.0.1:8080 or :8080 (got %q)", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("HERALD_ADDR", "has an invalid port %q", port)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	c.MetricsAddrSet = getenv("HERALD_METRICS_ADDR") != ""
	switch m := or("HERALD_METRICS_ADDR", "127.0.0.1:9090"); m {
	case "off":
	default:
		if _, p, err := net.SplitHostPort(m); err != nil {
			bad("HERALD_METRICS_ADDR", "must be host:port, such as 127.0.0.1:9090, or off (got %q)", m)
		} else if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
			bad("HERALD_METRICS_ADDR", "has an invalid port %q", p)
		} else {
			c.MetricsAddr = m
		}
	}
	c.MetricsToken = strings.TrimSpace(getenv("HERALD_METRICS_TOKEN"))
	if c.MetricsToken != "" && len(c.MetricsToken) < 32 {
		bad("HERALD_METRICS_TOKEN", "must be at least 32 characters (a random secret, such as the output of openssl rand -hex 32)")
	}
	base := or("HERALD_BASE_URL", "http://"+net.JoinHostPort(host, port))
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("HERALD_BASE_URL", "must be an absolute http(s) URL, such as https://herald.example.com (got %q)", base)
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/")
		c.BaseURL = u
	}
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		bad("HERALD_LOG_FORMAT", "must be auto, text or json (got %q)", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("HERALD_LOG_LEVEL", "must be debug, info, warn or error (got %q)", c.LogLevel)
	}
	for _, s := range strings.Split(getenv("HERALD_TRUSTED_PROXIES"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, aerr := netip.ParseAddr(s); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			bad("HERALD_TRUSTED_PROXIES", "%q is not an IP address or CIDR range", s)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	n, err := strconv.Atoi(or("HERALD_DB_MAX_CONNS", "20"))
	if err != nil || n < 2 || n > 1000 {
		bad("HERALD_DB_MAX_CONNS", "must be a whole number from 2 to 1000")
	}
	c.DBMaxConns = int32(n)
	if n, err = strconv.Atoi(or("HERALD_PUBLISH_WORKERS", strconv.Itoa(queue.DefaultTuning.PublishWorkers))); err != nil || n < 1 || n > 100_000 {
		bad("HERALD_PUBLISH_WORKERS", "must be a whole number from 1 to 100000")
	}
	c.PublishWorkers = n
	if c.APIRateScale, err = strconv.ParseFloat(or("HERALD_API_RATE_LIMIT", "1"), 64); err != nil || !(c.APIRateScale >= 0 && c.APIRateScale <= 1e6) {
		bad("HERALD_API_RATE_LIMIT", "must be a number from 0 (no limits) to 1000000 that multiplies the plans' API rate limits, such as 1 or 2.5")
	}
	d, err := time.ParseDuration(or("HERALD_SHUTDOWN_TIMEOUT", "30s"))
	if err != nil || d <= 0 {
		bad("HERALD_SHUTDOWN_TIMEOUT", "must be a positive duration such as 30s")
	}
	c.ShutdownTimeout = d
	switch env := or("HERALD_ENV", "development"); env {
	case "development":
	case "production":
		c.Production = true
	default:
		bad("HERALD_ENV", "must be development or production (got %q)", env)
	}
	c.EncryptionKeys = strings.TrimSpace(getenv("HERALD_ENCRYPTION_KEYS"))
	switch c.Sandbox = or("HERALD_SANDBOX", "auto"); c.Sandbox {
	case "auto", "on", "off":
	default:
		bad("HERALD_SANDBOX", "must be auto, on or off (got %q)", c.Sandbox)
	}
	for _, b := range []struct {
		name, def string
		dst       *bool
	}{{"HERALD_MEDIA_CHECK", "on", &c.MediaCheck}, {"HERALD_MEDIA_ALLOW_PRIVATE", "off", &c.MediaPrivate},
		{"HERALD_WEBHOOK_ALLOW_PRIVATE", "off", &c.WebhookPrivate}, {"HERALD_S3_PRESIGNED_URLS", "off", &c.S3Presigned}} {
		switch v := strings.ToLower(or(b.name, b.def)); v {
		case "on", "true", "1", "yes":
			*b.dst = true
		case "off", "false", "0", "no":
			*b.dst = false
		default:
			bad(b.name, "must be on or off (got %q)", v)
		}
	}
	ms, err := domain.ParseMetricsSchedule(or("HERALD_METRICS_SCHEDULE", "6h:15m,48h:1h,7d:6h,30d:24h"))
	if err != nil {
		bad("HERALD_METRICS_SCHEDULE", "%v", err)
	}
	c.MetricsSchedule = ms
	sb, err := sandbox.ParseConfig(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.SandboxConfig = sb
	if li, ok, err := linkedin.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.LinkedIn = &li
	}
	if fb, ok, err := facebook.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Facebook = &fb
	}
	if ig, ok, err := instagram.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.Instagram = &ig
	}
	if ai, ok, err := openai.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.AI = &ai
	}
	if tt, ok, err := tiktok.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.TikTok = &tt
	}
	if sc, ok, err := parseS3Config(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.S3 = &sc
	}
	if sc, ok, err := smtp.ParseConfig(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.SMTP = &sc
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration problems:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// SecureCookies reports whether cookies must be marked Secure: Herald is reached over TLS.
func (c Config) SecureCookies() bool { return c.BaseURL != nil && c.BaseURL.Scheme == "https" }

// SandboxEnabled reports whether the sandbox platform is offered: always with
// HERALD_SANDBOX=on, never with off, and with auto (the default) outside production or
// when no real platform is configured.
func (c Config) SandboxEnabled(realPlatforms int) bool {
	switch c.Sandbox {
	case "on":
		return true
	case "off":
		return false
	}
	return !c.Production || realPlatforms == 0
}

// CaptionGenerator returns the configured AI provider, or nil when none is.
func (c Config) CaptionGenerator() ports.CaptionGenerator {
	if c.AI == nil {
		return nil
	}
	return openai.New(*c.AI)
}
