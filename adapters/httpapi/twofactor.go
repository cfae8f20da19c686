package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// loginAnswer is the answer of a sign-in: the session, or, for a person with two-factor
// sign-in, the MFA token that POST /auth/login/mfa takes (no session yet).
func loginAnswer(c echo.Context, status int, u domain.User, issued app.Issued, extra map[string]any) error {
	if issued.MFAToken != "" {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.JSON(http.StatusOK, map[string]any{"mfa_required": true, "mfa_token": issued.MFAToken,
			"expires_at": rfc3339(issued.MFAExpiresAt), "methods": issued.MFAMethods})
	}
	out := map[string]any{"token": issued.Secret, "expires_at": rfc3339(issued.Token.ExpiresAt), "user": toUser(u)}
	for k, v := range extra {
		out[k] = v
	}
	return c.JSON(status, out)
}

// loginMFA handles POST /auth/login/mfa: {"mfa_token","code"}, code being the 6 digits of
// the authenticator app or a recovery code; it answers as a login without 2FA does.
func (a *API) loginMFA(c echo.Context) error {
	var in struct {
		MFAToken string `json:"mfa_token"`
		Code     string `json:"code"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u, issued, err := a.auth.CompleteLogin(c.Request().Context(), in.MFAToken, in.Code, c.RealIP())
	if err != nil {
		return err
	}
	return loginAnswer(c, http.StatusOK, u, issued, nil)
}

// twoFactorStatus handles GET /auth/2fa: whether the caller's two-factor sign-in is on.
func (a *API) twoFactorStatus(c echo.Context) error {
	st, err := a.auth.TwoFactorStatus(c.Request().Context(), session(c).User.ID)
	if err != nil {
		return err
	}
	var enabledAt any
	if st.Enabled {
		enabledAt = rfc3339(st.EnabledAt)
	}
	return c.JSON(http.StatusOK, map[string]any{"enabled": st.Enabled, "enabled_at": enabledAt, "pending": st.Pending,
		"recovery_codes_left": st.RecoveryCodesLeft})
}

// beginTOTP handles POST /auth/2fa/totp: a new authenticator secret for the caller, shown
// once, that works after POST /auth/2fa/totp/confirm.
func (a *API) beginTOTP(c echo.Context) error {
	e, err := a.auth.BeginTOTP(c.Request().Context(), session(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"otpauth_url": e.URL, "secret": e.Secret, "qr_code": e.QRDataURL()})
}

// confirmTOTP handles POST /auth/2fa/totp/confirm {"code"}: two-factor sign-in is on, and
// the answer carries the recovery codes, shown once.
func (a *API) confirmTOTP(c echo.Context) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	codes, err := a.auth.ConfirmTOTP(c.Request().Context(), session(c), in.Code)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"recovery_codes": codes})
}

// disableTOTP handles DELETE /auth/2fa/totp {"password","code"}: 204, and every other
// session of the caller ends.
func (a *API) disableTOTP(c echo.Context) error {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := a.auth.DisableTOTP(c.Request().Context(), session(c), app.TwoFactorDisable{Password: in.Password, Code: in.Code}); err != nil {
		return err
	}
	return noContent(c)
}

// regenerateRecoveryCodes handles POST /auth/2fa/recovery-codes {"code"}: new recovery
// codes, shown once; the old ones stop working.
func (a *API) regenerateRecoveryCodes(c echo.Context) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	codes, err := a.auth.RegenerateRecoveryCodes(c.Request().Context(), session(c), in.Code)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"recovery_codes": codes})
}
