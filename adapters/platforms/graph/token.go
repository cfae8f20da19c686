package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// TokenTransport is the thin layer Meta's OAuth token endpoint needs under x/oauth2
// (platformauth): Meta answers failures with a Graph error object
// (https://developers.facebook.com/docs/graph-api/guides/error-handling), which x/oauth2
// cannot read, and throttles with codes and usage headers rather than HTTP 429 and
// Retry-After (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/). It
// answers a throttled token request as 429 with Retry-After (the usage headers' wait) and a
// transient one as 503, so platformauth classifies them as worth retrying, not as a
// sign-in to start again. Other answers pass unchanged.
type TokenTransport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Now is the clock for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// TokenClient returns a copy of c (nil: a client with a 30 s timeout) whose transport is a
// TokenTransport in front of c's.
func TokenClient(c *http.Client, now func() time.Time) *http.Client {
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	out := *c
	out.Transport = TokenTransport{Base: c.Transport, Now: now}
	return &out
}

// RoundTrip implements http.RoundTripper.
func (t TokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return resp, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	var envelope struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(raw, &envelope) != nil || envelope.Error == nil {
		return resp, nil
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	g := envelope.Error
	switch {
	case RateLimitCode(g.Code):
		resp.StatusCode, resp.Status = http.StatusTooManyRequests, "429 Too Many Requests"
		resp.Header = resp.Header.Clone()
		resp.Header.Set("Retry-After", strconv.Itoa(int(Wait(resp.Header, now(), DefaultRateLimitWait)/time.Second)))
	case g.Code == CodeUnknown || g.Code == CodeService || g.IsTransient:
		resp.StatusCode, resp.Status = http.StatusServiceUnavailable, "503 Service Unavailable"
	}
	return resp, nil
}
