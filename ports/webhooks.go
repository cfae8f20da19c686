package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// SealedWebhookSecrets are an endpoint's signing secrets, encrypted by a TokenCipher. During
// a rotation the previous secret signs too, until PreviousUntil.
type SealedWebhookSecrets struct {
	Current       []byte
	Previous      []byte // empty when no rotation is under way
	PreviousUntil time.Time
}

// DeliveryFilter narrows a list of deliveries; zero fields do not filter.
type DeliveryFilter struct {
	Status    domain.DeliveryStatus
	EventType domain.EventType
}

// Webhooks keeps webhook endpoints, the outbox of events and their deliveries. Every method
// is scoped to one company: another company's endpoint or delivery is CodeNotFound.
type Webhooks interface {
	// Create stores a new endpoint without secrets and sets e.ID; SetSecrets follows in
	// the same transaction.
	Create(ctx context.Context, e *domain.WebhookEndpoint) error
	// Get returns the endpoint with its health, or CodeNotFound.
	Get(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (domain.WebhookEndpoint, error)
	// Lock is Get plus a row lock held until the transaction ends.
	Lock(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (domain.WebhookEndpoint, error)
	// List returns the company's endpoints, oldest first.
	List(ctx context.Context, company domain.CompanyID) ([]domain.WebhookEndpoint, error)
	// Update writes the endpoint's events, description, status, health and version, or
	// returns CodeNotFound.
	Update(ctx context.Context, e domain.WebhookEndpoint) error
	// Delete removes the endpoint and its deliveries, or returns CodeNotFound.
	Delete(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) error
	// Secrets returns the endpoint's sealed secrets, or CodeNotFound.
	Secrets(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (SealedWebhookSecrets, error)
	// SetSecrets replaces the endpoint's sealed secrets, or returns CodeNotFound.
	SetSecrets(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID, s SealedWebhookSecrets) error
	// Subscribed returns the company's enabled endpoints subscribed to t.
	Subscribed(ctx context.Context, company domain.CompanyID, t domain.EventType) ([]domain.WebhookEndpointID, error)
	// SubscribedMany is Subscribed for several companies in one query; a company without
	// such an endpoint is absent from the map.
	SubscribedMany(ctx context.Context, companies []domain.CompanyID, t domain.EventType) (map[domain.CompanyID][]domain.WebhookEndpointID, error)
	// AddEvent stores ev in the outbox and sets ev.ID.
	AddEvent(ctx context.Context, ev *domain.WebhookEvent) error
	// Event returns the event, or CodeNotFound.
	Event(ctx context.Context, company domain.CompanyID, id domain.WebhookEventID) (domain.WebhookEvent, error)
	// AddDeliveries stores one pending delivery of ev to each endpoint and returns their ids.
	AddDeliveries(ctx context.Context, ev domain.WebhookEvent, endpoints []domain.WebhookEndpointID) ([]domain.WebhookDeliveryID, error)
	// Delivery returns the delivery, or CodeNotFound.
	Delivery(ctx context.Context, company domain.CompanyID, id domain.WebhookDeliveryID) (domain.WebhookDelivery, error)
	// SaveDelivery writes the delivery's status and its last attempt, or returns CodeNotFound.
	SaveDelivery(ctx context.Context, d domain.WebhookDelivery) error
	// Deliveries returns one page of the endpoint's deliveries matching f, newest first, and
	// the cursor of the next page ("" on the last). A malformed cursor is CodeInvalid.
	Deliveries(ctx context.Context, company domain.CompanyID, endpoint domain.WebhookEndpointID, f DeliveryFilter, p Page) ([]domain.WebhookDelivery, string, error)
}

// WebhookMessage is one signed attempt to deliver an event to an endpoint.
type WebhookMessage struct {
	URL       string
	ID        domain.WebhookEventID // the webhook-id header
	Timestamp time.Time             // the webhook-timestamp header, this attempt's time
	Body      []byte
	Signature string // the webhook-signature header
}

// WebhookSender posts webhook messages to endpoints outside Herald. It never reaches a
// loopback, private, link-local, multicast or unspecified address (checked after DNS
// resolution) unless configured to, never follows redirects, and gives up after
// domain.WebhookTimeout.
type WebhookSender interface {
	// Send posts m and returns what came back: the status and the first bytes of the body,
	// or Err (with Status 0) when no answer came (refused address, network, timeout).
	Send(ctx context.Context, m WebhookMessage) domain.WebhookResponse
}
