package app_test

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

func TestWebhooks_LastAttemptFailsTheDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := newReceiver(t, status(http.StatusBadGateway))
	e, _ := h.endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, d.ID, domain.WebhookMaxAttempts)
	if err != nil || !out.Done || !out.Failed {
		t.Fatalf("the last attempt = %+v, %v; want done and failed", out, err)
	}
	if got := h.deliveries(e)[0]; got.Status != domain.DeliveryFailed || !got.NextAttemptAt.IsZero() {
		t.Errorf("delivery = %s, next %v", got.Status, got.NextAttemptAt)
	}
}

func TestWebhooks_EndpointFailingForFiveDaysIsDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := newReceiver(t, status(http.StatusServiceUnavailable))
	e, _ := h.endpoint(rcv.URL, domain.EventPostPublished)
	send := func() domain.WebhookDelivery {
		d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, d.ID, 1); !errors.Is(err, app.ErrDeliveryFailed) {
			t.Fatalf("Deliver: %v", err)
		}
		return d
	}
	send()
	h.shift(4 * 24 * time.Hour)
	send()
	if got := h.endpointNow(e.ID); got.Status != domain.WebhookEnabled || got.ConsecutiveFailures != 2 {
		t.Fatalf("after 4 days: %s with %d failures", got.Status, got.ConsecutiveFailures)
	}
	h.shift(5*24*time.Hour + time.Minute)
	d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, d.ID, 1)
	if err != nil || !out.Done || !out.Failed {
		t.Fatalf("the attempt after 5 days = %+v, %v; want done and failed", out, err)
	}
	got := h.endpointNow(e.ID)
	if got.Status != domain.WebhookDisabled || !strings.Contains(got.DisabledReason, "5 days") {
		t.Fatalf("after 5 days: %s %q", got.Status, got.DisabledReason)
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'webhook.disabled' AND subject = $2 AND actor_id IS NULL`,
		h.owner.CompanyID, e.ID); n != 1 {
		t.Errorf("audit entries for the disabling = %d, want 1", n)
	}
	// A disabled endpoint gets nothing more: new events skip it, waiting deliveries end.
	before := len(rcv.got())
	p := h.draft("After the endpoint was disabled")
	if _, err := h.posts.Schedule(h.ctx, h.owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.hooks.SendTest(h.ctx, h.owner, e.ID); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("SendTest to a disabled endpoint: %v", err)
	}
	pending := h.deliveries(e)[1] // the one that waited for its next attempt
	if out, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, pending.ID, 2); err != nil || !out.Failed {
		t.Errorf("a waiting delivery of a disabled endpoint = %+v, %v", out, err)
	}
	if n := len(rcv.got()); n != before {
		t.Errorf("the disabled endpoint got %d more requests", n-before)
	}
	// Enabling starts over.
	enabled := true
	if e, err := h.hooks.Update(h.ctx, h.owner, e.ID, app.WebhookChange{Enabled: &enabled}, 0); err != nil || e.Status != domain.WebhookEnabled || e.ConsecutiveFailures != 0 {
		t.Errorf("Enable = %+v, %v", e, err)
	}
}

func TestWebhooks_RotationSignsWithBothSecretsFor24Hours(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := newReceiver(t, status(http.StatusOK))
	e, old := h.endpoint(rcv.URL, domain.EventPostPublished)
	fresh, err := h.hooks.RotateSecret(h.ctx, h.owner, e.ID)
	if err != nil || fresh == old || !strings.HasPrefix(fresh, "whsec_") {
		t.Fatalf("RotateSecret = %q, %v", fresh, err)
	}
	deliver := func() hit {
		d, err := h.hooks.SendTest(h.ctx, h.owner, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := h.hooks.Deliver(h.ctx, h.owner.CompanyID, d.ID, 1); err != nil || !out.Done || out.Failed {
			t.Fatalf("Deliver = %+v, %v", out, err)
		}
		hits := rcv.got()
		return hits[len(hits)-1]
	}
	got := deliver()
	if n := len(strings.Fields(got.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("during the rotation: %d signatures, want 2", n)
	}
	for name, s := range map[string]string{"old": old, "new": fresh} {
		if err := verifyWebhook(s, got.header, got.body, time.Now()); err != nil {
			t.Errorf("the %s secret during the rotation: %v", name, err)
		}
	}
	h.shift(25 * time.Hour)
	got = deliver()
	now := time.Now().Add(25 * time.Hour)
	if err := verifyWebhook(fresh, got.header, got.body, now); err != nil {
		t.Errorf("the new secret after 24 h: %v", err)
	}
	if err := verifyWebhook(old, got.header, got.body, now); err == nil {
		t.Error("the old secret still verifies after 24 h")
	}
	if n := h.count(`SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'webhook.secret_rotated' AND actor_id = $2`,
		h.owner.CompanyID, h.owner.UserID); n != 1 {
		t.Errorf("audit entries for the rotation = %d", n)
	}
}

// TestWebhooks_OutboxIsAtomicWithTheChange makes scheduling fail at its last write (its
// audit entry) and checks that neither the change nor its event, delivery or jobs remain.
func TestWebhooks_OutboxIsAtomicWithTheChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := newReceiver(t, status(http.StatusOK))
	e, _ := h.endpoint(rcv.URL, domain.EventPostScheduled)
	p := h.draft("Atomic")
	_, err := h.db.SQL().ExecContext(h.ctx, fmt.Sprintf(`
		CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'audit refused for the test'; END $$;
		CREATE TRIGGER refuse_schedule_audit BEFORE INSERT ON audit_log FOR EACH ROW
		WHEN (NEW.action = 'post.scheduled' AND NEW.subject = '%s') EXECUTE FUNCTION refuse_audit();`, p.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.posts.Schedule(h.ctx, h.owner, p.ID, time.Time{}, 0); err == nil {
		t.Fatal("Schedule succeeded although its audit entry was refused")
	}
	if got := h.get(p.ID); got.Status() != domain.PostDraft {
		t.Errorf("post status = %s, want draft", got.Status())
	}
	for what, n := range map[string]int{
		"events":     h.count(`SELECT count(*) FROM webhook_events WHERE company_id = $1`, h.owner.CompanyID),
		"deliveries": h.count(`SELECT count(*) FROM webhook_deliveries WHERE company_id = $1 AND endpoint_id = $2`, h.owner.CompanyID, e.ID),
		"jobs":       h.count(`SELECT count(*) FROM river_job WHERE kind IN ('deliver_webhook', 'publish_post') AND args->>'company_id' = $1`, h.owner.CompanyID),
	} {
		if n != 0 {
			t.Errorf("%s left by the failed transaction: %d", what, n)
		}
	}
	// The same change, allowed, writes all of them together.
	if _, err := h.db.SQL().ExecContext(h.ctx, `DROP TRIGGER refuse_schedule_audit ON audit_log`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.posts.Schedule(h.ctx, h.owner, p.ID, time.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	ds := h.deliveries(e)
	if len(ds) != 1 || ds[0].EventType != domain.EventPostScheduled ||
		h.count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1`, ds[0].ID) != 1 {
		t.Errorf("after a committed schedule: deliveries %+v", ds)
	}
}

func TestWebhooks_AccountEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := newReceiver(t, status(http.StatusOK))
	e, _ := h.endpoint(rcv.URL, domain.EventAccountConnected, domain.EventAccountDisconnected, domain.EventAccountReauthRequired)
	h.connect(h.owner) // reconnecting is connecting
	// A refused refresh marks the account reauth_required.
	h.fake.Mu.Lock()
	h.fake.RefreshFn = func() error { return domain.Errorf(domain.CodeUnauthenticated, "invalid_grant") }
	h.fake.AccessToken = "revoked"
	h.fake.Mu.Unlock()
	_, job := h.claim("Needs a token")
	if err := h.pub.PublishTarget(h.ctx, job); err != nil {
		var retry *app.Retry
		if !errors.As(err, &retry) {
			t.Fatalf("PublishTarget: %v", err)
		}
	}
	if err := h.accounts.Disconnect(h.ctx, h.owner, h.account.ID); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range h.deliveries(e) {
		types = append([]string{string(d.EventType)}, types...)
	}
	want := "account.connected,account.reauth_required,account.disconnected"
	if strings.Join(types, ",") != want {
		t.Errorf("account events = %v, want %s", types, want)
	}
	// Another company's endpoint hears nothing of this one.
	rival := h.newCompany("Rival", domain.RoleOwner)
	if _, err := h.hooks.Get(h.ctx, rival, e.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the rival reads the endpoint: %v", err)
	}
	if _, _, err := h.hooks.Deliveries(h.ctx, rival, e.ID, ports.DeliveryFilter{}, ports.Page{Limit: 10}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the rival reads the deliveries: %v", err)
	}
}
