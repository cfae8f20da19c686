package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
)

// API is the JSON API's handlers over the app services.
type API struct {
	auth  *app.Auth
	teams *app.Teams
	admin *app.Admin
	idem  *app.Idempotency
}

// New returns the API over the given services.
func New(auth *app.Auth, teams *app.Teams, admin *app.Admin, idem *app.Idempotency) *API {
	return &API{auth: auth, teams: teams, admin: admin, idem: idem}
}

// Register adds every route of API.md under g (mounted at /api/v1).
func (a *API) Register(g *echo.Group) {
	g.POST("/auth/register", a.register)
	g.POST("/auth/login", a.login)

	user := g.Group("", a.authenticate, a.idempotent)
	user.POST("/auth/logout", a.logout)
	user.GET("/auth/me", a.me)
	user.POST("/auth/tokens", a.createToken)
	user.GET("/auth/tokens", a.listTokens)
	user.DELETE("/auth/tokens/:id", a.deleteToken)
	user.GET("/admin/companies", a.listCompanies)
	user.PUT("/admin/companies/:id", a.updateCompany)

	company := user.Group("", a.inCompany)
	company.GET("/members", a.listMembers)
	company.POST("/members", a.addMember)
	company.PUT("/members/:user_id", a.changeRole)
	company.DELETE("/members/:user_id", a.removeMember)
}
