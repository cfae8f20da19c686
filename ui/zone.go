package ui

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

const (
	zoneKey     = "ui.zone"
	userZoneKey = "ui.user_zone"
	// browserZoneCookie holds the browser's IANA zone; static/app.js sets it.
	browserZoneCookie = "herald_tz"
)

// displayZone returns the zone a signed-in person's times are shown in: their own setting,
// else their browser's (the herald_tz cookie), else UTC. An unknown name counts as absent.
func displayZone(c echo.Context, userZone string) *time.Location {
	if userZone != "" {
		if loc, err := app.LoadZone(userZone); err == nil {
			return loc
		}
	}
	if ck, err := c.Cookie(browserZoneCookie); err == nil && ck.Value != "" {
		if loc, err := app.LoadZone(ck.Value); err == nil {
			return loc
		}
	}
	return time.UTC
}

// zoneOf returns the zone of the request; UTC for signed-out pages.
func zoneOf(c echo.Context) *time.Location {
	if loc, ok := c.Get(zoneKey).(*time.Location); ok && loc != nil {
		return loc
	}
	return time.UTC
}

// commonZones are the zones the profile page offers; any other valid IANA name is accepted
// too (it is added to the list when it is someone's setting).
var commonZones = []string{
	"UTC",
	"Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"America/Anchorage", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Chicago",
	"America/Denver", "America/Halifax", "America/Los_Angeles", "America/Mexico_City",
	"America/New_York", "America/Phoenix", "America/Santiago", "America/Sao_Paulo",
	"America/St_Johns", "America/Toronto", "America/Vancouver",
	"Asia/Bangkok", "Asia/Dhaka", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta",
	"Asia/Jerusalem", "Asia/Karachi", "Asia/Kathmandu", "Asia/Kolkata", "Asia/Manila",
	"Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Taipei", "Asia/Tehran", "Asia/Tokyo",
	"Atlantic/Azores", "Atlantic/Reykjavik",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Brussels", "Europe/Bucharest",
	"Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon",
	"Europe/London", "Europe/Madrid", "Europe/Moscow", "Europe/Paris", "Europe/Prague",
	"Europe/Rome", "Europe/Stockholm", "Europe/Vienna", "Europe/Warsaw", "Europe/Zurich",
	"Pacific/Auckland", "Pacific/Honolulu",
}

// profilePage is the profile page's data: the zone setting and the zones to choose from.
type profilePage struct {
	Zones       []string
	Saved       string // the person's own setting; "" means the browser's zone is used
	BrowserZone string // what the herald_tz cookie says, if anything valid
	Form        form
	Deletion    form // their email typed back (confirm), to delete the account
	Password    form // changing the password (its problems; passwords are never kept)
}

// profile handles GET /profile.
func (h *Handler) profile(c echo.Context) error {
	saved, _ := c.Get(userZoneKey).(string)
	return h.renderProfile(c, http.StatusOK, newForm(map[string]string{"time_zone": saved}))
}

func (h *Handler) renderProfile(c echo.Context, status int, f form) error {
	return h.renderProfileWith(c, status, f, newForm(nil))
}

func (h *Handler) renderProfileWith(c echo.Context, status int, f, deletion form) error {
	return h.renderProfilePage(c, status, profilePage{Form: f, Deletion: deletion, Password: newForm(nil)})
}

// renderProfilePage renders the profile page with p's forms, filling in the zones.
func (h *Handler) renderProfilePage(c echo.Context, status int, p profilePage) error {
	saved, _ := c.Get(userZoneKey).(string)
	f := p.Form
	p.Zones, p.Saved = commonZones, saved
	for _, z := range []string{saved, f.Values["time_zone"]} {
		if _, err := app.LoadZone(z); z != "" && err == nil && !slices.Contains(p.Zones, z) {
			p.Zones = append(slices.Clone(p.Zones), z)
		}
	}
	if ck, err := c.Cookie(browserZoneCookie); err == nil {
		if _, err := app.LoadZone(ck.Value); err == nil {
			p.BrowserZone = ck.Value
		}
	}
	return h.page(c, status, pageProfile, p)
}

// updateProfile handles POST /profile: the time zone times are shown in ("" for the
// browser's). An unknown zone gets the form back (422).
func (h *Handler) updateProfile(c echo.Context) error {
	zone := c.FormValue("time_zone")
	err := h.Auth.SetTimeZone(c.Request().Context(), sessionOf(c).User.ID, zone)
	switch domain.CodeOf(err) {
	case "":
		if zone == "" {
			h.flash(c, "Times are now shown in your browser's time zone.")
		} else {
			h.flash(c, "Times are now shown in "+zone+".")
		}
		return redirect(c, "/profile")
	case domain.CodeInvalid:
		return h.renderProfile(c, http.StatusUnprocessableEntity, newForm(map[string]string{"time_zone": zone}).withError(err))
	}
	return err
}
