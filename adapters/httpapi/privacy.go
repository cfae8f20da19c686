package httpapi

import (
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// exportCompany handles GET /company/export (owners): all of the company's data as one
// JSON document, downloaded as an attachment.
func (a *API) exportCompany(c echo.Context) error {
	d := &download{res: c.Response()}
	err := a.privacy.ExportCompany(c.Request().Context(), actor(c), func(co domain.Company) io.Writer {
		d.name = "herald-company-" + string(co.ID) + "-" + time.Now().UTC().Format(time.DateOnly) + ".json"
		return d
	})
	return a.finishDownload(c, d, err)
}

// deleteCompany handles DELETE /company (owners) with {"confirm": "<the company's name>"}.
func (a *API) deleteCompany(c echo.Context) error {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := a.privacy.DeleteCompany(c.Request().Context(), actor(c), in.Confirm); err != nil {
		return err
	}
	return noContent(c)
}

// exportMe handles GET /auth/me/export: what Herald holds about the caller, as one JSON
// document downloaded as an attachment.
func (a *API) exportMe(c echo.Context) error {
	s := session(c)
	d := &download{res: c.Response(), name: "herald-user-" + string(s.User.ID) + "-" + time.Now().UTC().Format(time.DateOnly) + ".json"}
	return a.finishDownload(c, d, a.privacy.ExportUser(c.Request().Context(), actor(c), d))
}

// deleteMe handles DELETE /auth/me with {"confirm": "<the caller's email>"}: the account
// goes, with the companies where the caller was the only member.
func (a *API) deleteMe(c echo.Context) error {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	done, err := a.privacy.DeleteUser(c.Request().Context(), actor(c), in.Confirm)
	if err != nil {
		return err
	}
	deleted := make([]companyJSON, len(done.Deleted))
	for i, co := range done.Deleted {
		deleted[i] = toCompany(co)
	}
	left := make([]membershipJSON, len(done.Left))
	for i, m := range done.Left {
		left[i] = membershipJSON{CompanyID: m.CompanyID, CompanyName: m.CompanyName, Role: m.Role}
	}
	return c.JSON(http.StatusOK, map[string]any{"deleted_companies": deleted, "left_companies": left})
}

// download is an attachment whose headers and 200 go out with its first byte, so an error
// before that still gets a problem answer.
type download struct {
	res     *echo.Response
	name    string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.res.Header()
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+d.name+`"`)
		h.Set("Cache-Control", "no-store")
		d.res.WriteHeader(http.StatusOK)
	}
	return d.res.Write(p)
}

// finishDownload returns err as a problem while nothing was sent. Once the download began,
// it logs err and cuts the connection, so the client sees an incomplete answer instead of a
// document that looks whole.
func (a *API) finishDownload(c echo.Context, d *download, err error) error {
	if err == nil || !d.started {
		return err
	}
	a.log.ErrorContext(c.Request().Context(), "export failed after it began", "file", d.name, "err", err)
	panic(http.ErrAbortHandler)
}
