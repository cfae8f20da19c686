package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// mfaPage is the second step of signing in: the MFA token Login gave (a hidden field,
// never in an address), where to go next, and the code's problem.
type mfaPage struct {
	form
	Token string
}

// twoFactorPage is the page of the person's two-factor sign-in (/profile/two-factor).
type twoFactorPage struct {
	Status domain.TwoFactorStatus
	// Enrolment is the authenticator secret being set up, shown while it waits for a code.
	Enrolment *app.TOTPEnrolment
	// RecoveryCodes are shown once, right after they are made.
	RecoveryCodes []string
	// Required says that the current company requires two-factor sign-in and the person
	// has none: every other page of the company sends them here.
	Required bool
	Confirm  form // the first code (code)
	Disable  form // password and code
	Renew    form // a code, for new recovery codes
}

// SecretGroups returns the enrolment's secret in groups of four, as people type it.
func (p twoFactorPage) SecretGroups() string {
	if p.Enrolment == nil {
		return ""
	}
	var parts []string
	s := p.Enrolment.Secret
	for len(s) > 4 {
		parts, s = append(parts, s[:4]), s[4:]
	}
	return strings.Join(append(parts, s), " ")
}

// RecoveryCodesURL is the recovery codes as a text file in a data: URL, for the download
// link (the codes never travel to the server again).
func (p twoFactorPage) RecoveryCodesURL() template.URL {
	text := "Herald recovery codes. Each one signs you in once instead of a code of your authenticator app.\n\n" +
		strings.Join(p.RecoveryCodes, "\n") + "\n"
	return template.URL("data:text/plain;charset=utf-8," + url.PathEscape(text))
}

// QRSrc is the enrolment's QR code as an img source (a PNG data: URL made by Herald).
func (p twoFactorPage) QRSrc() template.URL {
	if p.Enrolment == nil {
		return ""
	}
	return template.URL(p.Enrolment.QRDataURL())
}

// loginMFA handles POST /login/mfa: the second step of signing in, with a code of the
// authenticator app or a recovery code. A wrong code gets the step back (422); an expired
// sign-in goes back to the first step.
func (h *Handler) loginMFA(c echo.Context) error {
	token, next := c.FormValue("mfa_token"), domain.LocalPathOr(c.FormValue("next"), "")
	_, issued, err := h.Auth.CompleteLogin(c.Request().Context(), token, c.FormValue("code"), c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		h.startSession(c, issued)
		return redirect(c, domain.LocalPathOr(next, routePath("home")))
	case domain.CodeInvalid, domain.CodeRateLimited:
		return h.page(c, formStatus(c, err), pageMFA, mfaPage{form: newForm(map[string]string{"next": next}).withError(err), Token: token})
	case domain.CodeUnauthenticated:
		return h.formError(c, pageLogin, newForm(map[string]string{"next": next}), err)
	}
	return err
}

// renderMFA shows the second step of signing in for issued's MFA token.
func (h *Handler) renderMFA(c echo.Context, issued app.Issued, next string) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return h.page(c, http.StatusOK, pageMFA, mfaPage{form: newForm(map[string]string{"next": next}), Token: issued.MFAToken})
}

// twoFactor handles GET /profile/two-factor.
func (h *Handler) twoFactor(c echo.Context) error {
	return h.renderTwoFactor(c, http.StatusOK, twoFactorPage{})
}

// renderTwoFactor fills in the person's status and renders the page.
func (h *Handler) renderTwoFactor(c echo.Context, status int, p twoFactorPage) error {
	st, err := h.Auth.TwoFactorStatus(c.Request().Context(), sessionOf(c).User.ID)
	if err != nil {
		return err
	}
	p.Status = st
	if !st.Enabled {
		p.Required = domain.CodeOf(h.Auth.CheckTwoFactorRequirement(c.Request().Context(), actorOf(c))) == domain.CodeTwoFactorRequired
	}
	for _, f := range []*form{&p.Confirm, &p.Disable, &p.Renew} {
		if f.Errors == nil {
			*f = newForm(nil)
		}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return h.page(c, status, pageTwoFactor, p)
}

// beginTwoFactor handles POST /profile/two-factor/begin: a new authenticator secret, shown
// as a QR code and as a key to type.
func (h *Handler) beginTwoFactor(c echo.Context) error {
	e, err := h.Auth.BeginTOTP(c.Request().Context(), sessionOf(c))
	if domain.CodeOf(err) == domain.CodeConflict {
		h.flash(c, domain.MessageOf(err))
		return redirect(c, routePath("two_factor"))
	}
	if err != nil {
		return err
	}
	return h.renderTwoFactor(c, http.StatusOK, twoFactorPage{Enrolment: &e})
}

// confirmTwoFactor handles POST /profile/two-factor/confirm: the first code turns
// two-factor sign-in on and the recovery codes are shown, once. A wrong code shows the
// same secret again with the problem (422).
func (h *Handler) confirmTwoFactor(c echo.Context) error {
	ctx, s := c.Request().Context(), sessionOf(c)
	codes, err := h.Auth.ConfirmTOTP(ctx, s, c.FormValue("code"))
	switch domain.CodeOf(err) {
	case "":
		return h.renderTwoFactor(c, http.StatusOK, twoFactorPage{RecoveryCodes: codes})
	case domain.CodeInvalid, domain.CodeRateLimited:
		e, perr := h.Auth.PendingTOTP(ctx, s)
		if perr != nil {
			return perr
		}
		return h.renderTwoFactor(c, formStatus(c, err), twoFactorPage{Enrolment: &e, Confirm: newForm(nil).withError(err)})
	case domain.CodeConflict:
		h.flash(c, domain.MessageOf(err))
		return redirect(c, routePath("two_factor"))
	}
	return err
}

// disableTwoFactor handles POST /profile/two-factor/disable: the password and a code turn
// two-factor sign-in off; every other session ends.
func (h *Handler) disableTwoFactor(c echo.Context) error {
	err := h.Auth.DisableTOTP(c.Request().Context(), sessionOf(c), app.TwoFactorDisable{Password: c.FormValue("password"), Code: c.FormValue("code")})
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "Two-factor sign-in is off, and every other session of yours was signed out.")
		return redirect(c, routePath("two_factor"))
	case domain.CodeInvalid, domain.CodeRateLimited, domain.CodeConflict:
		return h.renderTwoFactor(c, formStatus(c, err), twoFactorPage{Disable: newForm(nil).withError(err)})
	}
	return err
}

// renewRecoveryCodes handles POST /profile/two-factor/recovery-codes: a code of the
// authenticator gives new recovery codes, shown once; the old ones stop working.
func (h *Handler) renewRecoveryCodes(c echo.Context) error {
	codes, err := h.Auth.RegenerateRecoveryCodes(c.Request().Context(), sessionOf(c), c.FormValue("code"))
	switch domain.CodeOf(err) {
	case "":
		return h.renderTwoFactor(c, http.StatusOK, twoFactorPage{RecoveryCodes: codes})
	case domain.CodeInvalid, domain.CodeRateLimited, domain.CodeConflict:
		return h.renderTwoFactor(c, formStatus(c, err), twoFactorPage{Renew: newForm(nil).withError(err)})
	}
	return err
}

// saveRequire2FA handles POST /settings/two-factor (owners and admins): whether the
// company requires two-factor sign-in of its members.
func (h *Handler) saveRequire2FA(c echo.Context) error {
	on := c.FormValue("require_2fa") == "on"
	_, err := h.Teams.UpdateSettings(c.Request().Context(), actorOf(c), app.CompanyUpdate{Require2FA: &on}, 0)
	switch domain.CodeOf(err) {
	case "":
		if on {
			h.flash(c, "Members must now use two-factor sign-in: those without it are asked to set it up on their next page.")
		} else {
			h.flash(c, "Two-factor sign-in is no longer required.")
		}
		return redirect(c, routePath("settings")+"#two-factor")
	case domain.CodeConflict:
		h.flash(c, domain.MessageOf(err))
		return redirect(c, routePath("settings")+"#two-factor")
	}
	return err
}

// twoFactorExempt are the pages a member of a company that requires two-factor sign-in
// reaches without it: setting it up, their profile, signing out and leaving for another
// company.
var twoFactorExempt = []string{"two_factor", "two_factor.begin", "two_factor.confirm", "two_factor.disable", "two_factor.recovery_codes",
	"profile", "profile.update", "profile.password", "profile.logout_all", "profile.export", "profile.delete", "logout", "company.switch", "company.create"}

// requireTwoFactor sends a member without two-factor sign-in to its setup page when the
// current company requires it, for every page of that company but twoFactorExempt; sent
// says it answered.
func (h *Handler) requireTwoFactor(c echo.Context) (sent bool, err error) {
	for _, name := range twoFactorExempt {
		if r, ok := routeIndex[name]; ok && r.path == c.Path() && r.method == c.Request().Method {
			return false, nil
		}
	}
	err = h.Auth.CheckTwoFactorRequirement(c.Request().Context(), actorOf(c))
	if domain.CodeOf(err) != domain.CodeTwoFactorRequired {
		return false, err
	}
	to := routePath("two_factor")
	if c.Request().Header.Get(hxRequest) == "true" {
		c.Response().Header().Set(hxRedirect, to)
		return true, c.NoContent(http.StatusNoContent)
	}
	return true, redirect(c, to)
}

// requireTwoFactorSetting is the settings page's two-factor requirement section.
type requireTwoFactorSetting struct {
	Require2FA, CanRequire2FA bool
	CSRF, CompanyName         string
}

func (h *Handler) requireTwoFactorSetting(c echo.Context) (requireTwoFactorSetting, error) {
	s, err := h.Teams.Settings(c.Request().Context(), actorOf(c))
	if err != nil {
		return requireTwoFactorSetting{}, err
	}
	v := h.view(c, nil)
	return requireTwoFactorSetting{Require2FA: s.Require2FA, CanRequire2FA: v.may(domain.ResourceMembers, domain.ActionWrite),
		CSRF: v.CSRF, CompanyName: v.CompanyName}, nil
}
