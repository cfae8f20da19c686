package ui

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"
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

//go:embed zones.txt
var zonesFile string

// knownZones are the IANA zones the pickers offer, in the order of zones.txt, UTC first.
var knownZones = loadZones(zonesFile)

// loadZones reads the zone list, skipping comments and any name this Herald's tzdata does
// not know, so the pickers never offer a zone the server would refuse.
func loadZones(list string) []string {
	out := []string{"UTC"}
	for _, line := range strings.Split(list, "\n") {
		z := strings.TrimSpace(line)
		if z == "" || strings.HasPrefix(z, "#") || z == "UTC" {
			continue
		}
		if _, err := app.LoadZone(z); err == nil {
			out = append(out, z)
		}
	}
	return out
}

// zonePicker is a <select> of time zones: every known zone grouped by region, the current
// one selected. A valid current zone that is not listed (an old alias such as
// Asia/Calcutta) is offered too, so saving the form again keeps it.
type zonePicker struct {
	Current string
	Groups  []zoneGroup
}

// zoneGroup is one region of the picker ("Europe"), or the zones without a region.
type zoneGroup struct {
	Region string
	Zones  []zoneOption
}

// zoneOption is one zone: its IANA name, and a label without the region ("New York").
type zoneOption struct {
	Name, Label string
}

// newZonePicker returns the picker with current selected.
func newZonePicker(current string) zonePicker {
	zones := knownZones
	if _, err := app.LoadZone(current); current != "" && err == nil && !slices.Contains(zones, current) {
		zones = append(slices.Clone(zones), current)
	}
	p := zonePicker{Current: current}
	byRegion := map[string]int{}
	for _, z := range zones {
		region, city, ok := strings.Cut(z, "/")
		if !ok {
			region, city = "Other", z
		}
		i, seen := byRegion[region]
		if !seen {
			i = len(p.Groups)
			byRegion[region] = i
			p.Groups = append(p.Groups, zoneGroup{Region: region})
		}
		label := strings.ReplaceAll(strings.ReplaceAll(city, "_", " "), "/", " / ")
		p.Groups[i].Zones = append(p.Groups[i].Zones, zoneOption{Name: z, Label: label})
	}
	for i := range p.Groups {
		slices.SortFunc(p.Groups[i].Zones, func(a, b zoneOption) int { return strings.Compare(a.Label, b.Label) })
	}
	slices.SortStableFunc(p.Groups, func(a, b zoneGroup) int {
		switch {
		case a.Region == b.Region:
			return 0
		case a.Region == "Other":
			return -1 // UTC first
		case b.Region == "Other":
			return 1
		}
		return strings.Compare(a.Region, b.Region)
	})
	return p
}

// profilePage is the profile page's data: the zone setting and the zones to choose from.
type profilePage struct {
	Zones       zonePicker
	Saved       string // the person's own setting; "" means the browser's zone is used
	BrowserZone string // what the herald_tz cookie says, if anything valid
	Form        form
	Deletion    form // their email typed back (confirm), to delete the account
	Password    form // changing the password (its problems; passwords are never kept)
	TwoFactor   domain.TwoFactorStatus
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
	current := f.Values["time_zone"]
	if len(f.Errors) > 0 {
		current = saved // a refused name cannot be selected: show what is still in effect
	}
	p.Zones, p.Saved = newZonePicker(current), saved
	st, err := h.Auth.TwoFactorStatus(c.Request().Context(), sessionOf(c).User.ID)
	if err != nil {
		return err
	}
	p.TwoFactor = st
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
		return redirect(c, routePath("profile"))
	case domain.CodeInvalid:
		return h.renderProfile(c, formStatus(c, err), newForm(map[string]string{"time_zone": zone}).withError(err))
	}
	return err
}
