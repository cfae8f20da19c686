// Package platformauth is every platform's OAuth 2.0 authorization-code flow on
// golang.org/x/oauth2: the consent URL (with the PKCE S256 challenge where the platform
// takes one), the code exchange, refresh through a token source, and one classification of
// token-endpoint errors into Herald's codes. Platform quirks (TikTok's client_key, Meta's
// long-lived exchange) are thin layers on it in the adapters.
package platformauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/domain"
)

// Client is one platform app's OAuth client.
type Client struct {
	// Platform names the platform in messages.
	Platform domain.Platform
	// Config is the app's client id, secret, endpoints and scopes; RedirectURL is set per
	// call. An Endpoint.AuthStyle left at auto-detect means client_id and client_secret in
	// the form: auto-detection would send a refused request a second time, and a refresh
	// token twice to a platform that rotates them.
	Config oauth2.Config
	// PKCE: the platform takes an S256 code challenge (RFC 7636).
	PKCE bool
	// HTTP is the client for token requests; nil means one with a 30 s timeout.
	HTTP *http.Client
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *Client) ctx(ctx context.Context) context.Context {
	h := c.HTTP
	if h == nil {
		h = defaultHTTP
	}
	return context.WithValue(ctx, oauth2.HTTPClient, h)
}

func (c *Client) config(redirectURL string) *oauth2.Config {
	cfg := c.Config
	cfg.RedirectURL = redirectURL
	if cfg.Endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return &cfg
}

// AuthCodeURL returns the consent page's address for state, with the S256 challenge of
// verifier when the platform takes PKCE, and any extra parameters.
func (c *Client) AuthCodeURL(state, verifier, redirectURL string, opts ...oauth2.AuthCodeOption) string {
	if c.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	return c.config(redirectURL).AuthCodeURL(state, opts...)
}

// Exchange trades code for a token, sending verifier when the platform takes PKCE. A
// refused code is CodeInvalid; see Classify for the rest.
func (c *Client) Exchange(ctx context.Context, code, verifier, redirectURL string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	if c.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.config(redirectURL).Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		return nil, c.Classify(err, false)
	}
	return tok, nil
}

// Refresh trades refreshToken for a new token through the config's token source. A
// refused refresh token is CodeUnauthenticated: the grant is gone and a person must
// reconnect. An answer without a refresh token keeps refreshToken (x/oauth2 does).
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, domain.Errorf(domain.CodeUnauthenticated, "%s gave Herald no refresh token for this account; reconnect it.", c.Platform.Title())
	}
	// An already expired token makes the source refresh at once.
	src := c.config(c.Config.RedirectURL).TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		return nil, c.Classify(err, true)
	}
	return tok, nil
}

// Credentials turns tok into Herald's credentials. A token without a refresh token keeps
// previous: a stored refresh token is never replaced by an empty one.
func Credentials(tok *oauth2.Token, previous string, scopes []string) domain.Credentials {
	c := domain.Credentials{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, Scopes: scopes}
	if c.RefreshToken == "" {
		c.RefreshToken = previous
	}
	if s, ok := tok.Extra("scope").(string); ok && s != "" && scopes == nil {
		c.Scopes = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return c
}

// Classify turns an error from the token endpoint into a Herald error; refresh says
// whether it answered a refresh (a refused grant means reconnecting) or an exchange (a
// refused code means starting over). The platform's error code and description are kept
// for the log only; messages name the platform and what a person can do.
func (c *Client) Classify(err error, refresh bool) error {
	name := c.Platform.Title()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return &domain.Error{Code: domain.CodeUnavailable, Message: name + " could not be reached to renew access; Herald will try again.", Err: fmt.Errorf("%s token: %w", c.Platform, err)}
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	cause := fmt.Errorf("%s token: HTTP %d %s %s", c.Platform, status, re.ErrorCode, truncate(re.ErrorDescription, 200))
	switch {
	case status == http.StatusTooManyRequests || re.ErrorCode == "slow_down":
		return &domain.Error{Code: domain.CodeRateLimited, RetryAfter: RetryAfter(header, time.Minute), Message: name + " is limiting requests for now; Herald will try again.", Err: cause}
	case status >= 500 || re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error":
		return &domain.Error{Code: domain.CodeUnavailable, Message: name + " is not answering properly; Herald will try again.", Err: cause}
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || status == http.StatusUnauthorized && re.ErrorCode == "":
		return &domain.Error{Code: domain.CodeUnavailable, Message: name + " refused Herald's app credentials; the operator must check the app's client id and secret.", Err: cause}
	case refresh:
		return &domain.Error{Code: domain.CodeUnauthenticated, Message: name + " no longer accepts Herald's access to this account; reconnect it.", Err: cause}
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: name + " did not accept the sign-in (the code was used, expired or did not match); please connect again.", Err: cause}
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date), or gives fallback.
func RetryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return fallback
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return time.Second
	}
	return fallback
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
