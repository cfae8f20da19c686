package tiktok

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
)

// The scopes Herald uses. A creator may grant only some of those asked.
// https://developers.tiktok.com/doc/scopes-overview
const (
	// scopeUserInfo reads the creator's display name (GET /v2/user/info/).
	// https://developers.tiktok.com/doc/display-api-overview/
	scopeUserInfo = "user.info.basic"
	// scopePublish posts on the creator's profile (Direct Post, creator info).
	// https://developers.tiktok.com/doc/content-posting-api-get-started/
	scopePublish = "video.publish"
	// scopeUpload sends drafts to the creator's inbox; it is all inbox mode needs.
	// https://developers.tiktok.com/doc/content-posting-api-get-started-upload-content/
	scopeUpload = "video.upload"
	// scopeList reads the creator's public videos: Lookup and Metrics.
	// https://developers.tiktok.com/doc/tiktok-api-v2-video-list/
	scopeList = "video.list"
)

// Scopes returns the scopes Herald asks a creator for in postMode: the display name, and
// for direct posts video.publish and video.list (the posts' numbers and finding a post
// whose answer was lost); for inbox uploads only video.upload, since a draft in the
// creator's inbox has no public video Herald could read.
func Scopes(postMode string) []string {
	if postMode == PostInbox {
		return []string{scopeUserInfo, scopeUpload}
	}
	return []string{scopeUserInfo, scopePublish, scopeList}
}

// postingScope is the one scope without which Herald cannot post in postMode.
func postingScope(postMode string) string {
	if postMode == PostInbox {
		return scopeUpload
	}
	return scopePublish
}

// oauth is TikTok's Login Kit for Web on x/oauth2. No PKCE: the web flow takes none
// (code_verifier is "required for mobile and desktop apps" only), state is the CSRF
// protection.
// https://developers.tiktok.com/doc/login-kit-web
// https://developers.tiktok.com/doc/oauth-get-a-user-access-token
func (a *Adapter) oauth() *platformauth.Client {
	base := a.client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &platformauth.Client{
		Platform: domain.TikTok,
		Config: oauth2.Config{
			ClientID:     a.cfg.ClientID,
			ClientSecret: a.cfg.ClientSecret,
			// The client credentials go in the form body, as client_key and client_secret.
			Endpoint: oauth2.Endpoint{AuthURL: a.cfg.AuthURL, TokenURL: a.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
			Scopes:   Scopes(a.cfg.PostMode),
		},
		HTTP: &http.Client{Transport: clientKeyTransport{base: base}, Timeout: a.client.Timeout},
	}
}

// clientKeyTransport is the one TikTok quirk of the token endpoint: TikTok names the
// client id client_key. x/oauth2 writes client_id into the form of both the code exchange
// and the refresh (its token source takes no extra parameters), so the form is rewritten
// on its way out. TikTok's examples also send Cache-Control: no-cache.
// https://developers.tiktok.com/doc/oauth-get-a-user-access-token
// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
type clientKeyTransport struct{ base http.RoundTripper }

func (t clientKeyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		return t.base.RoundTrip(r)
	}
	raw, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("tiktok: token request: %w", err)
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, fmt.Errorf("tiktok: token request: %w", err)
	}
	renameClientID(form)
	body := []byte(form.Encode())
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.Header.Set("Cache-Control", "no-cache")
	return t.base.RoundTrip(out)
}

// renameClientID moves client_id to client_key, TikTok's name for it.
func renameClientID(v url.Values) {
	if v.Has("client_id") {
		v.Set("client_key", v.Get("client_id"))
		v.Del("client_id")
	}
}

// AuthCodeURL returns the Login Kit for Web consent page: client_key, the scopes of the
// configured post mode separated by commas, response_type code, redirect_uri and state.
// verifier is unused: the web flow takes no PKCE challenge.
// https://developers.tiktok.com/doc/login-kit-web
func (a *Adapter) AuthCodeURL(state, verifier, redirectURL string) string {
	raw := a.oauth().AuthCodeURL(state, verifier, redirectURL, oauth2.SetAuthURLParam("scope", strings.Join(Scopes(a.cfg.PostMode), ",")))
	u, err := url.Parse(raw)
	if err != nil {
		return raw // the configured AuthURL was checked at start; x/oauth2 only appends a query
	}
	q := u.Query()
	renameClientID(q)
	u.RawQuery = q.Encode()
	return u.String()
}

// Exchange trades the consent code for the creator's tokens, then reads the creator's
// display name. One login is one TikTok account, so it returns one identity. A login that
// did not grant the scope the post mode needs (video.publish, or video.upload for inbox
// mode) is refused with CodeForbidden: Herald could not post. A refused code is
// CodeInvalid (platformauth.Classify).
// https://developers.tiktok.com/doc/oauth-get-a-user-access-token
func (a *Adapter) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	tok, err := a.oauth().Exchange(ctx, code, verifier, redirectURL)
	if err != nil {
		return nil, err
	}
	creds := a.credentials(tok, "")
	if need := postingScope(a.cfg.PostMode); !slices.Contains(creds.Scopes, need) {
		what := "publish videos and photos"
		if need == scopeUpload {
			what = "send videos and photos to the creator's inbox"
		}
		return nil, &domain.Error{Code: domain.CodeForbidden, Message: "TikTok: the account did not allow Herald to " + what + "; please connect again and allow every permission.",
			Err: fmt.Errorf("tiktok: granted %q, %s missing", strings.Join(creds.Scopes, ","), need)}
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
		id, _ = tok.Extra("open_id").(string)
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

// Refresh trades the refresh token for a new access token. TikTok rotates refresh tokens:
// the answer's refresh token replaces the one sent, which stops working; an answer without
// one keeps it. A refused refresh token (invalid_grant) is CodeUnauthenticated: a person
// must reconnect; a server error (server_error, temporarily_unavailable, 5xx) is
// CodeUnavailable, to be retried (platformauth.Classify).
// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
// https://developers.tiktok.com/doc/oauth-error-handling
func (a *Adapter) Refresh(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	tok, err := a.oauth().Refresh(ctx, c.RefreshToken)
	if err != nil {
		return domain.Credentials{}, err
	}
	return a.credentials(tok, c.RefreshToken), nil
}

// credentials maps a token answer: the scopes granted (comma-separated), the previous
// refresh token kept when the answer has none, and the expiry by the adapter's clock.
func (a *Adapter) credentials(tok *oauth2.Token, previous string) domain.Credentials {
	c := platformauth.Credentials(tok, previous, nil)
	if tok.ExpiresIn > 0 {
		c.Expiry = a.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return c
}
