package queue_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// verifyWebhook checks a request the way a consumer of Standard Webhooks does, written here
// from the specification, not with Herald's signing code: the HMAC-SHA256 of
// "id.timestamp.body" under the base64-decoded bytes after "whsec_", compared in constant
// time with each "v1," signature of the header, and a timestamp within 5 minutes of now.
func verifyWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" || h.Get("webhook-signature") == "" {
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
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no signature matches the secret")
}

// hit is one request a receiver got.
type hit struct {
	header http.Header
	body   []byte
}

// receiver is an httptest endpoint that answers each request through answer (n counts from 1).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	answer func(n int, w http.ResponseWriter)
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	t.Helper()
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{header: req.Header.Clone(), body: body})
		n := len(r.hits)
		r.mu.Unlock()
		r.answer(n, w)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

func status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

// endpoint registers url for events in the harness company and returns it with its secret.
func (h *harness) endpoint(url string, events ...domain.EventType) (domain.WebhookEndpoint, string) {
	h.t.Helper()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	e, secret, err := h.hooks.Create(h.ctx, h.owner, domain.WebhookInput{URL: url, Events: names, Description: "test"})
	if err != nil {
		h.t.Fatalf("Create endpoint: %v", err)
	}
	return e, secret
}

func (h *harness) deliveries(e domain.WebhookEndpoint) []domain.WebhookDelivery {
	h.t.Helper()
	ds, _, err := h.hooks.Deliveries(h.ctx, h.owner, e.ID, ports.DeliveryFilter{}, ports.Page{Limit: 200})
	if err != nil {
		h.t.Fatalf("Deliveries: %v", err)
	}
	return ds
}

func (h *harness) endpointNow(id domain.WebhookEndpointID) domain.WebhookEndpoint {
	h.t.Helper()
	e, err := h.hooks.Get(h.ctx, h.owner, id)
	if err != nil {
		h.t.Fatalf("Get endpoint: %v", err)
	}
	return e
}

func TestWebhooks_PublishedPostIsDeliveredSignedThroughRiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := newReceiver(t, status(http.StatusNoContent))
	_, secret := h.endpoint(rcv.URL, domain.EventPostScheduled, domain.EventPostPublished)
	other := newReceiver(t, status(http.StatusNoContent))
	h.endpoint(other.URL, domain.EventAccountDisconnected) // subscribed to something else

	p := h.draft("Hello webhooks")
	if _, err := h.posts.Schedule(h.ctx, h.owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two deliveries", 15*time.Second, func() (bool, error) { return len(rcv.got()) >= 2, nil })
	types := map[string]map[string]any{}
	for _, got := range rcv.got() {
		if err := verifyWebhook(secret, got.header, got.body, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		var body struct {
			Type      string         `json:"type"`
			Timestamp string         `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatalf("body %s: %v", got.body, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, body.Timestamp); err != nil {
			t.Errorf("timestamp %q: %v", body.Timestamp, err)
		}
		types[body.Type] = body.Data
	}
	pub, ok := types["post.published"]["post"].(map[string]any)
	if _, sched := types["post.scheduled"]; !sched || !ok || pub["id"] != string(p.ID) || pub["status"] != "published" {
		t.Fatalf("events = %v", types)
	}
	if targets, _ := pub["targets"].([]any); len(targets) != 1 || targets[0].(map[string]any)["external_url"] == nil {
		t.Errorf("post.published targets = %v", pub["targets"])
	}
	if n := len(other.got()); n != 0 {
		t.Errorf("an endpoint not subscribed to post events got %d requests", n)
	}
}

func TestWebhooks_FailedAttemptIsRetriedOnTheScheduleWithTheSameID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"down for maintenance"}`))
	})
	e, _ := h.endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	// River works the first attempt, fails it, and schedules the next one on the schedule
	// (5 s after the first failure, 5 min after the second).
	var attempt int
	var failedAt, scheduled time.Time
	waitFor(t, "the job to wait for its retry", 15*time.Second, func() (bool, error) {
		err := h.db.SQL().QueryRowContext(h.ctx, `SELECT attempt, (errors[attempt]->>'at')::timestamptz, scheduled_at FROM river_job
			WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1 AND state = 'retryable'`, d.ID).Scan(&attempt, &failedAt, &scheduled)
		return err == nil && attempt >= 2, nil
	})
	want := domain.WebhookRetrySchedule[attempt-1]
	if wait := scheduled.Sub(failedAt); wait < want-time.Second || wait > want+time.Second {
		t.Errorf("after attempt %d the next is due %v later, want %v", attempt, wait, want)
	}
	got := h.deliveries(e)[0]
	if got.Status != domain.DeliveryPending || got.Attempts != 2 || got.ResponseStatus != 500 ||
		!strings.Contains(got.ResponseBody, "maintenance") || got.NextAttemptAt.IsZero() || got.Error == "" {
		t.Errorf("delivery after one failure = %+v", got)
	}
	if e := h.endpointNow(e.ID); e.ConsecutiveFailures != 2 || e.FailingSince.IsZero() || e.LastResponseStatus != 500 {
		t.Errorf("endpoint health = %d failures since %v, last %d", e.ConsecutiveFailures, e.FailingSince, e.LastResponseStatus)
	}

	// The attempts that follow (run here by hand, as the schedule's later ones) and a
	// person's retry, which makes the waiting job due now, all carry the same webhook-id.
	for attempt := 3; attempt <= 4; attempt++ {
		if _, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, d.ID, attempt); !errors.Is(err, app.ErrDeliveryFailed) {
			t.Fatalf("attempt %d: err = %v, want ErrDeliveryFailed", attempt, err)
		}
	}
	rcv.answer = status(http.StatusOK)
	if err := h.hooks.RetryDelivery(h.ctx, h.owner, e.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retried delivery to succeed", 15*time.Second, func() (bool, error) {
		return h.deliveries(e)[0].Status == domain.DeliverySucceeded, nil
	})
	if n := h.count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1`, d.ID); n != 1 {
		t.Errorf("the delivery has %d jobs, want its one job made due again", n)
	}
	hits := rcv.got()
	if len(hits) < 4 {
		t.Fatalf("the receiver got %d requests, want at least 4", len(hits))
	}
	for i, got := range hits {
		if id := got.header.Get("webhook-id"); id != string(d.EventID) {
			t.Errorf("request %d has webhook-id %q, want %q", i+1, id, d.EventID)
		}
	}
	if e := h.endpointNow(e.ID); e.ConsecutiveFailures != 0 || !e.FailingSince.IsZero() {
		t.Errorf("after a success the endpoint still counts %d failures", e.ConsecutiveFailures)
	}
}

func TestWebhooks_GoneDisablesTheEndpointAndCancelsTheJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := newReceiver(t, status(http.StatusGone))
	e, _ := h.endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to be cancelled", 15*time.Second, func() (bool, error) {
		return h.count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1 AND state = 'cancelled'`, d.ID) == 1, nil
	})
	got := h.endpointNow(e.ID)
	if got.Status != domain.WebhookDisabled || !strings.Contains(got.DisabledReason, "410") {
		t.Errorf("after 410: %s %q", got.Status, got.DisabledReason)
	}
	if dd := h.deliveries(e)[0]; dd.Status != domain.DeliveryFailed || dd.Attempts != 1 {
		t.Errorf("delivery after 410 = %s after %d attempts", dd.Status, dd.Attempts)
	}
}

func TestWebhooks_TooManyRequestsSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	e, _ := h.endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var scheduled time.Time
	waitFor(t, "the job to be snoozed", 15*time.Second, func() (bool, error) {
		err := h.db.SQL().QueryRowContext(h.ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'deliver_webhook'
			AND args->>'delivery_id' = $1 AND state = 'scheduled'`, d.ID).Scan(&scheduled)
		return err == nil, nil
	})
	if wait := time.Until(scheduled); wait < 9*time.Minute || wait > 11*time.Minute {
		t.Errorf("snoozed for %v, want the 10 minutes of Retry-After", wait)
	}
	if dd := h.deliveries(e)[0]; dd.Status != domain.DeliveryPending || dd.Attempts != 1 || dd.ResponseStatus != 429 {
		t.Errorf("delivery = %+v", dd)
	}
}
