package ui

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
)

// tokensPage lists personal tokens; Secret is set only right after one was created.
type tokensPage struct {
	Tokens []domain.Token
	Secret string
	Form   form
}

// tokens handles GET /tokens.
func (h *Handler) tokens(c echo.Context) error {
	return h.renderTokens(c, http.StatusOK, tokensPage{Form: newForm(nil)})
}

func (h *Handler) renderTokens(c echo.Context, status int, p tokensPage) error {
	ts, err := h.Auth.Tokens(c.Request().Context(), sessionOf(c).User.ID)
	if err != nil {
		return err
	}
	p.Tokens = ts
	return h.page(c, status, pageTokens, p)
}

// createToken handles POST /tokens. The secret is rendered in this answer only (no
// redirect, so it never sits in a cookie or a URL).
func (h *Handler) createToken(c echo.Context) error {
	name, days := c.FormValue("name"), c.FormValue("days")
	f := newForm(map[string]string{"name": name, "days": days})
	var expires time.Time
	if days != "" {
		d, err := time.ParseDuration(days + "h")
		if err != nil || d <= 0 {
			return h.renderTokens(c, http.StatusUnprocessableEntity, tokensPage{Form: f.withError(domain.InvalidField("days", "must be a number of days"))})
		}
		expires = time.Now().Add(d * 24)
	}
	issued, err := h.Auth.CreateToken(c.Request().Context(), sessionOf(c).User.ID, name, expires)
	if domain.CodeOf(err) == domain.CodeInvalid {
		if msg, ok := domain.FieldsOf(err)["expires_at"]; ok {
			f.Errors["days"] = msg
		}
		return h.renderTokens(c, formStatus(c, err), tokensPage{Form: f.withError(err)})
	}
	if err != nil {
		return err
	}
	return h.renderTokens(c, http.StatusCreated, tokensPage{Form: newForm(nil), Secret: issued.Secret})
}

// revokeToken handles POST /tokens/:id/revoke.
func (h *Handler) revokeToken(c echo.Context) error {
	if err := h.Auth.RevokeToken(c.Request().Context(), sessionOf(c).User.ID, domain.TokenID(c.Param("id"))); err != nil {
		return err
	}
	h.flash(c, "The token was revoked.")
	return redirect(c, routePath("tokens"))
}
