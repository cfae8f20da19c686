package apptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// VerifyWebhook checks a request the way a consumer of Standard Webhooks does. It is
// written from the Standard Webhooks specification alone, independent of Herald's signing
// code, so that a test using it catches a signer that drifts from the specification: the
// HMAC-SHA256 of "webhook-id.webhook-timestamp.body" under the base64-decoded bytes after
// "whsec_", compared in constant time with each "v1," signature of the webhook-signature
// header, and a webhook-timestamp within 5 minutes of now.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time) error {
	id, ts := header.Get("webhook-id"), header.Get("webhook-timestamp")
	if id == "" || ts == "" || header.Get("webhook-signature") == "" {
		return errors.New("a webhook header is missing")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %v", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp is %v away from now", d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(header.Get("webhook-signature")) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches the secret")
}

// Hit is one request a Receiver got.
type Hit struct {
	Header http.Header
	Body   []byte
}

// Receiver is an httptest endpoint standing for a webhook consumer: it keeps every request
// and answers each through the answer given to NewReceiver.
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []Hit
	answer func(n int, w http.ResponseWriter)
}

// NewReceiver starts a Receiver that answers the nth request (n counts from 1) through
// answer; it closes when the test ends.
func NewReceiver(t testing.TB, answer func(n int, w http.ResponseWriter)) *Receiver {
	t.Helper()
	r := &Receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, Hit{Header: req.Header.Clone(), Body: body})
		n, answer := len(r.hits), r.answer
		r.mu.Unlock()
		answer(n, w)
	}))
	t.Cleanup(r.Close)
	return r
}

// Got returns a copy of the requests received so far, in order.
func (r *Receiver) Got() []Hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Hit(nil), r.hits...)
}

// SetAnswer makes r answer the requests that come from now on through answer.
func (r *Receiver) SetAnswer(answer func(n int, w http.ResponseWriter)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = answer
}

// Status is an answer for NewReceiver that writes code to every request.
func Status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

// Endpoint registers url for events as actor (in actor's company) and returns the endpoint
// with its signing secret.
func (a *App) Endpoint(t testing.TB, actor domain.Actor, url string, events ...domain.EventType) (domain.WebhookEndpoint, string) {
	t.Helper()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	e, secret, err := a.Webhooks.Create(a.Ctx, actor, domain.WebhookInput{URL: url, Events: names, Description: "test"})
	if err != nil {
		t.Fatalf("Create endpoint: %v", err)
	}
	return e, secret
}

// Deliveries lists, as actor, up to 200 deliveries of the endpoint id.
func (a *App) Deliveries(t testing.TB, actor domain.Actor, id domain.WebhookEndpointID) []domain.WebhookDelivery {
	t.Helper()
	ds, _, err := a.Webhooks.Deliveries(a.Ctx, actor, id, ports.DeliveryFilter{}, ports.Page{Limit: 200})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	return ds
}

// EndpointNow reads the endpoint id as actor, as it is stored now.
func (a *App) EndpointNow(t testing.TB, actor domain.Actor, id domain.WebhookEndpointID) domain.WebhookEndpoint {
	t.Helper()
	e, err := a.Webhooks.Get(a.Ctx, actor, id)
	if err != nil {
		t.Fatalf("Get endpoint: %v", err)
	}
	return e
}
