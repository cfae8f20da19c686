package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// Messages of the calendar's moves. staleMove is what calendar.js shows before it fetches
// the calendar again.
const (
	staleMove = "This post changed meanwhile; reloaded."
	pastMove  = "A post cannot move into the past: choose a time after now."
)

// moveCalendarPost handles POST /calendar/posts/:id/move with at (datetime-local, in the
// viewer's zone) and version: calendar.js sends it when a post is dragged to another day
// or hour, or moved with the Move dialog. The app reschedules the post only if version is
// still its version (If-Match): otherwise 412. A published or publishing post answers 409,
// a time in the past 422, another company's post 404. calendar.js (HX-Request) gets the
// message as text with the status; a plain form goes back to the calendar with the
// message shown there.
func (h *Handler) moveCalendarPost(c echo.Context) error {
	ctx, actor, loc := c.Request().Context(), actorOf(c), zoneOf(c)
	if err := suspension(c); err != nil {
		return err // before the time is read: a suspended company changes nothing
	}
	id := domain.PostID(c.Param("id"))
	version, _ := strconv.Atoi(c.FormValue("version"))
	at, err := parseLocal(c.FormValue("at"), loc)
	if err == nil && !at.After(h.now()) {
		err = domain.InvalidField("scheduled_for", pastMove)
	}
	var p domain.Post
	if err == nil {
		p, err = h.Posts.Schedule(ctx, actor, id, at, version)
	}
	var msg string
	switch domain.CodeOf(err) {
	case "":
		msg = "Moved"
		if line := firstLine(p.Content, 40); line != "" {
			msg += " “" + line + "”"
		}
		msg += " to " + p.ScheduledFor().In(loc).Format("Monday 2 January 2006 at 15:04") + "."
	case domain.CodeStale:
		msg = staleMove
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeLimit, domain.CodeApprovalRequired:
		msg = moveProblem(err)
	default:
		return err // forbidden, suspended, not found: the error page says why
	}
	st := http.StatusOK
	if err != nil {
		st = status(err)
	}
	if c.Request().Header.Get(hxRequest) == "true" {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.String(st, msg)
	}
	h.flash(c, msg)
	return redirect(c, calendarReturn(c.FormValue("return")))
}

// moveProblem says why a move was refused, in one sentence.
func moveProblem(err error) string {
	fields := domain.FieldsOf(err)
	if len(fields) == 0 {
		return domain.MessageOf(err)
	}
	var parts []string
	for _, k := range domain.SortedFields(fields) {
		switch {
		case fields[k] == pastMove:
			return pastMove
		case k == "scheduled_for":
			parts = append(parts, "The new time "+fields[k])
		default:
			parts = append(parts, fields[k])
		}
	}
	return "The post cannot move: " + strings.Join(parts, "; ") + "."
}

// calendarReturn is the calendar address a move without JavaScript goes back to: to, when
// it is an address of the calendar page, else the calendar.
func calendarReturn(to string) string {
	cal := routePath("calendar")
	if to == cal || strings.HasPrefix(to, cal+"?") {
		return to
	}
	return cal
}
