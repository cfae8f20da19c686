package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// tenantsPage is one page of every company.
type tenantsPage struct {
	Companies []domain.CompanySummary
	Next      string
}

// tenants handles GET /admin/tenants (superadmins).
func (h *Handler) tenants(c echo.Context) error {
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	page, err := app.Page(limit, c.QueryParam("cursor"), c.QueryParam("limit") != "")
	if err != nil {
		return err
	}
	cs, next, err := h.Admin.Companies(c.Request().Context(), actorOf(c), page)
	if err != nil {
		return err
	}
	p := tenantsPage{Companies: cs}
	if next != "" {
		p.Next = "/admin/tenants?cursor=" + url.QueryEscape(next)
	}
	return h.page(c, http.StatusOK, pageTenants, p)
}

// updateTenant handles POST /admin/tenants/:id with plan and/or status.
func (h *Handler) updateTenant(c echo.Context) error {
	var ch domain.CompanyChange
	if v := c.FormValue("plan"); v != "" {
		p := domain.Plan(v)
		ch.Plan = &p
	}
	if v := c.FormValue("status"); v != "" {
		s := domain.CompanyStatus(v)
		ch.Status = &s
	}
	co, err := h.Admin.UpdateCompany(c.Request().Context(), actorOf(c), domain.CompanyID(c.Param("id")), ch, 0)
	if err != nil {
		return err
	}
	h.flash(c, co.Name+" is now "+string(co.Status)+" on the "+string(co.Plan)+" plan.")
	return redirect(c, "/admin/tenants")
}
