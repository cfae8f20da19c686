package ui

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// passkeysPage lists the person's passkeys with forms to rename and delete each and to
// add one (which passkeys.js carries out with the browser's WebAuthn API).
type passkeysPage struct {
	Passkeys []domain.Passkey
	Enabled  bool
	// Recent says the person signed in a moment ago, so adding needs no password.
	Recent bool
}

// passkeys handles GET /profile/passkeys.
func (h *Handler) passkeys(c echo.Context) error {
	s := sessionOf(c)
	ks, err := h.Passkeys.List(c.Request().Context(), s.User.ID)
	if err != nil {
		return err
	}
	recent := s.Token.Kind == domain.TokenSession && h.now().Sub(s.Token.CreatedAt) < app.RecentSignIn
	return h.page(c, http.StatusOK, pagePasskeys, passkeysPage{Passkeys: ks, Enabled: h.Passkeys.Enabled(), Recent: recent})
}

// renamePasskey handles POST /profile/passkeys/:id/rename.
func (h *Handler) renamePasskey(c echo.Context) error {
	err := h.Passkeys.Rename(c.Request().Context(), sessionOf(c).User.ID, domain.PasskeyID(c.Param("id")), c.FormValue("name"), c.RealIP())
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "The passkey was renamed.")
	case domain.CodeInvalid:
		h.flash(c, "The passkey was not renamed: its name "+domain.FieldsOf(err)["name"]+".")
	default:
		return err
	}
	return redirect(c, routePath("passkeys"))
}

// deletePasskey handles POST /profile/passkeys/:id/delete.
func (h *Handler) deletePasskey(c echo.Context) error {
	if err := h.Passkeys.Delete(c.Request().Context(), sessionOf(c).User.ID, domain.PasskeyID(c.Param("id")), c.RealIP()); err != nil {
		return err
	}
	h.flash(c, "The passkey was deleted. It no longer signs you in.")
	return redirect(c, routePath("passkeys"))
}

// ceremonyRequest is what passkeys.js posts (JSON): a begin's password, a finish's
// ceremony id, name and the browser's credential, and where to go once signed in.
type ceremonyRequest struct {
	Password   string          `json:"password"`
	CeremonyID string          `json:"ceremony_id"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
	Next       string          `json:"next"`
}

// readCeremony reads the JSON body of a passkeys.js request (at most 64 KiB).
func readCeremony(c echo.Context) (ceremonyRequest, error) {
	var in ceremonyRequest
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil || json.Unmarshal(raw, &in) != nil {
		return in, domain.Errorf(domain.CodeBadRequest, "The request is not the JSON Herald's page sends.")
	}
	for _, s := range []string{in.Password, in.CeremonyID, in.Name, in.Next} {
		if domain.TextProblem(s) != "" {
			return in, domain.Errorf(domain.CodeInvalid, "The request holds a NUL character or bytes that are not UTF-8.")
		}
	}
	return in, nil
}

// ceremonyAnswer answers passkeys.js: the begun ceremony, or where to go, or the problem
// as {"message", "fields"} with its status (the script shows the message).
func ceremonyAnswer(c echo.Context, err error, ok any) error {
	if err == nil {
		return c.JSON(http.StatusOK, ok)
	}
	switch domain.CodeOf(err) {
	case domain.CodeInternal:
		return err
	case domain.CodeRateLimited:
		var de *domain.Error
		if errors.As(err, &de) && de.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(de.RetryAfter/time.Second)))
		}
	}
	return c.JSON(status(err), map[string]any{"message": domain.MessageOf(err), "fields": domain.FieldsOf(err)})
}

func ceremonyJSON(cer app.Ceremony) map[string]any {
	return map[string]any{"ceremony_id": cer.ID, "options": json.RawMessage(cer.Options)}
}

// beginPasskeyLogin handles POST /login/passkey/begin (passkeys.js).
func (h *Handler) beginPasskeyLogin(c echo.Context) error {
	cer, err := h.Passkeys.BeginLogin(c.Request().Context(), c.RealIP())
	return ceremonyAnswer(c, err, ceremonyJSON(cer))
}

// finishPasskeyLogin handles POST /login/passkey/finish (passkeys.js): signed in, the
// session cookie is set and the answer says where to go.
func (h *Handler) finishPasskeyLogin(c echo.Context) error {
	in, err := readCeremony(c)
	if err != nil {
		return ceremonyAnswer(c, err, nil)
	}
	_, issued, err := h.Passkeys.FinishLogin(c.Request().Context(), in.CeremonyID, in.Credential, c.RealIP())
	if err != nil {
		return ceremonyAnswer(c, err, nil)
	}
	h.startSession(c, issued)
	return c.JSON(http.StatusOK, map[string]string{"redirect": domain.LocalPathOr(in.Next, routePath("home"))})
}

// beginPasskeyRegistration handles POST /profile/passkeys/begin (passkeys.js).
func (h *Handler) beginPasskeyRegistration(c echo.Context) error {
	in, err := readCeremony(c)
	if err != nil {
		return ceremonyAnswer(c, err, nil)
	}
	cer, err := h.Passkeys.BeginRegistration(c.Request().Context(), sessionOf(c), in.Password)
	return ceremonyAnswer(c, err, ceremonyJSON(cer))
}

// finishPasskeyRegistration handles POST /profile/passkeys/finish (passkeys.js).
func (h *Handler) finishPasskeyRegistration(c echo.Context) error {
	in, err := readCeremony(c)
	if err != nil {
		return ceremonyAnswer(c, err, nil)
	}
	pk, err := h.Passkeys.FinishRegistration(c.Request().Context(), sessionOf(c), in.CeremonyID, in.Name, in.Credential, c.RealIP())
	if err != nil {
		return ceremonyAnswer(c, err, nil)
	}
	h.flash(c, "Your passkey “"+pk.Name+"” was added. You can sign in with it now.")
	return c.JSON(http.StatusOK, map[string]string{"redirect": routePath("passkeys")})
}
