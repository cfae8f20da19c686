package ui

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// teamPage is the team page's data: the people, the invite form and, right after an
// invitation was made or renewed, its link (shown only in that answer).
type teamPage struct {
	Team   app.Team
	Form   form
	Issued *app.IssuedInvitation
	Now    time.Time
	// Approvals are the company's approval rules (the team page's "Approvals" section).
	Approvals domain.ApprovalPolicy
}

// Rules lists every approval rule for the form's checkboxes.
func (teamPage) Rules() []domain.ApprovalRule { return domain.ApprovalRules }

// team handles GET /team.
func (h *Handler) team(c echo.Context) error {
	return h.renderTeam(c, http.StatusOK, newForm(map[string]string{"role": "editor"}), nil)
}

func (h *Handler) renderTeam(c echo.Context, status int, f form, issued *app.IssuedInvitation) error {
	t, err := h.Teams.Members(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	tp := teamPage{Team: t, Form: f, Issued: issued, Now: time.Now()}
	if t.Members != nil && actorOf(c).CompanyID != "" {
		if tp.Approvals, err = h.Posts.ApprovalPolicy(c.Request().Context(), actorOf(c)); err != nil {
			return err
		}
	}
	return h.page(c, status, pageTeam, tp)
}

// addMember handles POST /team/members: it invites, whether or not the email has an
// account, and answers the team page with the new link to copy, shown this once.
func (h *Handler) addMember(c echo.Context) error {
	email, role := c.FormValue("email"), c.FormValue("role")
	issued, err := h.Teams.Invite(c.Request().Context(), actorOf(c), email, role)
	switch domain.CodeOf(err) {
	case "":
		return h.renderTeam(c, http.StatusCreated, newForm(map[string]string{"role": "editor"}), &issued)
	case domain.CodeInvalid, domain.CodeConflict, domain.CodeLimit, domain.CodeSuspended:
		// 403 when the form is fine but the plan is full or the company suspended.
		return h.renderTeam(c, formStatus(c, err), newForm(map[string]string{"email": email, "role": role}).withError(err), nil)
	}
	return err
}

// renewInvitation handles POST /team/invitations/:id/renew: a new link, shown this once;
// the old one stops working.
func (h *Handler) renewInvitation(c echo.Context) error {
	issued, err := h.Teams.RenewInvitation(c.Request().Context(), actorOf(c), domain.InvitationID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.renderTeam(c, http.StatusOK, newForm(map[string]string{"role": "editor"}), &issued)
}

// revokeInvitation handles POST /team/invitations/:id/revoke.
func (h *Handler) revokeInvitation(c echo.Context) error {
	inv, err := h.Teams.RevokeInvitation(c.Request().Context(), actorOf(c), domain.InvitationID(c.Param("id")))
	if err != nil {
		return err
	}
	h.flash(c, "The invitation for "+inv.Email+" was revoked; its link no longer works.")
	return redirect(c, routePath("team"))
}

// changeRole handles POST /team/members/:user_id/role.
func (h *Handler) changeRole(c echo.Context) error {
	m, err := h.Teams.ChangeRole(c.Request().Context(), actorOf(c), domain.UserID(c.Param("user_id")), c.FormValue("role"), 0)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, m.User.Name+" is now "+string(m.Role)+".")
		return redirect(c, routePath("team"))
	case domain.CodeInvalid, domain.CodeConflict:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, status(err), f, nil)
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
			return redirect(c, routePath("home"))
		}
		h.flash(c, "The member was removed.")
		return redirect(c, routePath("team"))
	case domain.CodeConflict:
		f := newForm(map[string]string{"role": "editor"})
		f.Message = domain.MessageOf(err)
		return h.renderTeam(c, http.StatusConflict, f, nil)
	}
	return err
}
