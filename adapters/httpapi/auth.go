package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// register handles POST /auth/register. With "invitation_token" the person joins the
// invitation's company and "company" is not needed; the answer's company is the joined
// one. An email that has an account and its right password signs in, as login would.
func (a *API) register(c echo.Context) error {
	var in struct {
		Email           string `json:"email"`
		Password        string `json:"password"`
		Name            string `json:"name"`
		Company         string `json:"company"`
		InvitationToken string `json:"invitation_token"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := a.auth.Register(c.Request().Context(), app.Registration(in), c.RealIP())
	if err != nil {
		return err
	}
	var company any
	if r.Company.ID != "" {
		company = toCompany(r.Company)
	}
	return loginAnswer(c, http.StatusCreated, r.User, r.Session, map[string]any{"company": company})
}

// login handles POST /auth/login; a person with two-factor sign-in gets
// {"mfa_required":true,"mfa_token",...} for POST /auth/login/mfa instead of a token.
func (a *API) login(c echo.Context) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u, issued, err := a.auth.Login(c.Request().Context(), in.Email, in.Password, c.RealIP())
	if err != nil {
		return err
	}
	return loginAnswer(c, http.StatusOK, u, issued, nil)
}

// logout handles POST /auth/logout: the token it was called with stops working.
func (a *API) logout(c echo.Context) error {
	if err := a.auth.Logout(c.Request().Context(), session(c)); err != nil {
		return err
	}
	return noContent(c)
}

// changePassword handles POST /auth/password: 204, and every other session of the caller
// ends.
func (a *API) changePassword(c echo.Context) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := a.auth.ChangePassword(c.Request().Context(), session(c), app.PasswordChange{Current: in.Current, New: in.New}); err != nil {
		return err
	}
	return noContent(c)
}

// logoutAll handles POST /auth/logout-all: every session and login token of the caller
// ends, this one too; personal API tokens stay.
func (a *API) logoutAll(c echo.Context) error {
	if _, err := a.auth.LogoutEverywhere(c.Request().Context(), session(c).User.ID); err != nil {
		return err
	}
	return noContent(c)
}

// me handles GET /auth/me.
func (a *API) me(c echo.Context) error {
	u, ms, err := a.auth.Me(c.Request().Context(), session(c).User.ID)
	if err != nil {
		return err
	}
	out := make([]membershipJSON, len(ms))
	for i, m := range ms {
		out[i] = membershipJSON{CompanyID: m.CompanyID, CompanyName: m.CompanyName, Role: m.Role}
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUser(u), "memberships": out})
}

// updateMe handles PUT /auth/me: the person's own settings, today the time zone pages show
// times in ("" for the browser's). It answers as GET /auth/me does.
func (a *API) updateMe(c echo.Context) error {
	var in struct {
		TimeZone *string `json:"time_zone"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.TimeZone == nil {
		return domain.InvalidField("time_zone", "is required: an IANA time zone such as Europe/Berlin, or \"\" for the browser's")
	}
	if err := a.auth.SetTimeZone(c.Request().Context(), session(c).User.ID, *in.TimeZone); err != nil {
		return err
	}
	return a.me(c)
}

// createToken handles POST /auth/tokens.
func (a *API) createToken(c echo.Context) error {
	var in struct {
		Name      string  `json:"name"`
		ExpiresAt *string `json:"expires_at"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	var expires time.Time
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return domain.InvalidField("expires_at", "must be an RFC 3339 time such as 2027-01-31T12:00:00Z")
		}
		expires = t
	}
	issued, err := a.auth.CreateToken(c.Request().Context(), session(c).User.ID, in.Name, expires)
	if err != nil {
		return err
	}
	keepSecretOutOfReplay(c, "token")
	return c.JSON(http.StatusCreated, toToken(issued.Token, issued.Secret))
}

// listTokens handles GET /auth/tokens: the caller's personal tokens, without secrets.
func (a *API) listTokens(c echo.Context) error {
	ts, err := a.auth.Tokens(c.Request().Context(), session(c).User.ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = toToken(t, "")
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// deleteToken handles DELETE /auth/tokens/:id.
func (a *API) deleteToken(c echo.Context) error {
	if err := a.auth.RevokeToken(c.Request().Context(), session(c).User.ID, domain.TokenID(c.Param("id"))); err != nil {
		return err
	}
	return noContent(c)
}
