package tiktok

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func TestAdapter_AuthCodeURL(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	a := f.adapter(nil)

	raw := a.AuthCodeURL("st-123", "verifier-unused", f.redirectURI)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, f.srv.URL+"/v2/auth/authorize/"; got != want {
		t.Errorf("consent page = %s, want %s", got, want)
	}
	q := u.Query()
	want := map[string]string{
		"client_key": "ck-test", "response_type": "code", "state": "st-123", "redirect_uri": f.redirectURI,
		"scope": "user.info.basic,video.publish,video.list",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	// TikTok calls the client id client_key; Login Kit for Web takes no PKCE challenge.
	for _, k := range []string{"client_id", "code_challenge", "code_challenge_method"} {
		if q.Has(k) {
			t.Errorf("consent URL has %s; it must not", k)
		}
	}
}

func TestAdapter_Exchange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OneIdentityWithDisplayNameAndTokens", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		a := f.adapter(nil)
		ids, err := a.Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if len(ids) != 1 {
			t.Fatalf("Exchange returned %d identities, want 1", len(ids))
		}
		id := ids[0]
		if id.ExternalID != "open-1" || id.DisplayName != "Ada Creates" {
			t.Errorf("identity = %q %q, want open-1 Ada Creates", id.ExternalID, id.DisplayName)
		}
		c := id.Credentials
		if !strings.HasPrefix(c.AccessToken, "act.") || !strings.HasPrefix(c.RefreshToken, "rft.") {
			t.Errorf("tokens = %q, %q", c.AccessToken, c.RefreshToken)
		}
		if want := f.now.Add(2 * time.Hour); !c.Expiry.Equal(want) {
			t.Errorf("Expiry = %v, want %v (now + expires_in)", c.Expiry, want)
		}
		if !slices.Contains(c.Scopes, "video.publish") || !slices.Contains(c.Scopes, "video.list") || len(c.Scopes) != 4 {
			t.Errorf("Scopes = %v, want the 4 granted", c.Scopes)
		}
	})

	t.Run("ReusedCodeIsInvalid", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		a := f.adapter(nil)
		code := f.code("open-1")
		if _, err := a.Exchange(ctx, code, "", f.redirectURI); err != nil {
			t.Fatal(err)
		}
		_, err := a.Exchange(ctx, code, "", f.redirectURI)
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf(second Exchange) = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("WrongRedirectIsInvalid", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		_, err := f.adapter(nil).Exchange(ctx, f.code("open-1"), "", "https://elsewhere.example.com/cb")
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("WithoutVideoPublishIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.grantScope = "user.info.basic,video.list"
		_, err := f.adapter(nil).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeForbidden, err)
		}
		if f.count("/v2/user/info/") != 0 {
			t.Errorf("user info was read for a login Herald cannot use")
		}
	})

	t.Run("WrongSecretIsUnavailableForTheOperator", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		_, err := f.adapter(func(c *Config) { c.ClientSecret = "wrong" }).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if got := domain.CodeOf(err); got != domain.CodeUnavailable {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnavailable, err)
		}
		if strings.Contains(domain.MessageOf(err), "wrong") {
			t.Errorf("message %q leaks the secret", domain.MessageOf(err))
		}
	})

	t.Run("TokenEndpointDownIsUnavailable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.failNext("/v2/oauth/token/", injected{status: 503, raw: "<html>Service Unavailable</html>"})
		_, err := f.adapter(nil).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if got := domain.CodeOf(err); got != domain.CodeUnavailable {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnavailable, err)
		}
	})
}

func TestAdapter_Refresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	connect := func(t *testing.T, f *fake) domain.Credentials {
		t.Helper()
		ids, err := f.adapter(nil).Exchange(ctx, f.code("open-1"), "", f.redirectURI)
		if err != nil {
			t.Fatal(err)
		}
		return ids[0].Credentials
	}

	t.Run("RotatedRefreshTokenReplacesTheOld", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.rotate = true
		a := f.adapter(nil)
		old := connect(t, f)
		got, err := a.Refresh(ctx, old)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got.AccessToken == old.AccessToken || got.RefreshToken == old.RefreshToken || got.RefreshToken == "" {
			t.Errorf("Refresh = %q/%q, want new access and refresh tokens (old %q/%q)", got.AccessToken, got.RefreshToken, old.AccessToken, old.RefreshToken)
		}
		if !got.Expiry.Equal(f.now.Add(2 * time.Hour)) {
			t.Errorf("Expiry = %v", got.Expiry)
		}
		// The old refresh token no longer works; the new one does.
		if _, err := a.Refresh(ctx, old); domain.CodeOf(err) != domain.CodeUnauthenticated {
			t.Errorf("Refresh(old) = %v, want unauthenticated", err)
		}
		if _, err := a.Refresh(ctx, got); err != nil {
			t.Errorf("Refresh(new): %v", err)
		}
	})

	t.Run("KeepsTheRefreshTokenWhenNotRotated", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.rotate = false
		old := connect(t, f)
		got, err := f.adapter(nil).Refresh(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		if got.RefreshToken != old.RefreshToken || got.AccessToken == old.AccessToken {
			t.Errorf("Refresh = %q/%q, want a new access token and the old refresh token %q", got.AccessToken, got.RefreshToken, old.RefreshToken)
		}
	})

	t.Run("InvalidGrantIsUnauthenticated", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		_, err := f.adapter(nil).Refresh(ctx, domain.Credentials{AccessToken: "act.x", RefreshToken: "rft.revoked"})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
		if strings.Contains(err.Error(), "rft.revoked") {
			t.Errorf("error %q contains the refresh token", err)
		}
	})

	t.Run("ErrorInA200AnswerIsStillAnError", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		old := connect(t, f)
		f.failNext("/v2/oauth/token/", injected{status: 200, raw: `{"error":"invalid_grant","error_description":"Refresh token is invalid or expired.","log_id":"x"}`})
		_, err := f.adapter(nil).Refresh(ctx, old)
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
	})

	t.Run("RateLimitedIsRetryable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		old := connect(t, f)
		f.failNext("/v2/oauth/token/", injected{status: 429, code: "rate_limit_exceeded", header: map[string][]string{"Retry-After": {"12"}}})
		_, err := f.adapter(nil).Refresh(ctx, old)
		var e *domain.Error
		if !asDomain(err, &e) || e.Code != domain.CodeRateLimited || e.RetryAfter != 12*time.Second {
			t.Fatalf("Refresh = %v, want rate_limited after 12s", err)
		}
	})
}
