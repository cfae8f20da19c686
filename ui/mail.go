package ui

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// emailsPage is Settings > Emails: the company's outbox, without the emails' data.
type emailsPage struct {
	Emails []domain.Email
	// Enabled is whether an SMTP server is configured; without one the page says these
	// would have gone out.
	Enabled bool
	Next    string
}

// emails handles GET /settings/emails (owners and admins): which emails went out,
// wait, failed (and why), or would have gone out without an SMTP server.
func (h *Handler) emails(c echo.Context) error {
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	page, err := app.Page(limit, c.QueryParam("cursor"), c.QueryParam("limit") != "")
	if err != nil {
		return err
	}
	es, next, err := h.Mail.Emails(c.Request().Context(), actorOf(c), page)
	if err != nil {
		return err
	}
	p := emailsPage{Emails: es, Enabled: h.Mail.Enabled()}
	if next != "" {
		if p.Next, err = withQuery(routePath("settings.emails"), "cursor", next); err != nil {
			return err
		}
	}
	return h.page(c, http.StatusOK, pageEmails, p)
}

// unsubscribePage is the page of an unsubscribe link from an email.
type unsubscribePage struct {
	Token string
	What  app.UnsubscribeKind
	Done  bool
	// Bad is the message for a link that does not work (the page answers 404).
	Bad string
}

// unsubscribeForm handles GET /unsubscribe/:token, open to anyone holding the link: it
// asks before turning anything off (mail scanners follow links). A link that does not
// work gets a clear 404 page.
func (h *Handler) unsubscribeForm(c echo.Context) error {
	token := c.Param("token")
	k, err := h.Mail.Unsubscribing(c.Request().Context(), token)
	if domain.CodeOf(err) == domain.CodeNotFound {
		return h.page(c, http.StatusNotFound, pageUnsubscribe, unsubscribePage{Bad: domain.MessageOf(err)})
	} else if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, pageUnsubscribe, unsubscribePage{Token: token, What: k})
}

// unsubscribe handles POST /unsubscribe/:token: the page's button, or the one-click
// POST of RFC 8058 that mail clients send (see OneClickUnsubscribe).
func (h *Handler) unsubscribe(c echo.Context) error {
	k, err := h.Mail.Unsubscribe(c.Request().Context(), c.Param("token"))
	if domain.CodeOf(err) == domain.CodeNotFound {
		return h.page(c, http.StatusNotFound, pageUnsubscribe, unsubscribePage{Bad: domain.MessageOf(err)})
	} else if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, pageUnsubscribe, unsubscribePage{What: k, Done: true})
}

// OneClickUnsubscribe reports whether r is the one-click unsubscribe of RFC 8058: a POST
// to an unsubscribe link whose form body is only List-Unsubscribe=One-Click. Mail
// clients send it from their servers, with no cookie and no CSRF token; the signed token
// in the path is its only credential, so the CSRF check may skip exactly these requests.
func OneClickUnsubscribe(r *http.Request) bool {
	prefix := strings.TrimSuffix(routePath("unsubscribe", "x"), "x")
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if r.Method != http.MethodPost || !ok || rest == "" || strings.Contains(rest, "/") {
		return false
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil {
		return false
	}
	switch ct {
	case echo.MIMEApplicationForm:
		err = r.ParseForm()
	case echo.MIMEMultipartForm:
		err = r.ParseMultipartForm(1 << 16)
	default:
		return false
	}
	if err != nil || len(r.PostForm) != 1 {
		return false
	}
	v := r.PostForm["List-Unsubscribe"]
	return len(v) == 1 && v[0] == "One-Click"
}
