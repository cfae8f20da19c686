package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// passkeyJSON is a passkey as the API shows it: never its key or credential id.
type passkeyJSON struct {
	ID             domain.PasskeyID `json:"id"`
	Name           string           `json:"name"`
	Transports     []string         `json:"transports"`
	BackupEligible bool             `json:"backup_eligible"`
	BackupState    bool             `json:"backup_state"`
	CreatedAt      string           `json:"created_at"`
	LastUsedAt     *string          `json:"last_used_at"`
}

func toPasskey(p domain.Passkey) passkeyJSON {
	out := passkeyJSON{ID: p.ID, Name: p.Name, Transports: p.Transports, BackupEligible: p.BackupEligible,
		BackupState: p.BackupState, CreatedAt: rfc3339(p.CreatedAt)}
	if out.Transports == nil {
		out.Transports = []string{}
	}
	if !p.LastUsedAt.IsZero() {
		s := rfc3339(p.LastUsedAt)
		out.LastUsedAt = &s
	}
	return out
}

// ceremonyJSON is a begun ceremony: options for navigator.credentials.create or .get.
func ceremonyJSON(c app.Ceremony) map[string]any {
	return map[string]any{"ceremony_id": c.ID, "options": json.RawMessage(c.Options)}
}

// credentialOf returns the credential member of a finish request, or CodeInvalid.
func credentialOf(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, domain.InvalidField("credential", "is required: the PublicKeyCredential the browser answered, as JSON")
	}
	return raw, nil
}

// beginPasskeyRegistration handles POST /auth/passkeys/register/begin: a person who
// signed in more than ten minutes ago gives "password" again.
func (a *API) beginPasskeyRegistration(c echo.Context) error {
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	cer, err := a.passkeys.BeginRegistration(c.Request().Context(), session(c), in.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ceremonyJSON(cer))
}

// finishPasskeyRegistration handles POST /auth/passkeys/register/finish: 201 passkey.
func (a *API) finishPasskeyRegistration(c echo.Context) error {
	var in struct {
		CeremonyID string          `json:"ceremony_id"`
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	cred, err := credentialOf(in.Credential)
	if err != nil {
		return err
	}
	pk, err := a.passkeys.FinishRegistration(c.Request().Context(), session(c), in.CeremonyID, in.Name, cred, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toPasskey(pk))
}

// listPasskeys handles GET /auth/passkeys: the caller's passkeys, oldest first.
func (a *API) listPasskeys(c echo.Context) error {
	ks, err := a.passkeys.List(c.Request().Context(), session(c).User.ID)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, len(ks))
	for i, k := range ks {
		out[i] = toPasskey(k)
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// deletePasskey handles DELETE /auth/passkeys/:id.
func (a *API) deletePasskey(c echo.Context) error {
	if err := a.passkeys.Delete(c.Request().Context(), session(c).User.ID, domain.PasskeyID(c.Param("id")), c.RealIP()); err != nil {
		return err
	}
	return noContent(c)
}

// beginPasskeyLogin handles POST /auth/passkeys/login/begin: options for a sign-in with
// any passkey of the browser (no email asked).
func (a *API) beginPasskeyLogin(c echo.Context) error {
	cer, err := a.passkeys.BeginLogin(c.Request().Context(), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ceremonyJSON(cer))
}

// finishPasskeyLogin handles POST /auth/passkeys/login/finish; it answers as /auth/login.
func (a *API) finishPasskeyLogin(c echo.Context) error {
	var in struct {
		CeremonyID string          `json:"ceremony_id"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	cred, err := credentialOf(in.Credential)
	if err != nil {
		return err
	}
	u, issued, err := a.passkeys.FinishLogin(c.Request().Context(), in.CeremonyID, cred, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"token": issued.Secret, "expires_at": rfc3339(issued.Token.ExpiresAt), "user": toUser(u)})
}
