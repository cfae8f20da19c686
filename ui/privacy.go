package ui

import (
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// exportCompany handles GET /settings/export (owners): all of the company's data as one
// JSON file to download.
func (h *Handler) exportCompany(c echo.Context) error {
	if h.Privacy == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	d := &download{res: c.Response()}
	err := h.Privacy.ExportCompany(c.Request().Context(), actorOf(c), func(co domain.Company) io.Writer {
		d.name = "herald-company-" + string(co.ID) + "-" + time.Now().UTC().Format(time.DateOnly) + ".json"
		return d
	})
	return h.finishDownload(c, d, err)
}

// deleteCompany handles POST /settings/delete (owners): with the company's name typed back
// in confirm, the company and all its data go; a wrong name gets the settings page back
// with the problem beside the field (422).
func (h *Handler) deleteCompany(c echo.Context) error {
	if h.Privacy == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	confirm := c.FormValue("confirm")
	co, err := h.Privacy.DeleteCompany(c.Request().Context(), actorOf(c), confirm)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "Deleted "+co.Name+" and all its data. Its members keep their own Herald accounts.")
		return redirect(c, routePath("home"))
	case domain.CodeInvalid:
		f, verr := h.voiceForm(c)
		if verr != nil {
			return verr
		}
		return h.renderSettingsWith(c, formStatus(c, err), f, form{}, newForm(map[string]string{"confirm": confirm}).withError(err))
	}
	return err
}

// exportMe handles GET /profile/export: what Herald holds about the signed-in person, as
// one JSON file to download.
func (h *Handler) exportMe(c echo.Context) error {
	if h.Privacy == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	d := &download{res: c.Response(), name: "herald-user-" + string(sessionOf(c).User.ID) + "-" + time.Now().UTC().Format(time.DateOnly) + ".json"}
	return h.finishDownload(c, d, h.Privacy.ExportUser(c.Request().Context(), actorOf(c), d))
}

// deleteMe handles POST /profile/delete: with their email typed back in confirm, the
// person's account goes (with the companies where they were the only member) and they are
// signed out. A wrong email gets the form back (422); the last owner of a company with
// other members is told what to do first (409).
func (h *Handler) deleteMe(c echo.Context) error {
	if h.Privacy == nil {
		return domain.Errorf(domain.CodeNotFound, "There is nothing at this address.")
	}
	confirm := c.FormValue("confirm")
	done, err := h.Privacy.DeleteUser(c.Request().Context(), actorOf(c), confirm)
	switch domain.CodeOf(err) {
	case "":
		c.SetCookie(&http.Cookie{Name: app.SessionCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.SecureCookies})
		c.SetCookie(&http.Cookie{Name: companyCookie, Path: "/", MaxAge: -1, Expires: time.Unix(0, 0), HttpOnly: true, Secure: h.SecureCookies})
		msg := "Your account was deleted."
		if n := len(done.Deleted); n == 1 {
			msg += " " + done.Deleted[0].Name + ", where you were the only member, was deleted with it."
		} else if n > 1 {
			msg += " The companies where you were the only member were deleted with it."
		}
		h.flash(c, msg)
		return redirect(c, routePath("login"))
	case domain.CodeInvalid, domain.CodeConflict:
		saved, _ := c.Get(userZoneKey).(string)
		return h.renderProfileWith(c, formStatus(c, err), newForm(map[string]string{"time_zone": saved}), newForm(map[string]string{"confirm": confirm}).withError(err))
	}
	return err
}

// download is an attachment whose headers and 200 go out with its first byte, so an error
// before that still gets an error page.
type download struct {
	res     *echo.Response
	name    string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		hd := d.res.Header()
		hd.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		hd.Set(echo.HeaderContentDisposition, `attachment; filename="`+d.name+`"`)
		hd.Set("Cache-Control", "no-store")
		d.res.WriteHeader(http.StatusOK)
	}
	return d.res.Write(p)
}

// finishDownload returns err for the error page while nothing was sent. Once the download
// began, it logs err and cuts the connection, so the browser reports a failed download
// instead of saving a file that looks whole.
func (h *Handler) finishDownload(c echo.Context, d *download, err error) error {
	if err == nil || !d.started {
		return err
	}
	h.Log.ErrorContext(c.Request().Context(), "export failed after it began", "file", d.name, "err", err)
	panic(http.ErrAbortHandler)
}
