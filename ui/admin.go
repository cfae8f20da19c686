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

// tenants handles GET /admin/tenants (superadmins): every company with its counts and
// this month's usage of its plan, one page at a time.
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
		p.Next = routePath("tenants") + "?cursor=" + url.QueryEscape(next)
		if c.QueryParam("limit") != "" {
			p.Next += "&limit=" + strconv.Itoa(page.Limit)
		}
	}
	return h.page(c, http.StatusOK, pageTenants, p)
}

// tenantPage is one company for the operator, with the forms that change it.
type tenantPage struct {
	app.Tenant
	Form form // the change form that was sent, with its problems
}

// tenant handles GET /admin/tenants/:id (superadmins).
func (h *Handler) tenant(c echo.Context) error {
	t, err := h.Admin.Company(c.Request().Context(), actorOf(c), domain.CompanyID(c.Param("id")))
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, pageTenant, tenantPage{Tenant: t, Form: newForm(map[string]string{})})
}

// updateTenant handles POST /admin/tenants/:id: change the plan, suspend or reactivate,
// with a reason (required to suspend) and a ticked confirmation. Problems come back on
// the company's page (422).
func (h *Handler) updateTenant(c echo.Context) error {
	ctx, id := c.Request().Context(), domain.CompanyID(c.Param("id"))
	ch := domain.CompanyChange{Reason: c.FormValue("reason")}
	if v := c.FormValue("plan"); v != "" {
		p := domain.Plan(v)
		ch.Plan = &p
	}
	if v := c.FormValue("status"); v != "" {
		s := domain.CompanyStatus(v)
		ch.Status = &s
	}
	var co domain.Company
	err := error(domain.InvalidField("confirm", "tick the box to confirm this change"))
	if c.FormValue("confirm") == "yes" {
		co, err = h.Admin.UpdateCompany(ctx, actorOf(c), id, ch, 0)
	}
	if domain.CodeOf(err) == domain.CodeInvalid {
		t, terr := h.Admin.Company(ctx, actorOf(c), id)
		if terr != nil {
			return terr
		}
		f := newForm(map[string]string{"action": c.FormValue("status") + c.FormValue("plan"), "reason": c.FormValue("reason")}).withError(err)
		return h.page(c, http.StatusUnprocessableEntity, pageTenant, tenantPage{Tenant: t, Form: f})
	}
	if err != nil {
		return err
	}
	msg := co.Name + " is " + string(co.Status) + " on the " + co.Plan.Title() + " plan."
	if co.Status.Suspended() {
		msg = co.Name + " is suspended on the " + co.Plan.Title() + " plan; its members see why: " + co.StatusReason
	}
	h.flash(c, msg)
	return redirect(c, routePath("tenant", co.ID))
}
