package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func message(u string) ports.WebhookMessage {
	return ports.WebhookMessage{URL: u, ID: "msg_1", Timestamp: time.Unix(1700000000, 0), Body: []byte(`{"type":"webhook.test"}`), Signature: "v1,abc"}
}

// receiver counts the requests that reach it.
func receiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestSend_RefusesNonPublicAddressesAfterResolution(t *testing.T) {
	t.Parallel()
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	base, _ := url.Parse(srv.URL)
	p := base.Port()
	s := New(Options{Timeout: 3 * time.Second})
	for _, u := range []string{
		"http://127.0.0.1:" + p + "/hook",
		"http://localhost:" + p + "/hook", // a host name that resolves to loopback
		"http://[::1]:" + p + "/hook",
		"http://[::ffff:127.0.0.1]:" + p + "/hook",
		"http://169.254.169.254/latest/meta-data/", // cloud metadata
		"http://10.1.2.3/hook",
		"http://0.0.0.0:" + p + "/hook",
	} {
		res := s.Send(context.Background(), message(u))
		if !errors.Is(res.Err, ErrPrivateAddress) || res.Status != 0 || res.Succeeded() {
			t.Errorf("Send(%s) = status %d, err %v; want ErrPrivateAddress", u, res.Status, res.Err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback receiver got %d requests, want none", n)
	}
}

func TestSend_DoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	inside, insideHits := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	outside, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inside.URL+"/admin", http.StatusFound)
	})
	// AllowPrivate lets the test reach its loopback receivers; the redirect is refused anyway.
	s := New(Options{AllowPrivate: true})
	res := s.Send(context.Background(), message(outside.URL))
	if res.Status != http.StatusFound || res.Succeeded() {
		t.Errorf("Send = status %d, succeeded %v; want 302 and a failure", res.Status, res.Succeeded())
	}
	if n := insideHits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
	var d domain.WebhookDelivery
	d.Record(res, false, time.Now(), time.Now())
	if d.Status != domain.DeliveryPending || !strings.Contains(d.Error, "redirect") {
		t.Errorf("the delivery after a redirect: %s %q", d.Status, d.Error)
	}

	// Without AllowPrivate, the same redirect to a private address is not followed either.
	guarded := New(Options{})
	if res := guarded.Send(context.Background(), message(outside.URL)); res.Succeeded() || !errors.Is(res.Err, ErrPrivateAddress) {
		t.Errorf("guarded Send = %d, %v", res.Status, res.Err)
	}
}

func TestSend_HeadersBodyLimitAndRetryAfter(t *testing.T) {
	t.Parallel()
	var got http.Header
	var body []byte
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(strings.Repeat("x", 10_000)))
	})
	s := New(Options{AllowPrivate: true})
	res := s.Send(context.Background(), message(srv.URL))
	if res.Status != 429 || res.RetryAfter != 2*time.Minute || len(res.Body) != domain.WebhookResponseKeptBytes || res.Duration <= 0 {
		t.Errorf("Send = status %d, retry after %v, %d body bytes, %v", res.Status, res.RetryAfter, len(res.Body), res.Duration)
	}
	for k, want := range map[string]string{"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": "v1,abc",
		"Content-Type": "application/json"} {
		if got.Get(k) != want {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), want)
		}
	}
	if string(body) != `{"type":"webhook.test"}` {
		t.Errorf("body = %s", body)
	}
}

func TestSend_TimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release)
	s := New(Options{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	res := s.Send(context.Background(), message(srv.URL))
	if res.Err == nil || res.Succeeded() || !strings.Contains(res.Err.Error(), "did not answer") {
		t.Errorf("Send to a silent endpoint = %d, %v", res.Status, res.Err)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{"": 0, "30": 30 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}
