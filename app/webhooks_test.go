package app_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestWebhooks_LastAttemptFailsTheDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusBadGateway))
	e, _ := h.Endpoint(rcv.URL, domain.EventPostPublished)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, domain.WebhookMaxAttempts)
	if err != nil || !out.Done || !out.Failed {
		t.Fatalf("the last attempt = %+v, %v; want done and failed", out, err)
	}
	if got := h.Deliveries(e)[0]; got.Status != domain.DeliveryFailed || !got.NextAttemptAt.IsZero() {
		t.Errorf("delivery = %s, next %v", got.Status, got.NextAttemptAt)
	}
}

func TestWebhooks_EndpointFailingForFiveDaysIsDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusServiceUnavailable))
	e, _ := h.Endpoint(rcv.URL, domain.EventPostPublished)
	send := func() domain.WebhookDelivery {
		d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, 1); !errors.Is(err, app.ErrDeliveryFailed) {
			t.Fatalf("Deliver: %v", err)
		}
		return d
	}
	send()
	h.shift(4 * 24 * time.Hour)
	send()
	if got := h.EndpointNow(e.ID); got.Status != domain.WebhookEnabled || got.ConsecutiveFailures != 2 {
		t.Fatalf("after 4 days: %s with %d failures", got.Status, got.ConsecutiveFailures)
	}
	h.shift(5*24*time.Hour + time.Minute)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, 1)
	if err != nil || !out.Done || !out.Failed {
		t.Fatalf("the attempt after 5 days = %+v, %v; want done and failed", out, err)
	}
	got := h.EndpointNow(e.ID)
	if got.Status != domain.WebhookDisabled || !strings.Contains(got.DisabledReason, "5 days") {
		t.Fatalf("after 5 days: %s %q", got.Status, got.DisabledReason)
	}
	if n := h.Count(`SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'webhook.disabled' AND subject = $2 AND actor_id IS NULL`,
		h.Owner.CompanyID, e.ID); n != 1 {
		t.Errorf("audit entries for the disabling = %d, want 1", n)
	}
	// A disabled endpoint gets nothing more: new events skip it, waiting deliveries end.
	before := len(rcv.Got())
	p := h.Draft("After the endpoint was disabled")
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("SendTest to a disabled endpoint: %v", err)
	}
	pending := h.Deliveries(e)[1] // the one that waited for its next attempt
	if out, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, pending.ID, 2); err != nil || !out.Failed {
		t.Errorf("a waiting delivery of a disabled endpoint = %+v, %v", out, err)
	}
	if n := len(rcv.Got()); n != before {
		t.Errorf("the disabled endpoint got %d more requests", n-before)
	}
	// Enabling starts over.
	enabled := true
	if e, err := h.Webhooks.Update(h.Ctx, h.Owner, e.ID, app.WebhookChange{Enabled: &enabled}, 0); err != nil || e.Status != domain.WebhookEnabled || e.ConsecutiveFailures != 0 {
		t.Errorf("Enable = %+v, %v", e, err)
	}
}

func TestWebhooks_RotationSignsWithBothSecretsFor24Hours(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusOK))
	e, old := h.Endpoint(rcv.URL, domain.EventPostPublished)
	fresh, err := h.Webhooks.RotateSecret(h.Ctx, h.Owner, e.ID)
	if err != nil || fresh == old || !strings.HasPrefix(fresh, "whsec_") {
		t.Fatalf("RotateSecret = %q, %v", fresh, err)
	}
	deliver := func() apptest.Hit {
		d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, 1); err != nil || !out.Done || out.Failed {
			t.Fatalf("Deliver = %+v, %v", out, err)
		}
		hits := rcv.Got()
		return hits[len(hits)-1]
	}
	got := deliver()
	if n := len(strings.Fields(got.Header.Get("webhook-signature"))); n != 2 {
		t.Errorf("during the rotation: %d signatures, want 2", n)
	}
	for name, s := range map[string]string{"old": old, "new": fresh} {
		if err := apptest.VerifyWebhook(s, got.Header, got.Body, time.Now()); err != nil {
			t.Errorf("the %s secret during the rotation: %v", name, err)
		}
	}
	h.shift(25 * time.Hour)
	got = deliver()
	now := time.Now().Add(25 * time.Hour)
	if err := apptest.VerifyWebhook(fresh, got.Header, got.Body, now); err != nil {
		t.Errorf("the new secret after 24 h: %v", err)
	}
	if err := apptest.VerifyWebhook(old, got.Header, got.Body, now); err == nil {
		t.Error("the old secret still verifies after 24 h")
	}
	if n := h.Count(`SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'webhook.secret_rotated' AND actor_id = $2`,
		h.Owner.CompanyID, h.Owner.UserID); n != 1 {
		t.Errorf("audit entries for the rotation = %d", n)
	}
}

// TestWebhooks_OutboxIsAtomicWithTheChange makes scheduling fail at its last write (its
// audit entry) and checks that neither the change nor its event, delivery or jobs remain.
func TestWebhooks_OutboxIsAtomicWithTheChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusOK))
	e, _ := h.Endpoint(rcv.URL, domain.EventPostScheduled)
	p := h.Draft("Atomic")
	_, err := h.DB.SQL().ExecContext(h.Ctx, fmt.Sprintf(`
		CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'audit refused for the test'; END $$;
		CREATE TRIGGER refuse_schedule_audit BEFORE INSERT ON audit_log FOR EACH ROW
		WHEN (NEW.action = 'post.scheduled' AND NEW.subject = '%s') EXECUTE FUNCTION refuse_audit();`, p.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Time{}, 0); err == nil {
		t.Fatal("Schedule succeeded although its audit entry was refused")
	}
	if got := h.Get(p.ID); got.Status() != domain.PostDraft {
		t.Errorf("post status = %s, want draft", got.Status())
	}
	for what, n := range map[string]int{
		"events":     h.Count(`SELECT count(*) FROM webhook_events WHERE company_id = $1`, h.Owner.CompanyID),
		"deliveries": h.Count(`SELECT count(*) FROM webhook_deliveries WHERE company_id = $1 AND endpoint_id = $2`, h.Owner.CompanyID, e.ID),
		"jobs":       h.Count(`SELECT count(*) FROM river_job WHERE kind IN ('deliver_webhook', 'publish_post') AND args->>'company_id' = $1`, h.Owner.CompanyID),
	} {
		if n != 0 {
			t.Errorf("%s left by the failed transaction: %d", what, n)
		}
	}
	// The same change, allowed, writes all of them together.
	if _, err := h.DB.SQL().ExecContext(h.Ctx, `DROP TRIGGER refuse_schedule_audit ON audit_log`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, time.Now().Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	ds := h.Deliveries(e)
	if len(ds) != 1 || ds[0].EventType != domain.EventPostScheduled ||
		h.Count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook' AND args->>'delivery_id' = $1`, ds[0].ID) != 1 {
		t.Errorf("after a committed schedule: deliveries %+v", ds)
	}
}

func TestWebhooks_AccountEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusOK))
	e, _ := h.Endpoint(rcv.URL, domain.EventAccountConnected, domain.EventAccountDisconnected, domain.EventAccountReauthRequired)
	h.Connect(h.Owner) // reconnecting is connecting
	// A refused refresh marks the account reauth_required.
	h.Net.Mu.Lock()
	h.Net.RefreshFn = func() error { return domain.Errorf(domain.CodeUnauthenticated, "invalid_grant") }
	h.Net.AccessToken = "revoked"
	h.Net.Mu.Unlock()
	_, job := h.Claim("Needs a token")
	if err := h.Publishing.PublishTarget(h.Ctx, job); err != nil {
		var retry *app.Retry
		if !errors.As(err, &retry) {
			t.Fatalf("PublishTarget: %v", err)
		}
	}
	if err := h.Accounts.Disconnect(h.Ctx, h.Owner, h.Account.ID); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range h.Deliveries(e) {
		types = append([]string{string(d.EventType)}, types...)
	}
	want := "account.connected,account.reauth_required,account.disconnected"
	if strings.Join(types, ",") != want {
		t.Errorf("account events = %v, want %s", types, want)
	}
	// Another company's endpoint hears nothing of this one.
	rival := h.newCompany("Rival", domain.RoleOwner)
	if _, err := h.Webhooks.Get(h.Ctx, rival, e.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the rival reads the endpoint: %v", err)
	}
	if _, _, err := h.Webhooks.Deliveries(h.Ctx, rival, e.ID, ports.DeliveryFilter{}, ports.Page{Limit: 10}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("the rival reads the deliveries: %v", err)
	}
}
