package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// endpointJSON is a webhook endpoint; Secret is there only in the answers that create or
// rotate it.
type endpointJSON struct {
	ID                  domain.WebhookEndpointID `json:"id"`
	URL                 string                   `json:"url"`
	Events              []domain.EventType       `json:"events"`
	Description         string                   `json:"description"`
	Status              domain.WebhookStatus     `json:"status"`
	DisabledReason      *string                  `json:"disabled_reason"`
	Secret              string                   `json:"secret,omitempty"`
	Version             int                      `json:"version"`
	CreatedAt           string                   `json:"created_at"`
	UpdatedAt           string                   `json:"updated_at"`
	FailingSince        *string                  `json:"failing_since"`
	ConsecutiveFailures int                      `json:"consecutive_failures"`
	LastAttemptAt       *string                  `json:"last_attempt_at"`
	LastResponseStatus  *int                     `json:"last_response_status"`
	PreviousSecretUntil *string                  `json:"previous_secret_expires_at"`
}

func toEndpoint(e domain.WebhookEndpoint, secret string) endpointJSON {
	out := endpointJSON{ID: e.ID, URL: e.URL, Events: e.Events, Description: e.Description, Status: e.Status,
		DisabledReason: optional(e.DisabledReason), Secret: secret, Version: e.Version, CreatedAt: rfc3339(e.CreatedAt), UpdatedAt: rfc3339(e.UpdatedAt),
		FailingSince: optionalTime(e.FailingSince), ConsecutiveFailures: e.ConsecutiveFailures, LastAttemptAt: optionalTime(e.LastAttemptAt),
		PreviousSecretUntil: optionalTime(e.PreviousSecretUntil)}
	if out.Events == nil {
		out.Events = []domain.EventType{}
	}
	if e.LastResponseStatus != 0 {
		st := e.LastResponseStatus
		out.LastResponseStatus = &st
	}
	return out
}

// deliveryJSON is one delivery in an endpoint's log (openapi.json, WebhookDelivery).
type deliveryJSON struct {
	ID             domain.WebhookDeliveryID `json:"id"`
	EventType      domain.EventType         `json:"event_type"`
	Status         domain.DeliveryStatus    `json:"status"`
	Attempts       int                      `json:"attempts"`
	ResponseStatus *int                     `json:"response_status"`
	CreatedAt      string                   `json:"created_at"`
	NextAttemptAt  *string                  `json:"next_attempt_at"`
	WebhookID      domain.WebhookEventID    `json:"webhook_id"`
	LastAttemptAt  *string                  `json:"last_attempt_at"`
	ResponseBody   *string                  `json:"response_body"`
	Error          *string                  `json:"error"`
	DurationMS     int64                    `json:"duration_ms"`
}

func toDelivery(d domain.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts, CreatedAt: rfc3339(d.CreatedAt),
		NextAttemptAt: optionalTime(d.NextAttemptAt), WebhookID: d.EventID, LastAttemptAt: optionalTime(d.LastAttemptAt),
		ResponseBody: optional(d.ResponseBody), Error: optional(d.Error), DurationMS: d.Duration.Milliseconds()}
	if d.ResponseStatus != 0 {
		st := d.ResponseStatus
		out.ResponseStatus = &st
	}
	return out
}

// endpointInput is the body of POST /webhooks.
type endpointInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// listWebhooks handles GET /webhooks.
func (a *API) listWebhooks(c echo.Context) error {
	es, err := a.webhooks.List(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]endpointJSON, len(es))
	for i, e := range es {
		out[i] = toEndpoint(e, "")
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// createWebhook handles POST /webhooks: the answer carries the secret, this once.
func (a *API) createWebhook(c echo.Context) error {
	var in endpointInput
	if err := decode(c, &in); err != nil {
		return err
	}
	e, secret, err := a.webhooks.Create(c.Request().Context(), actor(c), domain.WebhookInput{URL: in.URL, Events: in.Events, Description: in.Description})
	if err != nil {
		return err
	}
	setETag(c, e.Version)
	keepSecretOutOfReplay(c, "secret")
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/webhooks/"+string(e.ID))
	return c.JSON(http.StatusCreated, toEndpoint(e, secret))
}

// getWebhook handles GET /webhooks/:id.
func (a *API) getWebhook(c echo.Context) error {
	e, err := a.webhooks.Get(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id")))
	if err != nil {
		return err
	}
	setETag(c, e.Version)
	return c.JSON(http.StatusOK, toEndpoint(e, ""))
}

// updateWebhook handles PUT /webhooks/:id: {"events"?, "description"?, "enabled"?}.
func (a *API) updateWebhook(c echo.Context) error {
	var in struct {
		Events      []string `json:"events"`
		Description *string  `json:"description"`
		Enabled     *bool    `json:"enabled"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Events != nil && len(in.Events) == 0 {
		return domain.InvalidField("events", "choose at least one event type")
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	e, err := a.webhooks.Update(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id")),
		app.WebhookChange{Events: in.Events, Description: in.Description, Enabled: in.Enabled}, want)
	if err != nil {
		return err
	}
	setETag(c, e.Version)
	return c.JSON(http.StatusOK, toEndpoint(e, ""))
}

// deleteWebhook handles DELETE /webhooks/:id.
func (a *API) deleteWebhook(c echo.Context) error {
	if err := a.webhooks.Delete(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id"))); err != nil {
		return err
	}
	return noContent(c)
}

// rotateWebhookSecret handles POST /webhooks/:id/rotate: {"secret"}, shown once.
func (a *API) rotateWebhookSecret(c echo.Context) error {
	ctx, id := c.Request().Context(), domain.WebhookEndpointID(c.Param("id"))
	secret, err := a.webhooks.RotateSecret(ctx, actor(c), id)
	if err != nil {
		return err
	}
	e, err := a.webhooks.Get(ctx, actor(c), id)
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "secret")
	return c.JSON(http.StatusOK, toEndpoint(e, secret))
}

// testWebhook handles POST /webhooks/:id/test: 202 with the queued delivery.
func (a *API) testWebhook(c echo.Context) error {
	d, err := a.webhooks.SendTest(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, toDelivery(d))
}

// listDeliveries handles GET /webhooks/:id/deliveries: query status, event_type, limit, cursor.
func (a *API) listDeliveries(c echo.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	f, err := deliveryFilter(c)
	if err != nil {
		return err
	}
	ds, next, err := a.webhooks.Deliveries(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id")), f, page)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i, d := range ds {
		out[i] = toDelivery(d)
	}
	return c.JSON(http.StatusOK, newList(out, next))
}

// deliveryFilter reads status and event_type, naming every bad one.
func deliveryFilter(c echo.Context) (ports.DeliveryFilter, error) {
	var f ports.DeliveryFilter
	v := domain.Violations{}
	if s := c.QueryParam("status"); s != "" {
		st, err := domain.ParseDeliveryStatus("status", s)
		if err != nil {
			v.Add("status", domain.FieldsOf(err)["status"])
		}
		f.Status = st
	}
	if s := c.QueryParam("event_type"); s != "" {
		if s == string(domain.EventWebhookTest) {
			f.EventType = domain.EventWebhookTest
		} else if ts, err := domain.ParseEventTypes("event_type", []string{s}); err != nil {
			v.Add("event_type", domain.FieldsOf(err)["event_type"])
		} else {
			f.EventType = ts[0]
		}
	}
	return f, v.Err()
}

// retryDelivery handles POST /webhooks/:id/deliveries/:delivery_id/retry: 202, the attempt
// is queued with the same webhook-id.
func (a *API) retryDelivery(c echo.Context) error {
	err := a.webhooks.RetryDelivery(c.Request().Context(), actor(c), domain.WebhookEndpointID(c.Param("id")), domain.WebhookDeliveryID(c.Param("delivery_id")))
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}
