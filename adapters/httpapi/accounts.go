package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

type accountJSON struct {
	ID             domain.AccountID     `json:"id"`
	Platform       domain.Platform      `json:"platform"`
	ExternalID     string               `json:"external_id"`
	DisplayName    string               `json:"display_name"`
	Status         domain.AccountStatus `json:"status"`
	StatusReason   *string              `json:"status_reason"`
	TokenExpiresAt *string              `json:"token_expires_at"`
	ConnectedAt    string               `json:"connected_at"`
	// LastSuccessAt is when the platform last answered a call for the account with a
	// success (publish, metrics, token refresh), to the minute; null before the first.
	LastSuccessAt *string `json:"last_success_at"`
	// AccessEndsAt is when Herald's access ends unless a person reconnects the account: the
	// expiry of a token Herald cannot renew (such as LinkedIn's without programmatic
	// refresh); null when Herald renews the token itself or it does not expire.
	AccessEndsAt *string `json:"access_ends_at"`
}

func toAccount(a domain.Account) accountJSON {
	return accountJSON{ID: a.ID, Platform: a.Platform, ExternalID: a.ExternalID, DisplayName: a.DisplayName, Status: a.Status,
		StatusReason: optional(a.StatusReason), TokenExpiresAt: optionalTime(a.TokenExpiresAt), ConnectedAt: rfc3339(a.ConnectedAt),
		LastSuccessAt: optionalTime(a.LastSuccessAt), AccessEndsAt: optionalTime(a.AccessEndsAt())}
}

// retryFailed handles POST /accounts/:id/retry-failed: every post that failed on the
// account, each sent again at its own time if that is still ahead, else now.
func (a *API) retryFailed(c echo.Context) error {
	ps, err := a.posts.RetryFailed(c.Request().Context(), actor(c), domain.AccountID(c.Param("id")))
	if err != nil {
		return err
	}
	out, err := a.toPosts(c, ps...)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"posts": out})
}

// listAccounts handles GET /accounts.
func (a *API) listAccounts(c echo.Context) error {
	as, err := a.accounts.List(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]accountJSON, len(as))
	for i, acct := range as {
		out[i] = toAccount(acct)
	}
	return c.JSON(http.StatusOK, newList(out, ""))
}

// connectAccount handles POST /accounts/connect/:platform: the consent page's address.
func (a *API) connectAccount(c echo.Context) error {
	var in struct {
		ReturnTo string `json:"return_to"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := a.accounts.Connect(c.Request().Context(), actor(c), c.Param("platform"), in.ReturnTo)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"authorize_url": u})
}

// disconnectAccount handles DELETE /accounts/:id.
func (a *API) disconnectAccount(c echo.Context) error {
	if err := a.accounts.Disconnect(c.Request().Context(), actor(c), domain.AccountID(c.Param("id"))); err != nil {
		return err
	}
	return noContent(c)
}

// accountCallback handles GET /accounts/callback/:platform, where the platform's consent
// page sends the browser. Only the person who started the flow can finish it: the request
// must carry their web session cookie, or the bearer token a script started it with. A
// request without credentials (a browser signed out of Herald) is sent to the sign-in page,
// which comes back here with the same code and state once the person has signed in. It
// otherwise answers with a redirect into the web app: the accounts page (or where the flow
// started) with ?connected=N, or ?connect_error=<kind> that the page turns into a sentence.
// Platform text is never echoed into the address.
func (a *API) accountCallback(c echo.Context) error {
	ctx := c.Request().Context()
	s, err := a.sessionOf(c)
	if err != nil {
		back := url.Values{}
		if next, ok := domain.LocalPath(c.Request().URL.RequestURI()); ok {
			back.Set("next", next)
		}
		login := "/login"
		if len(back) > 0 {
			login += "?" + back.Encode()
		}
		return c.Redirect(http.StatusSeeOther, login)
	}
	user := s.User.ID
	q := c.QueryParams()
	done, err := a.accounts.Callback(ctx, user, c.Param("platform"), q.Get("state"), q.Get("code"), q.Get("error"), q.Get("error_description"))
	v := url.Values{}
	if err == nil || len(done.Accounts) > 0 {
		v.Set("connected", strconv.Itoa(len(done.Accounts)))
	}
	switch {
	case err == nil:
	case domain.CodeOf(err) == domain.CodeLimit:
		v.Set("connect_error", "plan_limit")
	case errors.Is(err, app.ErrConnectOtherUser):
		v.Set("connect_error", "other_user")
	case errors.Is(err, app.ErrConnectExpired):
		v.Set("connect_error", "expired")
	case q.Get("error") == "access_denied" && domain.CodeOf(err) == domain.CodeForbidden:
		v.Set("connect_error", "denied")
	case domain.CodeOf(err) == domain.CodeForbidden || domain.CodeOf(err) == domain.CodeSuspended:
		v.Set("connect_error", "forbidden")
	case domain.CodeOf(err) == domain.CodeInvalid:
		v.Set("connect_error", "refused")
	case domain.CodeOf(err) == domain.CodeNotFound || domain.CodeOf(err) == domain.CodeUnavailable || domain.CodeOf(err) == domain.CodeRateLimited:
		v.Set("connect_error", "unavailable")
	default:
		v.Set("connect_error", "failed")
	}
	if err != nil {
		a.log.WarnContext(ctx, "connecting an account failed", "platform", c.Param("platform"), "err", err)
	}
	back := domain.LocalPathOr(done.ReturnTo, "/accounts")
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, back+sep+v.Encode())
}
