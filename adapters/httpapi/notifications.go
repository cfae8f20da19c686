package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// notificationJSON is a notification as the API answers it; post_id and account_id are
// absent when it is about no post or account, read_at is null while unread.
type notificationJSON struct {
	ID        domain.NotificationID   `json:"id"`
	Kind      domain.NotificationKind `json:"kind"`
	PostID    domain.PostID           `json:"post_id,omitempty"`
	AccountID domain.AccountID        `json:"account_id,omitempty"`
	Text      string                  `json:"text"`
	ReadAt    *string                 `json:"read_at"`
	CreatedAt string                  `json:"created_at"`
}

func toNotification(n domain.Notification) notificationJSON {
	out := notificationJSON{ID: n.ID, Kind: n.Kind, PostID: n.PostID, AccountID: n.AccountID, Text: n.Text, CreatedAt: rfc3339(n.CreatedAt)}
	if !n.ReadAt.IsZero() {
		at := rfc3339(n.ReadAt)
		out.ReadAt = &at
	}
	return out
}

// listNotifications handles GET /notifications?unread=&limit=&cursor=: the caller's
// notifications in the company, newest first.
func (a *API) listNotifications(c echo.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	unread := false
	switch c.QueryParam("unread") {
	case "", "false":
	case "true":
		unread = true
	default:
		return domain.InvalidField("unread", "must be true or false")
	}
	list, next, err := a.notifications.List(c.Request().Context(), actor(c), unread, page)
	if err != nil {
		return err
	}
	out := make([]notificationJSON, len(list))
	for i, n := range list {
		out[i] = toNotification(n)
	}
	return c.JSON(http.StatusOK, newList(out, next))
}

// markReadInput is the body of POST /notifications/read: ids, or all.
type markReadInput struct {
	IDs []domain.NotificationID `json:"ids"`
	All bool                    `json:"all"`
}

// markNotificationsRead handles POST /notifications/read: 204; ids of others are ignored.
func (a *API) markNotificationsRead(c echo.Context) error {
	var body markReadInput
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.IDs != nil && len(body.IDs) == 0 && !body.All {
		return domain.InvalidField("ids", "give the ids to mark read, or all")
	}
	if _, err := a.notifications.MarkRead(c.Request().Context(), actor(c), body.IDs, body.All); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// notificationSettingsJSON is GET and PUT /notifications/settings: per kind whether it
// also comes by email, and whether those emails wait for one daily digest.
type notificationSettingsJSON struct {
	Email  map[domain.NotificationKind]bool `json:"email"`
	Digest bool                             `json:"digest"`
}

func toNotificationSettings(p domain.NotificationPrefs) notificationSettingsJSON {
	out := notificationSettingsJSON{Email: map[domain.NotificationKind]bool{}, Digest: p.Digest}
	for _, k := range domain.NotificationKinds {
		out.Email[k] = p.Emails(k)
	}
	return out
}

// notificationSettingsInput is the body of PUT /notifications/settings; kinds left out
// keep email on, a missing digest is off.
type notificationSettingsInput struct {
	Email  map[domain.NotificationKind]bool `json:"email"`
	Digest *bool                            `json:"digest"`
}

// getNotificationSettings handles GET /notifications/settings.
func (a *API) getNotificationSettings(c echo.Context) error {
	p, err := a.notifications.Settings(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNotificationSettings(p))
}

// putNotificationSettings handles PUT /notifications/settings: 200 with the settings.
func (a *API) putNotificationSettings(c echo.Context) error {
	var body notificationSettingsInput
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.Digest == nil {
		return domain.InvalidField("digest", "is required")
	}
	p, err := a.notifications.SaveSettings(c.Request().Context(), actor(c), domain.NotificationPrefs{Email: body.Email, Digest: *body.Digest})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNotificationSettings(p))
}
