package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// htmx request and response headers.
const (
	hxRequest        = "HX-Request"
	hxBoosted        = "HX-Boosted"
	hxHistoryRestore = "HX-History-Restore-Request"
	hxRedirect       = "HX-Redirect"
	hxRetarget       = "HX-Retarget"
	hxReswap         = "HX-Reswap"
	hxPushURL        = "HX-Push-Url"
)

// view is what every template gets: the page's data plus who is looking.
type view struct {
	Data        any
	CSRF        string
	Session     *domain.Session
	Actor       domain.Actor
	Memberships []domain.Membership
	CompanyName string
	// Suspension is why the current company is suspended ("" while it is active).
	Suspended  bool
	Suspension string
	Flash      string
	Path       string
	// APIVersions are the platform API versions operators must act on, shown to
	// superadmins on the admin pages (app.APIVersionWarningAhead).
	APIVersions []app.APIVersionStatus
	Zone        *time.Location // where times are shown
	// Allows answers what the viewer may do, from the policy (nil: nothing).
	Allows func(domain.Resource, domain.Action) bool
	// MediaLibrary says whether this Herald has media storage configured.
	MediaLibrary bool
	// Passkeys says whether this Herald has passkeys configured.
	Passkeys bool
	// Unread is the viewer's unread notifications in the current company (the bell).
	Unread int
	// reviews counts the posts waiting for approval (the sidebar's Review badge).
	reviews func() int
}

// may reports whether the viewer may do act on res: a display hint; the app checks for real.
func (v view) may(res domain.Resource, act domain.Action) bool {
	return v.Allows != nil && v.Allows(res, act)
}

// zone is the zone times are shown in; UTC when none was resolved.
func (v view) zone() *time.Location {
	if v.Zone == nil {
		return time.UTC
	}
	return v.Zone
}

// ZoneName is the IANA name of the zone times are shown in, such as "Europe/Berlin".
func (v view) ZoneName() string { return v.zone().String() }

// Time writes t in the viewer's zone ("Mon 23 Nov 2026, 15:04"), or "" for the zero time.
func (v view) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.zone()).Format("Mon 2 Jan 2006, 15:04")
}

// DateTimeLocal writes t in the viewer's zone as the value of an <input
// type="datetime-local"> ("2026-11-23T15:04"), or "" for the zero time.
func (v view) DateTimeLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.zone()).Format(datetimeLocal)
}

// Clock writes only the time of day of t in the viewer's zone ("15:04").
func (v view) Clock(t time.Time) string { return t.In(v.zone()).Format("15:04") }

// CanWritePosts is a display hint for hiding write and schedule controls.
func (v view) CanWritePosts() bool { return v.may(domain.ResourcePosts, domain.ActionWrite) }

// CanUseAI is a display hint for the "Suggest with AI" panel.
func (v view) CanUseAI() bool { return v.may(domain.ResourceAI, domain.ActionWrite) }

// CanManageBrand is a display hint for the brand voice form.
func (v view) CanManageBrand() bool { return v.may(domain.ResourceBrand, domain.ActionWrite) }

// CanManageWebhooks is a display hint for the webhooks link.
func (v view) CanManageWebhooks() bool { return v.may(domain.ResourceWebhooks, domain.ActionWrite) }

// CanReadAudit is a display hint for the audit log link.
func (v view) CanReadAudit() bool { return v.may(domain.ResourceAudit, domain.ActionRead) }

// With returns the view with other data, for a partial that needs the viewer too.
func (v view) With(data any) view {
	v.Data = data
	return v
}

// CanManageAccounts is a display hint for hiding connect and disconnect buttons.
func (v view) CanManageAccounts() bool { return v.may(domain.ResourceAccounts, domain.ActionWrite) }

// CanManageMembers is a display hint for hiding controls.
func (v view) CanManageMembers() bool { return v.may(domain.ResourceMembers, domain.ActionWrite) }

// page writes a whole page, or only its "content" block when htmx swaps part of the page.
func (h *Handler) page(c echo.Context, status int, name string, data any) error {
	block := "layout"
	if isPartialRequest(c.Request()) {
		block = "content"
	}
	return h.execute(c, status, name, block, data)
}

// fragment writes one named partial, such as "team/_members".
func (h *Handler) fragment(c echo.Context, status int, partial string, data any) error {
	return h.execute(c, status, partial, partial, data)
}

// isPartialRequest reports whether htmx will swap the answer into part of the page.
// Boosted links and history restores replace the whole page and need the layout.
func isPartialRequest(r *http.Request) bool {
	return r.Header.Get(hxRequest) == "true" && r.Header.Get(hxBoosted) != "true" && r.Header.Get(hxHistoryRestore) != "true"
}

// execute renders into a buffer first, so a template error becomes a clean error page
// instead of half a page.
func (h *Handler) execute(c echo.Context, status int, set, block string, data any) error {
	t, ok := h.templates[set]
	if !ok {
		return fmt.Errorf("ui: no template set %q", set)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, h.view(c, data)); err != nil {
		return fmt.Errorf("ui: render %s/%s: %w", set, block, err)
	}
	c.Response().Header().Add("Vary", hxRequest)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

func (h *Handler) view(c echo.Context, data any) view {
	v := view{Data: data, Path: c.Request().URL.Path, Flash: h.takeFlash(c), Zone: zoneOf(c), Allows: h.allows(c), MediaLibrary: h.Media.Enabled()}
	v.CSRF, _ = c.Get("csrf").(string)
	v.Passkeys = h.Passkeys.Enabled()
	v.reviews = h.reviewCounter(c)
	if s, ok := c.Get(sessionKey).(domain.Session); ok {
		v.Session = &s
	}
	if a, ok := c.Get(actorKey).(domain.Actor); ok {
		v.Actor = a
	}
	if v.Session != nil && v.Session.User.IsSuperadmin && strings.HasPrefix(v.Path, adminPrefix) && h.Accounts != nil {
		for _, s := range h.Platforms.APIVersions() {
			if s.Warn {
				v.APIVersions = append(v.APIVersions, s)
			}
		}
	}
	if v.Session != nil && v.Actor.CompanyID != "" && h.Notifications != nil {
		// The bell's count; a failure to count leaves it at 0 rather than failing the page.
		v.Unread, _ = h.Notifications.Unread(c.Request().Context(), v.Actor)
	}
	if ms, ok := c.Get(membershipsKey).([]domain.Membership); ok {
		v.Memberships = ms
		for _, m := range ms {
			if m.CompanyID == v.Actor.CompanyID {
				v.CompanyName = m.CompanyName
				v.Suspended, v.Suspension = m.CompanyStatus.Suspended(), m.CompanyStatusReason
			}
		}
	}
	return v
}

const flashCookie = "herald_flash"

// flash keeps a message for the next page, after a redirect.
func (h *Handler) flash(c echo.Context, msg string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: encodeFlash(msg), Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: 60})
	c.Set(flashCookie, msg)
}

// takeFlash reads and clears the message.
func (h *Handler) takeFlash(c echo.Context) string {
	if msg, ok := c.Get(flashCookie).(string); ok {
		return msg // set in this request (rendered without a redirect)
	}
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.SecureCookies})
	return decodeFlash(ck.Value)
}

// redirect answers a form post: 303 for plain requests, HX-Redirect-free for boosted ones
// (htmx follows the 303 itself and swaps the page).
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}

// allows answers what the request's actor may do, from the policy.
func (h *Handler) allows(c echo.Context) func(domain.Resource, domain.Action) bool {
	if h.Admin == nil {
		return nil
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	return func(res domain.Resource, act domain.Action) bool { return h.Admin.Allows(ctx, actor, res, act) }
}

// suspension returns the refusal of a change in the viewer's current company when it is
// suspended, or nil; for handlers that read their form before the app is asked.
func suspension(c echo.Context) error {
	ms, _ := c.Get(membershipsKey).([]domain.Membership)
	for _, m := range ms {
		if m.CompanyID == actorOf(c).CompanyID && m.CompanyStatus.Suspended() {
			return domain.SuspendedError(m.CompanyStatusReason)
		}
	}
	return nil
}
