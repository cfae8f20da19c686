package ui

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// The bell: the top bar shows the person's unread count in the current company (view.Unread),
// kept live by the bell's event stream (notificationEvents, static/notifications.js); its
// panel lists the latest notifications (notificationsPanel), /notifications all of them.

// panelSize is how many notifications the bell's panel lists.
const panelSize = 8

// notificationItem is one notification as the pages show it, with the address it leads to.
type notificationItem struct {
	domain.Notification
	Link string
}

// Unread reports whether the notification is still unread.
func (n notificationItem) Unread() bool { return n.ReadAt.IsZero() }

func notificationItems(list []domain.Notification) []notificationItem {
	out := make([]notificationItem, len(list))
	for i, n := range list {
		link := routePath("home")
		switch {
		case n.PostID != "":
			link = routePath("post", n.PostID)
		case n.AccountID != "":
			link = routePath("accounts")
		case n.Kind == domain.NotifyWebhookDisabled:
			link = routePath("webhooks")
		}
		out[i] = notificationItem{Notification: n, Link: link}
	}
	return out
}

// notificationsPage is /notifications and the bell's panel.
type notificationsPage struct {
	Items      []notificationItem
	Unread     int
	OnlyUnread bool
	Next       string // the next page's cursor; "" on the last
	Cursor     string // this page's cursor; "" on the first
}

// notifications handles GET /notifications?unread=true&cursor=: one page of the person's
// notifications in the company, newest first.
func (h *Handler) notifications(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	p := notificationsPage{OnlyUnread: c.QueryParam("unread") == "true", Cursor: c.QueryParam("cursor")}
	list, next, err := h.Notifications.List(ctx, actor, p.OnlyUnread, ports.Page{Limit: 25, Cursor: p.Cursor})
	if err != nil {
		return err
	}
	if p.Unread, err = h.Notifications.Unread(ctx, actor); err != nil {
		return err
	}
	p.Items, p.Next = notificationItems(list), next
	return h.page(c, http.StatusOK, pageNotifications, p)
}

// notificationsPanel handles GET /notifications/panel: the bell's panel.
func (h *Handler) notificationsPanel(c echo.Context) error {
	p, err := h.panel(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return h.fragment(c, http.StatusOK, partBellPanel, p)
}

func (h *Handler) panel(ctx context.Context, actor domain.Actor) (notificationsPage, error) {
	list, _, err := h.Notifications.List(ctx, actor, false, ports.Page{Limit: panelSize})
	if err != nil {
		return notificationsPage{}, err
	}
	n, err := h.Notifications.Unread(ctx, actor)
	return notificationsPage{Items: notificationItems(list), Unread: n}, err
}

// markNotificationsRead handles POST /notifications/read with the form fields id (one or
// more) or all=1. The panel's form (panel=1, from htmx) gets the panel back; a plain form
// goes back to /notifications; a request from script (HX-Request without panel) gets 204.
func (h *Handler) markNotificationsRead(c echo.Context) error {
	ctx, actor := c.Request().Context(), actorOf(c)
	form, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	ids := make([]domain.NotificationID, 0, len(form["id"]))
	for _, id := range form["id"] {
		ids = append(ids, domain.NotificationID(id))
	}
	if _, err := h.Notifications.MarkRead(ctx, actor, ids, c.FormValue("all") == "1"); err != nil {
		return err
	}
	switch {
	case c.FormValue("panel") == "1" && isPartialRequest(c.Request()):
		p, err := h.panel(ctx, actor)
		if err != nil {
			return err
		}
		return h.fragment(c, http.StatusOK, partBellPanel, p)
	case isPartialRequest(c.Request()):
		return c.NoContent(http.StatusNoContent)
	}
	back := routePath("notifications")
	if c.FormValue("unread") == "true" {
		back += "?unread=true"
	}
	return redirect(c, back)
}

// notificationEvents handles GET /notifications/events: the bell's stream. Its "change"
// event carries "<unread count>:<newest notification's id>", so the bell updates its count
// and an open panel fetches itself again.
func (h *Handler) notificationEvents(c echo.Context) error {
	actor := actorOf(c)
	wake, unsubscribe := h.bells.subscribe(bellKey{company: actor.CompanyID, user: actor.UserID})
	defer unsubscribe()
	since := c.QueryParam("since")
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		since = id
	}
	return h.streamWoken(c, wake, since, func(ctx context.Context) (string, error) {
		n, err := h.Notifications.Unread(ctx, actor)
		if err != nil {
			return "", err
		}
		list, _, err := h.Notifications.List(ctx, actor, false, ports.Page{Limit: 1})
		if err != nil {
			return "", err
		}
		newest := ""
		if len(list) > 0 {
			newest = string(list[0].ID)
		}
		return fmt.Sprintf("%d:%s", n, newest), nil
	})
}

// notificationSettingsPage is the person's email choices.
type notificationSettingsPage struct {
	Kinds  []notificationKindChoice
	Digest bool
	Saved  bool
	Email  bool // whether this Herald sends email at all (an SMTP server is configured)
	// DigestHour is the hour of the day, in the person's zone, the digest goes out.
	DigestHour int
}

type notificationKindChoice struct {
	Kind  domain.NotificationKind
	Title string
	Email bool
}

func newNotificationSettingsPage(p domain.NotificationPrefs, mailOn bool) notificationSettingsPage {
	out := notificationSettingsPage{Digest: p.Digest, Email: mailOn, DigestHour: app.DigestHour}
	for _, k := range domain.NotificationKinds {
		out.Kinds = append(out.Kinds, notificationKindChoice{Kind: k, Title: k.Title(), Email: p.Emails(k)})
	}
	return out
}

// notificationSettings handles GET /notifications/settings.
func (h *Handler) notificationSettings(c echo.Context) error {
	p, err := h.Notifications.Settings(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, pageNotificationSettings, newNotificationSettingsPage(p, h.Mail.Enabled()))
}

// saveNotificationSettings handles POST /notifications/settings: a checkbox email_<kind>
// per kind (unchecked: no email of that kind) and digest.
func (h *Handler) saveNotificationSettings(c echo.Context) error {
	prefs := domain.NotificationPrefs{Email: map[domain.NotificationKind]bool{}, Digest: c.FormValue("digest") == "on"}
	for _, k := range domain.NotificationKinds {
		prefs.Email[k] = c.FormValue("email_"+string(k)) == "on"
	}
	saved, err := h.Notifications.SaveSettings(c.Request().Context(), actorOf(c), prefs)
	if err != nil {
		return err
	}
	h.flash(c, "Your notification settings are saved.")
	if isPartialRequest(c.Request()) {
		p := newNotificationSettingsPage(saved, h.Mail.Enabled())
		p.Saved = true
		return h.page(c, http.StatusOK, pageNotificationSettings, p)
	}
	return redirect(c, routePath("notifications.settings"))
}
