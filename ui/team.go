package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// teamPage is the team page's data: the people and the add-member form.
type teamPage struct {
	Team app.Team
	Form form
}

// team handles GET /team.
func (h *Handler) team(c echo.Context) error {
	return h.renderTeam(c, http.StatusOK, newForm(map[string]string{"role": "editor"}))
}

func (h *Handler) renderTeam(c echo.Context, status int, f form) error {
	t, err := h.Teams.Members(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return h.page(c, status, pageTeam, teamPage{Team: t, Form: f})
}

// addMember handles POST /team/members.
func (h *Handler) addMember(c echo.Context) error {
	email, role := c.FormValue("email"), c.FormValue("role")
	added, err := h.Teams.AddMember(c.Request().Context(), actorOf(c), email, role)
	switch domain.CodeOf(err) {
	case "":
		if added.Member != nil {
			h.flash(c, added.Member.User.Name+" was added as "+string(added.Member.Role)+".")
		} else {
			h.flash(c, added.Invitation.Email+" was invited as "+string(added.Invitation.Role)+"; they join when they register.")
		}
		return redirect(c, "/team")
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeLimit, domain.CodeSuspended:
		st := http.StatusUnprocessableEntity
		if c := domain.CodeOf(err); c == domain.CodeLimit || c == domain.CodeSuspended {
			st = http.StatusForbidden // the form is fine; the plan is full, or the company suspended
		}
		return h.renderTeam(c, st, newForm(map[string]string{"email": email, "role": role}).withError(err))
	}
	return err
}

// changeRole handles POST /team/members/:user_id/role.
func (h *Handler) changeRole(c echo.Context) error {
	m, err := h.Teams.ChangeRole(c.Request().Context(), actorOf(c), domain.UserID(c.Param("user_id")), c.FormValue("role"), 0)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, m.User.Name+" is now "+string(m.Role)+".")
		return redirect(c, "/team")
	case domain.CodeInvalid, domain.CodeConflict:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, status(err), f)
	}
	return err
}

// removeMember handles POST /team/members/:user_id/remove; removing yourself is leaving.
func (h *Handler) removeMember(c echo.Context) error {
	actor := actorOf(c)
	user := domain.UserID(c.Param("user_id"))
	err := h.Teams.RemoveMember(c.Request().Context(), actor, user)
	switch domain.CodeOf(err) {
	case "":
		if user == actor.UserID {
			h.flash(c, "You left the company.")
			return redirect(c, "/")
		}
		h.flash(c, "The member was removed.")
		return redirect(c, "/team")
	case domain.CodeConflict:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, http.StatusConflict, f)
	}
	return err
}

// cancelInvitation handles POST /team/invitations/cancel.
func (h *Handler) cancelInvitation(c echo.Context) error {
	email := c.FormValue("email")
	if err := h.Teams.CancelInvitation(c.Request().Context(), actorOf(c), email); err != nil {
		return err
	}
	h.flash(c, "The invitation for "+email+" was withdrawn.")
	return redirect(c, "/team")
}
