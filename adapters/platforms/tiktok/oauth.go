package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Scopes are what Herald asks a creator for: the display name, direct posting, inbox
// uploads and reading the creator's videos (lookup and metrics).
// https://developers.tiktok.com/doc/content-posting-api-get-started/ and
// https://developers.tiktok.com/doc/display-api-overview/
var Scopes = []string{"user.info.basic", "video.publish", "video.upload", "video.list"}

// AuthCodeURL returns the Login Kit for Web consent page. TikTok names the client id
// client_key and separates scopes with commas. No PKCE challenge is sent: Login Kit for
// Web does not take one (code_verifier is "required for mobile and desktop app only"), so
// verifier is unused; state is the CSRF protection.
// https://developers.tiktok.com/doc/login-kit-web
// https://developers.tiktok.com/doc/oauth-user-access-token-management
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	q := url.Values{
		"client_key":    {a.cfg.ClientID},
		"scope":         {strings.Join(Scopes, ",")},
		"response_type": {"code"},
		"redirect_uri":  {redirectURL},
		"state":         {state},
	}
	sep := "?"
	if strings.Contains(a.cfg.AuthURL, "?") {
		sep = "&"
	}
	return a.cfg.AuthURL + sep + q.Encode()
}

// tokenAnswer is the token endpoint's answer, success or error.
// https://developers.tiktok.com/doc/oauth-user-access-token-management
// https://developers.tiktok.com/doc/oauth-error-handling
type tokenAnswer struct {
	OpenID           string `json:"open_id"`
	Scope            string `json:"scope"`
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	TokenType        string `json:"token_type"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	LogID            string `json:"log_id"`
}

// Exchange trades the consent code for the creator's tokens, then reads the creator's
// display name. One login is one TikTok account, so it returns one identity. A login that
// did not grant video.publish is refused with CodeForbidden: Herald could not post.
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	// POST https://open.tiktokapis.com/v2/oauth/token/, form-encoded, grant_type
	// authorization_code; redirect_uri must be the one of the consent request.
	// https://developers.tiktok.com/doc/oauth-user-access-token-management
	tok, err := a.token(ctx, url.Values{
		"client_key":    {a.cfg.ClientID},
		"client_secret": {a.cfg.ClientSecret},
		"code":          {code},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {redirectURL},
	})
	if err != nil {
		return nil, err
	}
	creds := a.credentials(tok, "")
	if !contains(creds.Scopes, "video.publish") {
		return nil, &domain.Error{Code: domain.CodeForbidden, Message: "TikTok: the account did not allow Herald to publish videos; please connect again and allow every permission."}
	}
	// GET /v2/user/info/?fields=open_id,display_name (scope user.info.basic).
	// https://developers.tiktok.com/doc/display-api-overview/
	var info struct {
		User struct {
			OpenID      string `json:"open_id"`
			DisplayName string `json:"display_name"`
		} `json:"user"`
	}
	q := url.Values{"fields": {"open_id,display_name"}}
	if err := a.call(ctx, http.MethodGet, "/v2/user/info/", q, creds.AccessToken, nil, &info); err != nil {
		return nil, err
	}
	id := info.User.OpenID
	if id == "" {
		id = tok.OpenID
	}
	if id == "" {
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok did not say which account was connected; please try again.", Err: fmt.Errorf("tiktok: no open_id")}
	}
	name := info.User.DisplayName
	if name == "" {
		name = id
	}
	return []domain.Identity{{ExternalID: id, DisplayName: name, Credentials: creds}}, nil
}

// Refresh trades the refresh token for a new access token. TikTok may rotate the refresh
// token: the one in the answer replaces the old one, which stops working; when the answer
// has none the old one is kept. A refused refresh token (invalid_grant) is
// CodeUnauthenticated: a person must reconnect.
// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	if c.RefreshToken == "" {
		return domain.Credentials{}, &domain.Error{Code: domain.CodeUnauthenticated, Message: "TikTok: the connection cannot be renewed; please reconnect the account."}
	}
	tok, err := a.token(ctx, url.Values{
		"client_key":    {a.cfg.ClientID},
		"client_secret": {a.cfg.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.RefreshToken},
	})
	if err != nil {
		return domain.Credentials{}, err
	}
	return a.credentials(tok, c.RefreshToken), nil
}

// credentials maps a token answer; oldRefresh is kept when the answer has no refresh token.
func (a *Adapter) credentials(tok tokenAnswer, oldRefresh string) domain.Credentials {
	c := domain.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if c.RefreshToken == "" {
		c.RefreshToken = oldRefresh
	}
	if tok.ExpiresIn > 0 {
		c.Expiry = a.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	for _, s := range strings.Split(tok.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.Scopes = append(c.Scopes, s)
		}
	}
	return c
}

// token posts form to the token endpoint and classifies its errors.
// https://developers.tiktok.com/doc/oauth-error-handling
func (a *Adapter) token(ctx context.Context, form url.Values) (tokenAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("tiktok: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := a.client.Do(req)
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("tiktok: token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodyLength))
	if err != nil {
		return tokenAnswer{}, fmt.Errorf("tiktok: read token answer: %w", err)
	}
	var tok tokenAnswer
	decodeErr := json.Unmarshal(raw, &tok)
	if decodeErr == nil && tok.Error == "" && tok.AccessToken != "" && resp.StatusCode < 300 {
		return tok, nil
	}
	cause := fmt.Errorf("tiktok: token: HTTP %d, error %q, log_id %q", resp.StatusCode, tok.Error, tok.LogID)
	switch tok.Error {
	case "invalid_grant":
		return tokenAnswer{}, &domain.Error{Code: domain.CodeUnauthenticated, Message: "TikTok refused the sign-in: it expired or was revoked; please reconnect the account.", Err: cause}
	case "access_denied":
		return tokenAnswer{}, &domain.Error{Code: domain.CodeForbidden, Message: "TikTok: the account did not allow Herald access.", Err: cause}
	case "invalid_client", "unauthorized_client":
		return tokenAnswer{}, &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok refused Herald's app credentials; the operator must check HERALD_TIKTOK_CLIENT_ID and HERALD_TIKTOK_CLIENT_SECRET.", Err: cause}
	case "invalid_request", "invalid_scope", "unsupported_grant_type", "unsupported_response_type":
		return tokenAnswer{}, &domain.Error{Code: domain.CodeInvalid, Message: "TikTok refused the sign-in request.", Err: cause}
	case "rate_limit_exceeded":
		return tokenAnswer{}, &domain.Error{Code: domain.CodeRateLimited, Message: "TikTok: too many requests for now; Herald will try again shortly.", RetryAfter: retryAfter(resp, time.Minute), Err: cause}
	}
	return tokenAnswer{}, classifyStatus(resp, cause)
}
