// Package webhook posts signed webhook messages to endpoints outside Herald. Its HTTP
// client reaches public addresses only, checked after DNS resolution at connect time (so
// DNS rebinding cannot bypass it), uses no proxy, follows no redirect, and gives up after
// domain.WebhookTimeout. It imports domain and ports only.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Sender implements ports.WebhookSender over HTTP.
type Sender struct {
	client *http.Client
	agent  string
}

var _ ports.WebhookSender = (*Sender)(nil)

// Options configure a Sender.
type Options struct {
	// AllowPrivate lets the sender reach loopback and private addresses
	// (HERALD_WEBHOOK_ALLOW_PRIVATE: tests, and receivers on the operator's own network).
	AllowPrivate bool
	// Timeout bounds one delivery; zero means domain.WebhookTimeout.
	Timeout time.Duration
	// UserAgent names Herald to receivers; empty means "Herald-Webhooks/1".
	UserAgent string
	// Resolver replaces the system's DNS resolver (tests).
	Resolver *net.Resolver
}

// New returns a Sender.
func New(o Options) *Sender {
	if o.Timeout == 0 {
		o.Timeout = domain.WebhookTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = "Herald-Webhooks/1"
	}
	// The one outbound guard (link-local and metadata addresses stay refused even when the
	// operator allows private ones). A redirect is an answer of its own, and a failure: it
	// is never followed.
	return &Sender{agent: o.UserAgent, client: outbound.Client(outbound.Options{AllowPrivate: o.AllowPrivate, Timeout: o.Timeout,
		DialTimeout: 5 * time.Second, ResponseHeaderTimeout: o.Timeout, MaxRedirects: -1, Resolver: o.Resolver})}
}

// ErrPrivateAddress is why a connection to a non-public address was refused.
var ErrPrivateAddress = errors.New("the endpoint's address is not on the public internet")

// Send implements ports.WebhookSender.
func (s *Sender) Send(ctx context.Context, m ports.WebhookMessage) domain.WebhookResponse {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return domain.WebhookResponse{Err: errors.New("the endpoint's address cannot be used"), Duration: time.Since(start)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.agent)
	req.Header.Set("webhook-id", string(m.ID))
	req.Header.Set("webhook-timestamp", strconv.FormatInt(m.Timestamp.Unix(), 10))
	req.Header.Set("webhook-signature", m.Signature)
	res, err := s.client.Do(req)
	if err != nil {
		return domain.WebhookResponse{Err: describe(err), Duration: time.Since(start)}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, domain.WebhookResponseKeptBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // let the connection be reused
	out := domain.WebhookResponse{Status: res.StatusCode, Body: body, Duration: time.Since(start)}
	if res.StatusCode == http.StatusTooManyRequests {
		out.RetryAfter = retryAfter(res.Header.Get("Retry-After"), time.Now())
	}
	return out
}

// describe turns a failed request into a sentence for the delivery log, without Go's
// wrapping noise.
func describe(err error) error {
	var ne net.Error
	switch {
	case outbound.Refused(err):
		return ErrPrivateAddress
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return errors.New("the endpoint did not answer within " + domain.WebhookTimeout.String())
	case strings.Contains(err.Error(), "no such host"):
		return errors.New("the endpoint's host name does not resolve")
	case strings.Contains(err.Error(), "connection refused"):
		return errors.New("the endpoint refused the connection")
	case strings.Contains(err.Error(), "certificate"):
		return errors.New("the endpoint's TLS certificate is not valid")
	}
	return errors.New("the connection failed")
}

// retryAfter reads Retry-After as seconds or an HTTP date; zero when absent or malformed.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
