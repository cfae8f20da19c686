package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// The pages about a person's own address and password.
const (
	pageResetRequest = "auth/reset_request"
	pageResetConfirm = "auth/reset_confirm"
	pageVerifyEmail  = "auth/verify"
)

func init() { pages = append(pages, pageResetRequest, pageResetConfirm, pageVerifyEmail) }

// resetRequestPage is the "forgot your password" form; Sent shows the one answer.
type resetRequestPage struct {
	form
	Sent string // the address asked for, once asked
}

// passwordResetForm handles GET /password-reset.
func (h *Handler) passwordResetForm(c echo.Context) error {
	return h.page(c, http.StatusOK, pageResetRequest, resetRequestPage{form: newForm(map[string]string{"email": c.QueryParam("email")})})
}

// requestPasswordReset handles POST /password-reset: the same page and answer whether or
// not the address has an account.
func (h *Handler) requestPasswordReset(c echo.Context) error {
	email := c.FormValue("email")
	err := h.Auth.RequestPasswordReset(c.Request().Context(), email, c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		return h.page(c, http.StatusOK, pageResetRequest, resetRequestPage{form: newForm(nil), Sent: domain.NormalizeEmail(email)})
	case domain.CodeInvalid, domain.CodeRateLimited:
		return h.page(c, formStatus(c, err), pageResetRequest, resetRequestPage{form: newForm(map[string]string{"email": email}).withError(err)})
	}
	return err
}

// resetConfirmPage is the new-password form of a reset link, or why the link does not work.
type resetConfirmPage struct {
	form
	Token  string
	Broken string // why the link does not work; the form is not shown
}

// passwordResetConfirmForm handles GET /password-reset/confirm?token=.
func (h *Handler) passwordResetConfirmForm(c echo.Context) error {
	token := c.QueryParam("token")
	err := h.Auth.CheckPasswordReset(c.Request().Context(), token)
	switch domain.CodeOf(err) {
	case "":
		return h.page(c, http.StatusOK, pageResetConfirm, resetConfirmPage{form: newForm(nil), Token: token})
	case domain.CodeNotFound, domain.CodeGone:
		return h.page(c, status(err), pageResetConfirm, resetConfirmPage{form: newForm(nil), Broken: domain.MessageOf(err)})
	}
	return err
}

// confirmPasswordReset handles POST /password-reset/confirm: the new password is set, every
// session of the person ends (this browser's too), and they sign in with it.
func (h *Handler) confirmPasswordReset(c echo.Context) error {
	token := c.FormValue("token")
	_, err := h.Auth.ResetPassword(c.Request().Context(), token, c.FormValue("password"), c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		h.clearSession(c)
		h.flash(c, "Your new password is set and every session was signed out. Sign in with your new password.")
		return redirect(c, routePath("login"))
	case domain.CodeNotFound, domain.CodeGone:
		return h.page(c, status(err), pageResetConfirm, resetConfirmPage{form: newForm(nil), Broken: domain.MessageOf(err)})
	case domain.CodeInvalid, domain.CodeRateLimited:
		return h.page(c, formStatus(c, err), pageResetConfirm, resetConfirmPage{form: newForm(nil).withError(err), Token: token})
	}
	return err
}

// clearSession drops the session cookie.
func (h *Handler) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: app.SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.SecureCookies})
}

// verifyPage asks to confirm a verification link (a button, so mail scanners that open
// links do not use it up), or says how it went.
type verifyPage struct {
	Token    string
	Verified bool
	Broken   string
	SignedIn bool
}

// verifyEmailPage handles GET /verify-email?token=.
func (h *Handler) verifyEmailPage(c echo.Context) error {
	_, signedIn := h.optionalUser(c)
	return h.verifyPage(c, http.StatusOK, verifyPage{Token: c.QueryParam("token"), SignedIn: signedIn})
}

// verifyEmail handles POST /verify-email: the link's address is verified.
func (h *Handler) verifyEmail(c echo.Context) error {
	_, signedIn := h.optionalUser(c)
	_, err := h.Auth.VerifyEmail(c.Request().Context(), c.FormValue("token"))
	switch domain.CodeOf(err) {
	case "":
		return h.verifyPage(c, http.StatusOK, verifyPage{Verified: true, SignedIn: signedIn})
	case domain.CodeNotFound, domain.CodeGone, domain.CodeConflict:
		return h.verifyPage(c, status(err), verifyPage{Broken: domain.MessageOf(err), SignedIn: signedIn})
	}
	return err
}

// verifyPage renders p; for a signed-in person through the sign-in guard, so the layout
// shows their session (and drops the banner once verified), as on every signed-in page.
func (h *Handler) verifyPage(c echo.Context, status int, p verifyPage) error {
	render := func(c echo.Context) error { return h.page(c, status, pageVerifyEmail, p) }
	if p.SignedIn {
		return h.signedIn(render)(c)
	}
	return render(c)
}

// resendVerification handles POST /verify-email/resend: a new link is emailed; the person
// goes back where they were (a page of this site), with a message.
func (h *Handler) resendVerification(c echo.Context) error {
	err := h.Auth.ResendVerification(c.Request().Context(), sessionOf(c).User.ID)
	back := domain.LocalPathOr(c.FormValue("next"), routePath("home"))
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "We emailed a new verification link to "+sessionOf(c).User.Email+". It works for 48 hours.")
	case domain.CodeConflict, domain.CodeRateLimited, domain.CodeUnavailable:
		h.flash(c, domain.MessageOf(err))
	default:
		return err
	}
	return redirect(c, back)
}
