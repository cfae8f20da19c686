package ui

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// duplicatePost handles POST /posts/:id/duplicate: the copy, a new draft, opens in the
// composer with a notice saying what was left out.
func (h *Handler) duplicatePost(c echo.Context) error {
	d, err := h.Posts.Duplicate(c.Request().Context(), actorOf(c), domain.PostID(c.Param("id")))
	if err != nil {
		return err
	}
	h.flash(c, duplicateNotice(d))
	return redirect(c, routePath("post.edit", d.Post.ID))
}

// duplicateNotice tells the person the copy is a draft, and what it left out.
func duplicateNotice(d app.Duplicated) string {
	msg := "This is a copy, saved as a new draft: change it, then schedule or publish it."
	if len(d.DroppedAccounts) > 0 {
		names := make([]string, len(d.DroppedAccounts))
		for i, a := range d.DroppedAccounts {
			names[i] = a.DisplayName + " (" + a.Platform.Title() + ")"
		}
		msg += " Left out, because disconnected: " + strings.Join(names, ", ") + "."
	}
	if n := len(d.DroppedMedia); n == 1 {
		msg += " One file is no longer in the media library and was left out."
	} else if n > 1 {
		msg += " " + strconv.Itoa(n) + " files are no longer in the media library and were left out."
	}
	return msg
}
