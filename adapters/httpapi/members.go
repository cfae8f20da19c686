package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// listMembers handles GET /members: members first, then open invitations.
func (a *API) listMembers(c echo.Context) error {
	team, err := a.teams.Members(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(team.Members)+len(team.Invitations))
	for _, m := range team.Members {
		out = append(out, toMember(m))
	}
	for _, inv := range team.Invitations {
		out = append(out, toInvitedMember(inv))
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// addMember handles POST /members: it invites, whether or not the email has an account,
// and answers the invitation with its link, which an Idempotency-Key replay leaves out.
func (a *API) addMember(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	issued, err := a.teams.Invite(c.Request().Context(), actor(c), in.Email, in.Role)
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "accept_url")
	return c.JSON(http.StatusCreated, toInvitation(issued.Invitation, issued.URL))
}

// changeRole handles PUT /members/:user_id: {"role"?, "approver"?}, each changed when given.
func (a *API) changeRole(c echo.Context) error {
	var in struct {
		Role     *string `json:"role"`
		Approver *bool   `json:"approver"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Role == nil && in.Approver == nil {
		in.Role = new(string) // the role check says what is missing, after the permission check
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	ctx, user := c.Request().Context(), domain.UserID(c.Param("user_id"))
	var m domain.Member
	if in.Role != nil {
		if m, err = a.teams.ChangeRole(ctx, actor(c), user, *in.Role, want); err != nil {
			return err
		}
		want = m.Version
	}
	if in.Approver != nil {
		if m, err = a.teams.SetApprover(ctx, actor(c), user, *in.Approver, want); err != nil {
			return err
		}
	}
	setETag(c, m.Version)
	return c.JSON(http.StatusOK, toMember(m))
}

// removeMember handles DELETE /members/:user_id.
func (a *API) removeMember(c echo.Context) error {
	if err := a.teams.RemoveMember(c.Request().Context(), actor(c), domain.UserID(c.Param("user_id"))); err != nil {
		return err
	}
	return noContent(c)
}

// listInvitations handles GET /invitations: open invitations, without their links.
func (a *API) listInvitations(c echo.Context) error {
	invs, err := a.teams.Invitations(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]invitationJSON, len(invs))
	for i, inv := range invs {
		out[i] = toInvitation(inv, "")
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// renewInvitation handles POST /invitations/:id/renew: a new link; the old one stops working.
func (a *API) renewInvitation(c echo.Context) error {
	issued, err := a.teams.RenewInvitation(c.Request().Context(), actor(c), domain.InvitationID(c.Param("id")))
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "accept_url")
	return c.JSON(http.StatusOK, toInvitation(issued.Invitation, issued.URL))
}

// deleteInvitation handles DELETE /invitations/:id.
func (a *API) deleteInvitation(c echo.Context) error {
	if _, err := a.teams.RevokeInvitation(c.Request().Context(), actor(c), domain.InvitationID(c.Param("id"))); err != nil {
		return err
	}
	return noContent(c)
}

// acceptInvitation handles POST /invitations/accept: the caller joins the invitation's
// company and gets the membership.
func (a *API) acceptInvitation(c echo.Context) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	s := session(c)
	m, err := a.teams.AcceptInvitation(c.Request().Context(), domain.Actor{UserID: s.User.ID, IP: c.RealIP()}, in.Token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, membershipJSON{CompanyID: m.CompanyID, CompanyName: m.CompanyName, Role: m.Role})
}
