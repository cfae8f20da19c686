package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Webhooks holds the use cases of outgoing webhooks: admins manage endpoints and read
// their delivery log; the queue's workers deliver events. Events are written to the outbox
// by the use cases that cause them (emitEvent), in their own transaction.
type Webhooks struct {
	store  ports.Store
	authz  ports.Authorizer
	cipher ports.TokenCipher
	sender ports.WebhookSender
	policy domain.WebhookURLPolicy
	notify *Notifications // tells admins of disabled endpoints; nil: nobody
	now    func() time.Time
	log    *slog.Logger
}

// NewWebhooks returns the webhook use cases. policy says which endpoint addresses are
// accepted; sender must apply the same rule when it connects.
func NewWebhooks(store ports.Store, authz ports.Authorizer, cipher ports.TokenCipher, sender ports.WebhookSender,
	policy domain.WebhookURLPolicy, now func() time.Time, log *slog.Logger) *Webhooks {
	return &Webhooks{store: store, authz: authz, cipher: cipher, sender: sender, policy: policy, now: now, log: log}
}

// Policy returns the rule endpoint addresses must follow here.
func (w *Webhooks) Policy() domain.WebhookURLPolicy { return w.policy }

// Create adds an endpoint to the actor's company and returns it with its secret, which is
// shown this once.
// Errors: CodeForbidden; CodeInvalid naming every bad field.
func (w *Webhooks) Create(ctx context.Context, actor domain.Actor, in domain.WebhookInput) (domain.WebhookEndpoint, string, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	now := w.now()
	e, err := domain.NewWebhookEndpoint(actor.CompanyID, actor.UserID, in, w.policy, now)
	if err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	secret := newWebhookSecret()
	err = w.store.InTx(ctx, func(tx ports.Tx) error {
		if err := tx.Webhooks().Create(ctx, &e); err != nil {
			return err
		}
		sealed, err := w.cipher.Seal([]byte(secret), webhookAAD(e))
		if err != nil {
			return fmt.Errorf("app: seal webhook secret: %w", err)
		}
		if err := tx.Webhooks().SetSecrets(ctx, e.CompanyID, e.ID, ports.SealedWebhookSecrets{Current: sealed}); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, "webhook.created", e, map[string]string{"url": e.URL, "events": eventList(e.Events)})
	})
	if err != nil {
		return domain.WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// newWebhookSecret returns a fresh whsec_ secret of domain.WebhookSecretBytes random bytes.
func newWebhookSecret() string {
	b := make([]byte, domain.WebhookSecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	s, _ := domain.WebhookSecret(b)
	return s
}

// webhookAAD ties a sealed secret to its endpoint and company.
func webhookAAD(e domain.WebhookEndpoint) []byte {
	return []byte("herald/v1|webhook_secret|" + string(e.CompanyID) + "|" + string(e.ID))
}

func eventList(ts []domain.EventType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ","
		}
		s += string(t)
	}
	return s
}

// List returns the actor's company's endpoints with their health.
// Errors: CodeForbidden.
func (w *Webhooks) List(ctx context.Context, actor domain.Actor) ([]domain.WebhookEndpoint, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.WebhookEndpoint
	err := w.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Webhooks().List(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// Get returns one of the actor's company's endpoints.
// Errors: CodeForbidden; CodeNotFound (also another company's).
func (w *Webhooks) Get(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID) (domain.WebhookEndpoint, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionRead); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	var e domain.WebhookEndpoint
	err := w.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		e, err = tx.Webhooks().Get(ctx, actor.CompanyID, id)
		return err
	})
	return e, err
}

// WebhookChange is a change of an endpoint; nil fields stay as they are.
type WebhookChange struct {
	Events      []string // nil: unchanged
	Description *string
	Enabled     *bool
}

// Update changes the endpoint's event types, description, or whether it is enabled;
// ifMatch, when not 0, is the version the caller last saw. Enabling starts the failure
// streak over; deliveries that failed while it was disabled are not resent by themselves.
// Errors: CodeForbidden; CodeNotFound; CodeStale; CodeInvalid.
func (w *Webhooks) Update(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID, ch WebhookChange, ifMatch int) (domain.WebhookEndpoint, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return domain.WebhookEndpoint{}, err
	}
	var e domain.WebhookEndpoint
	err := w.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if e, err = tx.Webhooks().Lock(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, e.Version); err != nil {
			return err
		}
		now := w.now()
		details := map[string]string{}
		if ch.Events != nil || ch.Description != nil {
			desc := e.Description
			if ch.Description != nil {
				desc = *ch.Description
			}
			if err := e.Change(ch.Events, desc, now); err != nil {
				return err
			}
			details["events"], details["description"] = eventList(e.Events), e.Description
		}
		action := "webhook.updated"
		switch {
		case ch.Enabled == nil:
		case *ch.Enabled && e.Status != domain.WebhookEnabled:
			e.Enable(now)
			action = "webhook.enabled"
		case !*ch.Enabled && e.Status != domain.WebhookDisabled:
			e.Disable("Disabled by a person.", now)
			action = "webhook.disabled"
		}
		if err := tx.Webhooks().Update(ctx, e); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, action, e, details)
	})
	return e, err
}

// Delete removes the endpoint and its delivery log; its waiting deliveries end.
// Errors: CodeForbidden; CodeNotFound.
func (w *Webhooks) Delete(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID) error {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return err
	}
	return w.store.InTx(ctx, func(tx ports.Tx) error {
		e, err := tx.Webhooks().Lock(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := tx.Webhooks().Delete(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, "webhook.deleted", e, map[string]string{"url": e.URL})
	})
}

// RotateSecret gives the endpoint a new secret and returns it (shown this once). The old
// secret keeps signing too, beside the new one, for domain.WebhookSecretOverlap, so the
// receiver can switch without losing events.
// Errors: CodeForbidden; CodeNotFound.
func (w *Webhooks) RotateSecret(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID) (string, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return "", err
	}
	secret := newWebhookSecret()
	err := w.store.InTx(ctx, func(tx ports.Tx) error {
		e, err := tx.Webhooks().Lock(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		old, err := tx.Webhooks().Secrets(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		sealed, err := w.cipher.Seal([]byte(secret), webhookAAD(e))
		if err != nil {
			return fmt.Errorf("app: seal webhook secret: %w", err)
		}
		until := w.now().Add(domain.WebhookSecretOverlap)
		if err := tx.Webhooks().SetSecrets(ctx, actor.CompanyID, id, ports.SealedWebhookSecrets{Current: sealed, Previous: old.Current, PreviousUntil: until}); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, "webhook.secret_rotated", e, map[string]string{"previous_signs_until": until.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// SendTest queues a webhook.test event to the endpoint, whatever it subscribed to, and
// returns its delivery.
// Errors: CodeForbidden; CodeNotFound; CodeConflict (the endpoint is disabled).
func (w *Webhooks) SendTest(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID) (domain.WebhookDelivery, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return domain.WebhookDelivery{}, err
	}
	var d domain.WebhookDelivery
	err := w.store.InTx(ctx, func(tx ports.Tx) error {
		e, err := tx.Webhooks().Lock(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if e.Status != domain.WebhookEnabled {
			return domain.Errorf(domain.CodeConflict, "This endpoint is disabled; enable it before sending a test event.")
		}
		now := w.now()
		ev := domain.WebhookEvent{CompanyID: actor.CompanyID, Type: domain.EventWebhookTest, At: now.UTC(),
			Data: map[string]any{"endpoint_id": string(e.ID), "message": "This is a test event sent from Herald.", "sent_by": string(actor.UserID)}}
		ids, err := addEvent(ctx, tx, ev, []domain.WebhookEndpointID{e.ID})
		if err != nil {
			return err
		}
		if d, err = tx.Webhooks().Delivery(ctx, actor.CompanyID, ids[0]); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, "webhook.test_sent", e, map[string]string{"delivery": string(d.ID)})
	})
	return d, err
}

// Deliveries returns one page of the endpoint's delivery log, newest first.
// Errors: CodeForbidden; CodeNotFound (the endpoint); CodeInvalid (cursor).
func (w *Webhooks) Deliveries(ctx context.Context, actor domain.Actor, id domain.WebhookEndpointID, f ports.DeliveryFilter, page ports.Page) ([]domain.WebhookDelivery, string, error) {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionRead); err != nil {
		return nil, "", err
	}
	var out []domain.WebhookDelivery
	var next string
	err := w.store.Read(ctx, func(tx ports.Tx) error {
		if _, err := tx.Webhooks().Get(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		var err error
		out, next, err = tx.Webhooks().Deliveries(ctx, actor.CompanyID, id, f, page)
		return err
	})
	return out, next, err
}

// RetryDelivery queues one more attempt of the delivery now, with the same webhook-id; a
// delivery waiting for its next attempt is tried at once. A delivery that already has a
// job running is left to it.
// Errors: CodeForbidden; CodeNotFound (endpoint or delivery, also another company's, or a
// delivery of another endpoint); CodeConflict (the endpoint is disabled).
func (w *Webhooks) RetryDelivery(ctx context.Context, actor domain.Actor, endpoint domain.WebhookEndpointID, id domain.WebhookDeliveryID) error {
	if err := w.authz.Can(ctx, actor, domain.ResourceWebhooks, domain.ActionWrite); err != nil {
		return err
	}
	return w.store.InTx(ctx, func(tx ports.Tx) error {
		e, err := tx.Webhooks().Lock(ctx, actor.CompanyID, endpoint)
		if err != nil {
			return err
		}
		d, err := tx.Webhooks().Delivery(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if d.EndpointID != e.ID {
			return domain.Errorf(domain.CodeNotFound, "That webhook delivery does not exist.")
		}
		if e.Status != domain.WebhookEnabled {
			return domain.Errorf(domain.CodeConflict, "This endpoint is disabled; enable it before retrying its deliveries.")
		}
		d.Status, d.NextAttemptAt = domain.DeliveryPending, w.now().UTC()
		if err := tx.Webhooks().SaveDelivery(ctx, d); err != nil {
			return err
		}
		if err := tx.Jobs().DeliverWebhooks(ctx, actor.CompanyID, []domain.WebhookDeliveryID{d.ID}); err != nil {
			return err
		}
		return w.audit(ctx, tx, actor, "webhook.delivery_retried", e, map[string]string{"delivery": string(d.ID), "event_type": string(d.EventType)})
	})
}

func (w *Webhooks) audit(ctx context.Context, tx ports.Tx, actor domain.Actor, action string, e domain.WebhookEndpoint, details map[string]string) error {
	return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: action,
		Subject: string(e.ID), Details: details, At: w.now()})
}

// DeliveryOutcome tells the queue what to do after one attempt.
type DeliveryOutcome struct {
	Done   bool          // delivered, failed for good, or nothing to do: no more attempts
	Failed bool          // with Done: the delivery failed for good (attempts ran out, 410, disabled)
	Snooze time.Duration // > 0: try again after this wait (the receiver's Retry-After)
	// Otherwise the attempt failed and the queue retries on domain.WebhookRetrySchedule.
	Reason string
}

// ErrDeliveryFailed is returned by Deliver when an attempt failed and another follows.
var ErrDeliveryFailed = errors.New("webhook delivery attempt failed")

// Deliver makes attempt number attempt (1 for the first of the delivery's current job) of
// the company's delivery: it signs the event with the endpoint's secrets (both during a
// rotation), posts it, and records the answer in the delivery and the endpoint's health in
// one transaction. The webhook-id is the event id, the same for every attempt. It returns
// Done when no attempt follows; Snooze for a 429 with Retry-After; ErrDeliveryFailed
// (wrapped) when the schedule's next attempt should follow; any other error for a fault of
// Herald's own.
func (w *Webhooks) Deliver(ctx context.Context, company domain.CompanyID, id domain.WebhookDeliveryID, attempt int) (DeliveryOutcome, error) {
	var d domain.WebhookDelivery
	var e domain.WebhookEndpoint
	var ev domain.WebhookEvent
	var sealed ports.SealedWebhookSecrets
	err := w.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if d, err = tx.Webhooks().Delivery(ctx, company, id); err != nil {
			return err
		}
		if e, err = tx.Webhooks().Get(ctx, company, d.EndpointID); err != nil {
			return err
		}
		if sealed, err = tx.Webhooks().Secrets(ctx, company, d.EndpointID); err != nil {
			return err
		}
		ev, err = tx.Webhooks().Event(ctx, company, d.EventID)
		return err
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return DeliveryOutcome{Done: true, Reason: "the endpoint or delivery was deleted"}, nil
	}
	if err != nil {
		return DeliveryOutcome{}, err
	}
	if d.Status == domain.DeliverySucceeded {
		return DeliveryOutcome{Done: true, Reason: "already delivered"}, nil
	}
	if e.Status != domain.WebhookEnabled {
		err := w.store.InTx(ctx, func(tx ports.Tx) error {
			d.Fail("Not sent: the endpoint is disabled.")
			return tx.Webhooks().SaveDelivery(ctx, d)
		})
		return DeliveryOutcome{Done: true, Failed: true, Reason: "endpoint disabled"}, err
	}
	now := w.now()
	secrets, err := w.secrets(e, sealed, now)
	if err != nil {
		return DeliveryOutcome{}, err
	}
	body, err := json.Marshal(struct {
		Type      domain.EventType `json:"type"`
		Timestamp string           `json:"timestamp"`
		Data      map[string]any   `json:"data"`
	}{ev.Type, ev.At.UTC().Format(time.RFC3339Nano), orEmptyData(ev.Data)})
	if err != nil {
		return DeliveryOutcome{}, fmt.Errorf("app: webhook body: %w", err)
	}
	sig, err := domain.SignWebhook(ev.ID, now, body, secrets...)
	if err != nil {
		return DeliveryOutcome{}, fmt.Errorf("app: sign webhook: %w", err)
	}
	res := w.sender.Send(ctx, ports.WebhookMessage{URL: e.URL, ID: ev.ID, Timestamp: now, Body: body, Signature: sig})
	if res.Err != nil && ctx.Err() != nil {
		return DeliveryOutcome{}, ctx.Err() // stopping: this attempt does not count
	}
	at := w.now()
	delay, more := domain.WebhookRetryDelay(attempt)
	snooze := time.Duration(0)
	if res.Status == 429 && res.RetryAfter > 0 && d.Attempts+1 < domain.WebhookMaxAttempts {
		snooze, more = min(max(res.RetryAfter, delay), 24*time.Hour), true
		delay = snooze
	}
	var disabled bool
	err = w.store.InTx(ctx, func(tx ports.Tx) error {
		cur, err := tx.Webhooks().Lock(ctx, company, e.ID)
		if err != nil {
			return err
		}
		disabled = cur.RecordAttempt(res.Status, res.Succeeded(), at)
		d.Record(res, !more || disabled, at.Add(delay), at)
		if err := tx.Webhooks().SaveDelivery(ctx, d); err != nil {
			return err
		}
		if err := tx.Webhooks().Update(ctx, cur); err != nil {
			return err
		}
		if disabled {
			e = cur
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: company, Action: "webhook.disabled", Subject: string(cur.ID),
				Details: map[string]string{"reason": cur.DisabledReason, "url": cur.URL}, At: at}); err != nil {
				return err
			}
			return w.notify.webhookDisabled(ctx, tx, cur)
		}
		return nil
	})
	if domain.CodeOf(err) == domain.CodeNotFound {
		return DeliveryOutcome{Done: true, Reason: "the endpoint or delivery was deleted"}, nil
	}
	if err != nil {
		return DeliveryOutcome{}, err
	}
	w.log.InfoContext(ctx, "webhook attempt", "company", company, "endpoint", e.ID, "delivery", d.ID, "webhook_id", ev.ID,
		"event_type", ev.Type, "attempt", d.Attempts, "status", res.Status, "duration_ms", res.Duration.Milliseconds(),
		"outcome", d.Status, "error", d.Error)
	if disabled {
		w.log.WarnContext(ctx, "webhook endpoint disabled", "company", company, "endpoint", e.ID, "reason", e.DisabledReason)
	}
	switch {
	case d.Status != domain.DeliveryPending:
		return DeliveryOutcome{Done: true, Failed: d.Status == domain.DeliveryFailed, Reason: d.Error}, nil
	case snooze > 0:
		return DeliveryOutcome{Snooze: snooze, Reason: d.Error}, nil
	}
	return DeliveryOutcome{Reason: d.Error}, fmt.Errorf("%w: %s", ErrDeliveryFailed, d.Error)
}

// secrets opens the endpoint's current secret and, until its time ends, the previous one.
func (w *Webhooks) secrets(e domain.WebhookEndpoint, s ports.SealedWebhookSecrets, now time.Time) ([]string, error) {
	cur, err := w.cipher.Open(s.Current, webhookAAD(e))
	if err != nil {
		return nil, fmt.Errorf("app: open webhook secret of %s: %w", e.ID, err)
	}
	out := []string{string(cur)}
	if len(s.Previous) > 0 && now.Before(s.PreviousUntil) {
		prev, err := w.cipher.Open(s.Previous, webhookAAD(e))
		if err != nil {
			return nil, fmt.Errorf("app: open previous webhook secret of %s: %w", e.ID, err)
		}
		out = append(out, string(prev))
	}
	return out, nil
}

func orEmptyData(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// addEvent writes ev to the outbox with one delivery per endpoint and enqueues their jobs,
// on tx. It returns the deliveries' ids.
func addEvent(ctx context.Context, tx ports.Tx, ev domain.WebhookEvent, endpoints []domain.WebhookEndpointID) ([]domain.WebhookDeliveryID, error) {
	if err := tx.Webhooks().AddEvent(ctx, &ev); err != nil {
		return nil, err
	}
	ids, err := tx.Webhooks().AddDeliveries(ctx, ev, endpoints)
	if err != nil {
		return nil, err
	}
	return ids, tx.Jobs().DeliverWebhooks(ctx, ev.CompanyID, ids)
}

// emitEvent writes an event of type t to the company's outbox, on tx (the transaction of
// the change that caused it), for every enabled endpoint subscribed to t. Without such an
// endpoint nothing is written.
func emitEvent(ctx context.Context, tx ports.Tx, company domain.CompanyID, t domain.EventType, data map[string]any, now time.Time) error {
	endpoints, err := tx.Webhooks().Subscribed(ctx, company, t)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	_, err = addEvent(ctx, tx, domain.WebhookEvent{CompanyID: company, Type: t, At: now.UTC(), Data: data}, endpoints)
	return err
}

// emitPost writes the event of the post's status, if that status has one.
func emitPost(ctx context.Context, tx ports.Tx, p domain.Post, now time.Time) error {
	t, ok := domain.PostEventType(p.Status())
	if !ok {
		return nil
	}
	return emitEvent(ctx, tx, p.CompanyID, t, postEventData(p), now)
}

// postEventData is a post in an event's data: its state and each target's.
func postEventData(p domain.Post) map[string]any {
	targets := make([]any, 0, len(p.Targets))
	for _, t := range p.Targets {
		targets = append(targets, map[string]any{"account_id": string(t.AccountID), "platform": string(t.Platform), "status": string(t.Status()),
			"external_id": nullable(t.ExternalID()), "external_url": nullable(t.ExternalURL()), "error": nullable(t.Reason()),
			"published_at": nullableTime(t.PublishedAt()), "first_comment": commentEventData(t.Comment())})
	}
	return map[string]any{"post": map[string]any{"id": string(p.ID), "status": string(p.Status()), "status_reason": nullable(p.Reason()),
		"scheduled_for": nullableTime(p.ScheduledFor()), "version": p.Version(), "targets": targets}}
}

// commentEventData is a target's first comment in an event's data: null when it has none.
// A comment is sent after its post, so a post.published event usually shows it pending.
func commentEventData(c domain.CommentState) any {
	if c.Status == domain.CommentNone {
		return nil
	}
	return map[string]any{"status": string(c.Status), "external_id": nullable(c.ExternalID), "error": nullable(c.Reason),
		"published_at": nullableTime(c.PublishedAt)}
}

// emitAccount writes an account event of type t.
func emitAccount(ctx context.Context, tx ports.Tx, a domain.Account, t domain.EventType, now time.Time) error {
	return emitEvent(ctx, tx, a.CompanyID, t, accountEventData(a), now)
}

// accountEventData is an account in an event's data. token_expires_at is when its token
// expires (null: it does not); access_ends_at when Herald's access ends unless a person
// reconnects it (null: Herald renews the token itself).
func accountEventData(a domain.Account) map[string]any {
	return map[string]any{"account": map[string]any{"id": string(a.ID), "platform": string(a.Platform),
		"external_id": a.ExternalID, "display_name": a.DisplayName, "status": string(a.Status), "status_reason": nullable(a.StatusReason),
		"token_expires_at": nullableTime(a.TokenExpiresAt), "access_ends_at": nullableTime(a.AccessEndsAt())}}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
