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
		out = append(out, toInvitation(inv))
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// addMember handles POST /members.
func (a *API) addMember(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	added, err := a.teams.AddMember(c.Request().Context(), actor(c), in.Email, in.Role)
	if err != nil {
		return err
	}
	if added.Member != nil {
		setETag(c, added.Member.Version)
		return c.JSON(http.StatusCreated, toMember(*added.Member))
	}
	return c.JSON(http.StatusCreated, toInvitation(*added.Invitation))
}

// changeRole handles PUT /members/:user_id.
func (a *API) changeRole(c echo.Context) error {
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	m, err := a.teams.ChangeRole(c.Request().Context(), actor(c), domain.UserID(c.Param("user_id")), in.Role, want)
	if err != nil {
		return err
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
