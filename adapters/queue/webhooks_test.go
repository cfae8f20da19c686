package queue_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

func TestWebhooks_PublishedPostIsDeliveredSignedThroughRiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusNoContent))
	_, secret := h.Endpoint(rcv.URL, domain.EventPostScheduled, domain.EventPostPublished)
	other := apptest.NewReceiver(t, apptest.Status(http.StatusNoContent))
	h.Endpoint(other.URL, domain.EventAccountDisconnected) // subscribed to something else

	p := h.Draft("Hello webhooks")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "two deliveries", 15*time.Second, func() (bool, error) { return len(rcv.Got()) >= 2, nil })
	types := map[string]map[string]any{}
	for _, got := range rcv.Got() {
		if err := apptest.VerifyWebhook(secret, got.Header, got.Body, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		var body struct {
			Type      string         `json:"type"`
			Timestamp string         `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(got.Body, &body); err != nil {
			t.Fatalf("body %s: %v", got.Body, err)
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
	if n := len(other.Got()); n != 0 {
		t.Errorf("an endpoint not subscribed to post events got %d requests", n)
	}
}

func TestWebhooks_FailedAttemptIsRetriedOnTheScheduleWithTheSameID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := apptest.NewReceiver(t, func(n int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"down for maintenance"}`))
	})
	e, _ := h.Endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	// River works the first attempt, fails it, and schedules the next one on the schedule
	// (5 s after the first failure, 5 min after the second).
	var attempt int
	var failedAt, scheduled time.Time
	apptest.WaitFor(t, "the job to wait for its retry", 15*time.Second, func() (bool, error) {
		err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT attempt, (errors[attempt]->>'at')::timestamptz, scheduled_at FROM river_job
			WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1 AND state = 'retryable'`, d.ID).Scan(&attempt, &failedAt, &scheduled)
		return err == nil && attempt >= 2, nil
	})
	want := domain.WebhookRetrySchedule[attempt-1]
	if wait := scheduled.Sub(failedAt); wait < want-time.Second || wait > want+time.Second {
		t.Errorf("after attempt %d the next is due %v later, want %v", attempt, wait, want)
	}
	got := h.Deliveries(e)[0]
	if got.Status != domain.DeliveryPending || got.Attempts != 2 || got.ResponseStatus != 500 ||
		!strings.Contains(got.ResponseBody, "maintenance") || got.NextAttemptAt.IsZero() || got.Error == "" {
		t.Errorf("delivery after one failure = %+v", got)
	}
	if e := h.EndpointNow(e.ID); e.ConsecutiveFailures != 2 || e.FailingSince.IsZero() || e.LastResponseStatus != 500 {
		t.Errorf("endpoint health = %d failures since %v, last %d", e.ConsecutiveFailures, e.FailingSince, e.LastResponseStatus)
	}

	// The attempts that follow (run here by hand, as the schedule's later ones) and a
	// person's retry, which makes the waiting job due now, all carry the same webhook-id.
	for attempt := 3; attempt <= 4; attempt++ {
		if _, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, attempt); !errors.Is(err, app.ErrDeliveryFailed) {
			t.Fatalf("attempt %d: err = %v, want ErrDeliveryFailed", attempt, err)
		}
	}
	rcv.SetAnswer(apptest.Status(http.StatusOK))
	if err := h.Webhooks.RetryDelivery(h.Ctx, h.Owner, e.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "the retried delivery to succeed", 15*time.Second, func() (bool, error) {
		return h.Deliveries(e)[0].Status == domain.DeliverySucceeded, nil
	})
	if n := h.Count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1`, d.ID); n != 1 {
		t.Errorf("the delivery has %d jobs, want its one job made due again", n)
	}
	hits := rcv.Got()
	if len(hits) < 4 {
		t.Fatalf("the receiver got %d requests, want at least 4", len(hits))
	}
	for i, got := range hits {
		if id := got.Header.Get("webhook-id"); id != string(d.EventID) {
			t.Errorf("request %d has webhook-id %q, want %q", i+1, id, d.EventID)
		}
	}
	if e := h.EndpointNow(e.ID); e.ConsecutiveFailures != 0 || !e.FailingSince.IsZero() {
		t.Errorf("after a success the endpoint still counts %d failures", e.ConsecutiveFailures)
	}
}

func TestWebhooks_GoneDisablesTheEndpointAndCancelsTheJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusGone))
	e, _ := h.Endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "the job to be cancelled", 15*time.Second, func() (bool, error) {
		return h.Count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1 AND state = 'cancelled'`, d.ID) == 1, nil
	})
	got := h.EndpointNow(e.ID)
	if got.Status != domain.WebhookDisabled || !strings.Contains(got.DisabledReason, "410") {
		t.Errorf("after 410: %s %q", got.Status, got.DisabledReason)
	}
	if dd := h.Deliveries(e)[0]; dd.Status != domain.DeliveryFailed || dd.Attempts != 1 {
		t.Errorf("delivery after 410 = %s after %d attempts", dd.Status, dd.Attempts)
	}
}

func TestWebhooks_TooManyRequestsSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, true)
	rcv := apptest.NewReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	e, _ := h.Endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var scheduled time.Time
	apptest.WaitFor(t, "the job to be snoozed", 15*time.Second, func() (bool, error) {
		err := h.DB.SQL().QueryRowContext(h.Ctx, `SELECT scheduled_at FROM river_job WHERE kind = 'deliver_webhook'
			AND args->>'delivery_id' = $1 AND state = 'scheduled'`, d.ID).Scan(&scheduled)
		return err == nil, nil
	})
	if wait := time.Until(scheduled); wait < 9*time.Minute || wait > 11*time.Minute {
		t.Errorf("snoozed for %v, want the 10 minutes of Retry-After", wait)
	}
	if dd := h.Deliveries(e)[0]; dd.Status != domain.DeliveryPending || dd.Attempts != 1 || dd.ResponseStatus != 429 {
		t.Errorf("delivery = %+v", dd)
	}
}
