package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

const (
	sessionKey = "herald.session"
	actorKey   = "herald.actor"
)

// authenticate resolves the bearer token, or the web app's session cookie, to a session.
func (a *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s, err := a.sessionOf(c)
		if err != nil {
			if domain.CodeOf(err) == domain.CodeUnauthenticated {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="herald"`)
			}
			return err
		}
		c.Set(sessionKey, s)
		return next(c)
	}
}

// sessionOf resolves the request's credentials: the bearer token (a login session or a
// personal API token), or else the web app's session cookie, which only a login session
// can be. Errors: CodeUnauthenticated.
func (a *API) sessionOf(c echo.Context) (domain.Session, error) {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return domain.Session{}, domain.Errorf(domain.CodeUnauthenticated, "Use Authorization: Bearer <token>.")
		}
		return a.auth.Authenticate(c.Request().Context(), strings.TrimSpace(token))
	}
	secret := ""
	if ck, err := c.Cookie(app.SessionCookie); err == nil {
		secret = ck.Value
	}
	return a.auth.AuthenticateSession(c.Request().Context(), secret)
}

// inCompany resolves X-Company-ID to the actor, as openapi.json describes it
// (components.parameters.CompanyID), and refuses a member without two-factor sign-in of a
// company that requires it (403 two-factor-required).
func (a *API) inCompany(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		company := strings.TrimSpace(c.Request().Header.Get("X-Company-ID"))
		if domain.TextProblem(company) != "" {
			return domain.Errorf(domain.CodeBadRequest, "X-Company-ID must be the id of a company you belong to.")
		}
		actor, err := a.auth.Actor(c.Request().Context(), session(c).User, company)
		if err != nil {
			return err
		}
		actor.IP = c.RealIP()
		// A bearer token (personal API token or login session) is the API proper; the web
		// app's cookie is not.
		actor.ViaAPI = strings.TrimSpace(c.Request().Header.Get(echo.HeaderAuthorization)) != ""
		tok := session(c).Token
		actor.Passkey = tok.Kind == domain.TokenSession && tok.Name == app.PasskeySessionName
		if err := a.auth.CheckTwoFactorRequirement(c.Request().Context(), actor); err != nil {
			return err
		}
		c.Set(actorKey, actor)
		return next(c)
	}
}

func session(c echo.Context) domain.Session {
	s, _ := c.Get(sessionKey).(domain.Session)
	return s
}

// actor returns the company actor, or for routes outside a company the user alone.
func actor(c echo.Context) domain.Actor {
	if a, ok := c.Get(actorKey).(domain.Actor); ok {
		return a
	}
	u := session(c).User
	return domain.Actor{UserID: u.ID, IsSuperadmin: u.IsSuperadmin, IP: c.RealIP()}
}

func noContent(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
