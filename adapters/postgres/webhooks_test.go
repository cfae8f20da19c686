package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var errRollback = errors.New("roll back the test's writes")

// TestWebhooks_StoreIsScopedByCompany stores an endpoint, an event and a delivery of one
// company, and tries to reach and to cross-link them from another.
func TestWebhooks_StoreIsScopedByCompany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := db.InTx(ctx, func(tx ports.Tx) error {
		w := tx.Webhooks()
		e, err := domain.NewWebhookEndpoint(acme.company.ID, acme.owner.ID, domain.WebhookInput{URL: "https://acme.example/hooks",
			Events: []string{"post.published", "account.connected"}, Description: "CRM"}, domain.WebhookURLPolicy{}, now)
		if err != nil {
			return err
		}
		if err := w.Create(ctx, &e); err != nil {
			return err
		}
		if err := w.SetSecrets(ctx, acme.company.ID, e.ID, ports.SealedWebhookSecrets{Current: []byte("sealed-1"), Previous: []byte("sealed-0"), PreviousUntil: now.Add(time.Hour)}); err != nil {
			return err
		}
		got, err := w.Get(ctx, acme.company.ID, e.ID)
		if err != nil || got.URL != e.URL || len(got.Events) != 2 || got.Events[1] != domain.EventAccountConnected || got.CreatedBy != acme.owner.ID {
			t.Errorf("Get = %+v, %v", got, err)
		}
		sec, err := w.Secrets(ctx, acme.company.ID, e.ID)
		if err != nil || string(sec.Current) != "sealed-1" || string(sec.Previous) != "sealed-0" || !sec.PreviousUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("Secrets = %+v, %v", sec, err)
		}
		subs, err := w.Subscribed(ctx, acme.company.ID, domain.EventPostPublished)
		if err != nil || len(subs) != 1 || subs[0] != e.ID {
			t.Errorf("Subscribed = %v, %v", subs, err)
		}
		ev := domain.WebhookEvent{CompanyID: acme.company.ID, Type: domain.EventPostPublished, At: now, Data: map[string]any{"post": map[string]any{"id": "p1"}}}
		if err := w.AddEvent(ctx, &ev); err != nil {
			return err
		}
		ids, err := w.AddDeliveries(ctx, ev, []domain.WebhookEndpointID{e.ID})
		if err != nil || len(ids) != 1 {
			t.Fatalf("AddDeliveries = %v, %v", ids, err)
		}
		back, err := w.Event(ctx, acme.company.ID, ev.ID)
		if err != nil || back.Data["post"].(map[string]any)["id"] != "p1" || back.Type != domain.EventPostPublished {
			t.Errorf("Event = %+v, %v", back, err)
		}

		// The rival reaches none of it, and cannot point its rows at acme's.
		for what, err := range map[string]error{
			"Get":    func() error { _, err := w.Get(ctx, rival.company.ID, e.ID); return err }(),
			"Lock":   func() error { _, err := w.Lock(ctx, rival.company.ID, e.ID); return err }(),
			"Secret": func() error { _, err := w.Secrets(ctx, rival.company.ID, e.ID); return err }(),
			"Event":  func() error { _, err := w.Event(ctx, rival.company.ID, ev.ID); return err }(),
			"Delivery": func() error {
				_, err := w.Delivery(ctx, rival.company.ID, ids[0])
				return err
			}(),
			"SetSecrets": w.SetSecrets(ctx, rival.company.ID, e.ID, ports.SealedWebhookSecrets{Current: []byte("x")}),
			"SaveDelivery": w.SaveDelivery(ctx, domain.WebhookDelivery{ID: ids[0], CompanyID: rival.company.ID,
				Status: domain.DeliveryFailed}),
			"Update": w.Update(ctx, domain.WebhookEndpoint{ID: e.ID, CompanyID: rival.company.ID, Events: e.Events, Status: domain.WebhookDisabled,
				Version: 2, UpdatedAt: now}),
		} {
			wantCode(t, "rival "+what, err, domain.CodeNotFound)
		}
		if subs, _ := w.Subscribed(ctx, rival.company.ID, domain.EventPostPublished); len(subs) != 0 {
			t.Errorf("rival Subscribed = %v", subs)
		}
		if ds, _, err := w.Deliveries(ctx, rival.company.ID, e.ID, ports.DeliveryFilter{}, ports.Page{Limit: 10}); err != nil || len(ds) != 0 {
			t.Errorf("rival Deliveries = %v, %v", ds, err)
		}
		if ds, _, err := w.Deliveries(ctx, acme.company.ID, e.ID, ports.DeliveryFilter{Status: domain.DeliveryPending, EventType: domain.EventPostPublished}, ports.Page{Limit: 10}); err != nil || len(ds) != 1 || ds[0].EventID != ev.ID {
			t.Errorf("Deliveries = %v, %v", ds, err)
		}
		rivalEvent := domain.WebhookEvent{CompanyID: rival.company.ID, Type: domain.EventPostPublished, At: now}
		if err := w.AddEvent(ctx, &rivalEvent); err != nil {
			return err
		}
		_, err = w.AddDeliveries(ctx, rivalEvent, []domain.WebhookEndpointID{e.ID})
		wantCode(t, "a rival's event delivered to acme's endpoint", err, domain.CodeNotFound)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}
