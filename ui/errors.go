package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// status is a page's status for err: domain's one table (Code.HTTPStatus), or the status of
// one of Echo's own errors (an unknown route, a body too large, a bad CSRF token).
func status(err error) int {
	var he *echo.HTTPError
	if domain.CodeOf(err) == domain.CodeInternal && errors.As(err, &he) {
		return he.Code
	}
	return domain.CodeOf(err).HTTPStatus()
}

// errorPage is what the error template shows.
type errorPage struct {
	Status  int
	Title   string
	Message string
}

// HandleError renders err as a page (or, for htmx, an alert in #alerts). Unauthenticated
// requests go to the login page; internal errors are logged with the request id and shown
// without detail.
func (h *Handler) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	st := status(err)
	if st == http.StatusUnauthorized {
		if c.Request().Header.Get(hxRequest) == "true" {
			c.Response().Header().Set(hxRedirect, routePath("login"))
			_ = c.NoContent(http.StatusNoContent)
			return
		}
		to := routePath("login")
		if r := c.Request(); r.Method == http.MethodGet {
			if next, ok := domain.LocalPath(r.URL.RequestURI()); ok && next != "/" {
				to += "?" + url.Values{"next": {next}}.Encode()
			}
		}
		_ = c.Redirect(http.StatusSeeOther, to)
		return
	}
	msg := domain.MessageOf(err)
	if domain.CodeOf(err) == domain.CodeInternal && st < 500 {
		msg = pageMessage(st)
		if st == http.StatusRequestEntityTooLarge && c.Path() == routeIndex["media.upload"].path {
			// Only the plain form (no JavaScript) posts here, whole, under the server's body
			// limit; the upload zone with JavaScript sends any size the plan takes.
			msg = "These files are too large to upload without JavaScript (10 MB in all). Turn JavaScript on to upload large files, or upload fewer at a time."
		}
	}
	if st >= 500 && domain.CodeOf(err) != domain.CodeUnavailable {
		h.Log.ErrorContext(c.Request().Context(), "page failed", "err", err, "path", c.Path(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		msg = "Something went wrong on our side. It has been logged (request " + c.Response().Header().Get(echo.HeaderXRequestID) + "); please try again."
	}
	p := errorPage{Status: st, Title: http.StatusText(st), Message: msg}
	var rerr error
	if isPartialRequest(c.Request()) {
		c.Response().Header().Set(hxRetarget, "#alerts")
		c.Response().Header().Set(hxReswap, "innerHTML")
		rerr = h.fragment(c, st, partAlert, p)
	} else {
		rerr = h.page(c, st, pageError, p)
	}
	if rerr != nil {
		h.Log.ErrorContext(c.Request().Context(), "render error page", "err", rerr)
		_ = c.String(st, msg)
	}
}

func pageMessage(st int) string {
	switch st {
	case http.StatusNotFound:
		return "There is nothing at this address."
	case http.StatusForbidden, http.StatusBadRequest:
		return "The form expired or came from another site. Go back, reload the page and try again."
	case http.StatusRequestEntityTooLarge:
		return "What you sent is too large."
	case http.StatusMethodNotAllowed:
		return "This address does not accept that."
	}
	return http.StatusText(st)
}
