package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// requestPasswordReset handles POST /auth/password-reset: 202 whether or not the email
// has an account; when it has, a single-use link is emailed.
func (a *API) requestPasswordReset(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := a.auth.RequestPasswordReset(c.Request().Context(), in.Email, c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

// confirmPasswordReset handles POST /auth/password-reset/confirm: the link's token sets a
// new password once, and every session of the person ends (they sign in again).
func (a *API) confirmPasswordReset(c echo.Context) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := a.auth.ResetPassword(c.Request().Context(), in.Token, in.Password, c.RealIP()); err != nil {
		return err
	}
	return noContent(c)
}

// verifyEmail handles POST /auth/verify-email: the link's token verifies the address it
// was sent to.
func (a *API) verifyEmail(c echo.Context) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := a.auth.VerifyEmail(c.Request().Context(), in.Token); err != nil {
		return err
	}
	return noContent(c)
}

// resendVerification handles POST /auth/verify-email/resend: a new verification link is
// emailed to the caller (throttled).
func (a *API) resendVerification(c echo.Context) error {
	if err := a.auth.ResendVerification(c.Request().Context(), session(c).User.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}
