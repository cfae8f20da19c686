package ui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// webhooksPage lists the company's endpoints with their health, and the add form. Secret
// is set only in the answer that created an endpoint (no redirect: it never sits in a
// cookie or a URL).
type webhooksPage struct {
	Endpoints []domain.WebhookEndpoint
	Form      form
	Selected  map[string]bool // the ticked event types of the add form
	Secret    string
	Created   domain.WebhookEndpoint
	Policy    domain.WebhookURLPolicy
}

// webhookPage is one endpoint: its health, actions and delivery log. Secret is set only in
// the answer that rotated it.
type webhookPage struct {
	Endpoint   domain.WebhookEndpoint
	Deliveries []domain.WebhookDelivery
	Next       string
	Status     string // the log's filters as given
	EventType  string
	Errors     map[string]string
	Message    string
	Secret     string
}

// EventTypes lists what endpoints subscribe to, for the templates.
func (webhooksPage) EventTypes() []domain.EventType { return domain.EventTypes }

// EventTypes lists what the delivery log can be filtered by, the test event included.
func (webhookPage) EventTypes() []domain.EventType {
	return append(append([]domain.EventType{}, domain.EventTypes...), domain.EventWebhookTest)
}

// Statuses lists the delivery statuses, for the filter.
func (webhookPage) Statuses() []domain.DeliveryStatus {
	return []domain.DeliveryStatus{domain.DeliveryPending, domain.DeliverySucceeded, domain.DeliveryFailed}
}

// webhooks handles GET /webhooks.
func (h *Handler) webhooks(c echo.Context) error {
	return h.renderWebhooks(c, http.StatusOK, webhooksPage{Form: newForm(nil), Selected: map[string]bool{}})
}

func (h *Handler) renderWebhooks(c echo.Context, status int, p webhooksPage) error {
	es, err := h.Webhooks.List(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	p.Endpoints, p.Policy = es, h.Webhooks.Policy()
	return h.page(c, status, pageWebhooks, p)
}

// createWebhook handles POST /webhooks; bad input gets the form back with its values (422).
func (h *Handler) createWebhook(c echo.Context) error {
	vals, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	in := domain.WebhookInput{URL: vals.Get("url"), Events: vals["events"], Description: vals.Get("description")}
	selected := map[string]bool{}
	for _, e := range in.Events {
		selected[e] = true
	}
	e, secret, err := h.Webhooks.Create(c.Request().Context(), actorOf(c), in)
	switch domain.CodeOf(err) {
	case "":
		return h.renderWebhooks(c, http.StatusCreated, webhooksPage{Form: newForm(nil), Selected: map[string]bool{}, Secret: secret, Created: e})
	case domain.CodeInvalid, domain.CodeSuspended: // the typed endpoint is kept
		f := newForm(map[string]string{"url": in.URL, "description": in.Description}).withError(err)
		return h.renderWebhooks(c, status(err), webhooksPage{Form: f, Selected: selected})
	}
	return err
}

// webhook handles GET /webhooks/:id: the endpoint and its delivery log, filtered by
// ?status= and ?event_type=, paged by ?cursor=.
func (h *Handler) webhook(c echo.Context) error {
	return h.renderWebhook(c, http.StatusOK, "")
}

func (h *Handler) renderWebhook(c echo.Context, status int, secret string) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	id := domain.WebhookEndpointID(c.Param("id"))
	e, err := h.Webhooks.Get(ctx, actor, id)
	if err != nil {
		return err
	}
	p := webhookPage{Endpoint: e, Status: c.QueryParam("status"), EventType: c.QueryParam("event_type"), Secret: secret, Errors: map[string]string{}}
	var f ports.DeliveryFilter
	if p.Status != "" {
		if f.Status, err = domain.ParseDeliveryStatus("status", p.Status); err != nil {
			p.Errors["status"] = domain.FieldsOf(err)["status"]
		}
	}
	if p.EventType != "" {
		if p.EventType == string(domain.EventWebhookTest) {
			f.EventType = domain.EventWebhookTest
		} else if ts, err := domain.ParseEventTypes("event_type", []string{p.EventType}); err != nil {
			p.Errors["event_type"] = domain.FieldsOf(err)["event_type"]
		} else {
			f.EventType = ts[0]
		}
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	page, err := app.Page(limit, c.QueryParam("cursor"), c.QueryParam("limit") != "")
	if err != nil {
		p.Errors["limit"] = domain.FieldsOf(err)["limit"]
	}
	if len(p.Errors) > 0 {
		p.Message = "Please correct the filters."
		return h.page(c, http.StatusUnprocessableEntity, pageWebhook, p)
	}
	p.Deliveries, p.Next, err = h.Webhooks.Deliveries(ctx, actor, id, f, page)
	switch domain.CodeOf(err) {
	case "":
	case domain.CodeInvalid:
		p.Message, p.Errors = domain.MessageOf(err), domain.FieldsOf(err)
		return h.page(c, formStatus(c, err), pageWebhook, p)
	default:
		return err
	}
	return h.page(c, status, pageWebhook, p)
}

// webhookPath is the endpoint's page.
func webhookPath(c echo.Context) string { return routePath("webhook", c.Param("id")) }

// testWebhook handles POST /webhooks/:id/test.
func (h *Handler) testWebhook(c echo.Context) error {
	_, err := h.Webhooks.SendTest(c.Request().Context(), actorOf(c), domain.WebhookEndpointID(c.Param("id")))
	if err != nil {
		return err
	}
	h.flash(c, "A test event is on its way; its delivery appears below.")
	return redirect(c, webhookPath(c))
}

// rotateWebhook handles POST /webhooks/:id/rotate: the new secret is shown in this answer only.
func (h *Handler) rotateWebhook(c echo.Context) error {
	secret, err := h.Webhooks.RotateSecret(c.Request().Context(), actorOf(c), domain.WebhookEndpointID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.renderWebhook(c, http.StatusOK, secret)
}

// enableWebhook and disableWebhook handle POST /webhooks/:id/enable and /disable.
func (h *Handler) enableWebhook(c echo.Context) error  { return h.setWebhookEnabled(c, true) }
func (h *Handler) disableWebhook(c echo.Context) error { return h.setWebhookEnabled(c, false) }

func (h *Handler) setWebhookEnabled(c echo.Context, on bool) error {
	_, err := h.Webhooks.Update(c.Request().Context(), actorOf(c), domain.WebhookEndpointID(c.Param("id")), app.WebhookChange{Enabled: &on}, 0)
	if err != nil {
		return err
	}
	if on {
		h.flash(c, "The endpoint is enabled: new events are delivered to it again.")
	} else {
		h.flash(c, "The endpoint is disabled: it receives no events until it is enabled.")
	}
	return redirect(c, webhookPath(c))
}

// deleteWebhook handles POST /webhooks/:id/delete.
func (h *Handler) deleteWebhook(c echo.Context) error {
	if err := h.Webhooks.Delete(c.Request().Context(), actorOf(c), domain.WebhookEndpointID(c.Param("id"))); err != nil {
		return err
	}
	h.flash(c, "The endpoint and its delivery log were deleted.")
	return redirect(c, routePath("webhooks"))
}

// retryWebhookDelivery handles POST /webhooks/:id/deliveries/:delivery_id/retry.
func (h *Handler) retryWebhookDelivery(c echo.Context) error {
	err := h.Webhooks.RetryDelivery(c.Request().Context(), actorOf(c), domain.WebhookEndpointID(c.Param("id")),
		domain.WebhookDeliveryID(c.Param("delivery_id")))
	if err != nil {
		return err
	}
	h.flash(c, "The delivery is being tried again, with the same webhook-id.")
	return redirect(c, webhookPath(c))
}
