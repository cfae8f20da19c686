package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// listCompanies handles GET /admin/companies (superadmins).
func (a *API) listCompanies(c echo.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	cs, next, err := a.admin.Companies(c.Request().Context(), actor(c), page)
	if err != nil {
		return err
	}
	out := make([]companySummaryJSON, len(cs))
	for i, s := range cs {
		out[i] = toCompanySummary(s)
	}
	return c.JSON(http.StatusOK, newList(out, next))
}

// getCompany handles GET /admin/companies/:id (superadmins): the list's company with its
// people (members and open invitations, as GET /members shows them).
func (a *API) getCompany(c echo.Context) error {
	t, err := a.admin.Company(c.Request().Context(), actor(c), domain.CompanyID(c.Param("id")))
	if err != nil {
		return err
	}
	out := struct {
		companySummaryJSON
		People []memberJSON `json:"people"`
	}{companySummaryJSON: toCompanySummary(t.CompanySummary), People: make([]memberJSON, 0, len(t.People)+len(t.Invitations))}
	for _, m := range t.People {
		out.People = append(out.People, toMember(m))
	}
	for _, inv := range t.Invitations {
		out.People = append(out.People, toInvitedMember(inv))
	}
	setETag(c, t.Version)
	return c.JSON(http.StatusOK, out)
}

// updateCompany handles PUT /admin/companies/:id (superadmins): plan and/or status, with
// a reason (required to suspend).
func (a *API) updateCompany(c echo.Context) error {
	var in struct {
		Plan   *domain.Plan          `json:"plan"`
		Status *domain.CompanyStatus `json:"status"`
		Reason string                `json:"reason"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	want, err := ifMatch(c)
	if err != nil {
		return err
	}
	co, err := a.admin.UpdateCompany(c.Request().Context(), actor(c), domain.CompanyID(c.Param("id")),
		domain.CompanyChange{Plan: in.Plan, Status: in.Status, Reason: in.Reason}, want)
	if err != nil {
		return err
	}
	setETag(c, co.Version)
	return c.JSON(http.StatusOK, toCompany(co))
}

// pageOf reads limit and cursor, or returns CodeInvalid.
func pageOf(c echo.Context) (ports.Page, error) {
	raw := c.QueryParam("limit")
	limit, err := strconv.Atoi(raw)
	if raw != "" && err != nil {
		return ports.Page{}, domain.InvalidField("limit", "must be a whole number between 1 and 200")
	}
	return app.Page(limit, c.QueryParam("cursor"), raw != "")
}
