package sandbox_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestAuthCodeURL_AsksForACodeWithAnS256Challenge(t *testing.T) {
	t.Parallel()

	s := sandbox.New(nil, sandbox.Config{BaseURL: baseURL + "/"})
	// RFC 7636, appendix B.
	raw := s.AuthCodeURL("xyz", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", callback)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("AuthCodeURL = %q: %v", raw, err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, baseURL+"/sandbox/oauth/authorize"; got != want {
		t.Errorf("AuthCodeURL address = %q, want %q", got, want)
	}
	want := url.Values{
		"response_type": {"code"}, "client_id": {"herald"}, "redirect_uri": {callback}, "state": {"xyz"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	if got := u.Query(); got.Encode() != want.Encode() {
		t.Errorf("AuthCodeURL query = %v, want %v", got, want)
	}
}

func TestConsent_AllowRedirectsWithCodeAndState(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})

	u, _ := url.Parse(f.s.AuthCodeURL("the-state", newVerifier(), callback))
	page := f.do(t, http.MethodGet, u.RequestURI(), nil)
	if page.Code != http.StatusOK {
		t.Fatalf("GET consent = %d, want 200; body:\n%s", page.Code, page.Body)
	}
	body := page.Body.String()
	for _, want := range []string{
		"Herald Sandbox wants to connect", "Sandbox account name", `name="handle"`, `value="sandbox-user"`,
		`name="decision" value="allow"`, `name="decision" value="deny"`, "/static/vendor/pico-2.1.1.min.css",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q:\n%s", want, body)
		}
	}
	// The form posts to the same address with the same query string.
	if want := `action="` + strings.ReplaceAll(u.RequestURI(), "&", "&amp;") + `"`; !strings.Contains(body, want) {
		t.Errorf("consent form lacks %s:\n%s", want, body)
	}

	rec := f.do(t, http.MethodPost, u.RequestURI(), url.Values{"decision": {"allow"}, "handle": {"  " + uniqueHandle() + " "}})
	if rec.Code != http.StatusFound {
		t.Fatalf("POST allow = %d, want 302; body:\n%s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callback {
		t.Errorf("redirected to %q, want %q", got, callback)
	}
	if q := loc.Query(); q.Get("code") == "" || q.Get("state") != "the-state" || q.Get("error") != "" {
		t.Errorf("redirect query = %v, want a code and state=the-state", q)
	}
}

func TestConsent_DenyRedirectsWithAccessDenied(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})

	u, _ := url.Parse(f.s.AuthCodeURL("s2", newVerifier(), "/api/v1/accounts/callback/sandbox"))
	rec := f.do(t, http.MethodPost, u.RequestURI(), url.Values{"decision": {"deny"}})
	if rec.Code != http.StatusFound {
		t.Fatalf("POST deny = %d, want 302; body:\n%s", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if loc.Path != "/api/v1/accounts/callback/sandbox" {
		t.Errorf("redirected to %q, want the callback path", loc)
	}
	if q := loc.Query(); q.Get("error") != "access_denied" || q.Get("state") != "s2" || q.Get("code") != "" {
		t.Errorf("redirect query = %v, want error=access_denied, state=s2, no code", q)
	}
}

func TestConsent_BadRequestIs400(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})

	good := func() url.Values {
		u, _ := url.Parse(f.s.AuthCodeURL("st", newVerifier(), callback))
		return u.Query()
	}
	tests := []struct {
		name   string
		change func(q url.Values)
		want   string // in the page
	}{
		{"NoResponseType", func(q url.Values) { q.Del("response_type") }, "response_type=code"},
		{"TokenResponseType", func(q url.Values) { q.Set("response_type", "token") }, "response_type=code"},
		{"UnknownClient", func(q url.Values) { q.Set("client_id", "evil") }, "client_id"},
		{"NoRedirect", func(q url.Values) { q.Del("redirect_uri") }, "no redirect_uri"},
		{"ForeignRedirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, "address on Herald"},
		{"ProtocolRelativeRedirect", func(q url.Values) { q.Set("redirect_uri", "//evil.example/cb") }, "address on Herald"},
		{"BackslashRedirect", func(q url.Values) { q.Set("redirect_uri", `/\evil.example/cb`) }, "address on Herald"},
		{"OtherSchemeRedirect", func(q url.Values) { q.Set("redirect_uri", "https://herald.test/cb") }, "address on Herald"},
		{"PathWithoutSlashRedirect", func(q url.Values) { q.Set("redirect_uri", "callback") }, "address on Herald"},
		{"JavaScriptRedirect", func(q url.Values) { q.Set("redirect_uri", "javascript:alert(1)") }, "address on Herald"},
		{"EncodedSlashesRedirect", func(q url.Values) { q.Set("redirect_uri", "/%2F%2Fevil.example/cb") }, "address on Herald"},
		{"EncodedTabRedirect", func(q url.Values) { q.Set("redirect_uri", "/%09/evil.example/cb") }, "address on Herald"},
		{"SpaceRedirect", func(q url.Values) { q.Set("redirect_uri", "/ /evil.example/cb") }, "address on Herald"},
		{"NoState", func(q url.Values) { q.Del("state") }, "no state"},
		{"RepeatedState", func(q url.Values) { q.Add("state", "other") }, "state appears more than once"},
		{"PlainChallengeMethod", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "S256"},
		{"NoChallenge", func(q url.Values) { q.Del("code_challenge") }, "code_challenge"},
		{"ShortChallenge", func(q url.Values) { q.Set("code_challenge", "abc") }, "code_challenge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			q := good()
			tt.change(q)
			target := "/sandbox/oauth/authorize?" + q.Encode()
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				var form url.Values
				if method == http.MethodPost {
					form = url.Values{"decision": {"allow"}, "handle": {uniqueHandle()}}
				}
				rec := f.do(t, method, target, form)
				if rec.Code != http.StatusBadRequest {
					t.Errorf("%s = %d, want 400; Location %q", method, rec.Code, rec.Header().Get("Location"))
				}
				if !strings.Contains(rec.Body.String(), tt.want) {
					t.Errorf("%s page lacks %q:\n%s", method, tt.want, rec.Body)
				}
			}
		})
	}
}

func TestConsent_BadHandleOrDecisionIsRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	u, _ := url.Parse(f.s.AuthCodeURL("st", newVerifier(), callback))

	for _, tt := range []struct {
		name string
		form url.Values
		want int
	}{
		{"EmptyHandle", url.Values{"decision": {"allow"}, "handle": {"   "}}, http.StatusUnprocessableEntity},
		{"LongHandle", url.Values{"decision": {"allow"}, "handle": {strings.Repeat("é", 61)}}, http.StatusUnprocessableEntity},
		{"NoDecision", url.Values{"handle": {"someone"}}, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := f.do(t, http.MethodPost, u.RequestURI(), tt.form)
			if rec.Code != tt.want {
				t.Errorf("POST %v = %d, want %d; Location %q", tt.form, rec.Code, tt.want, rec.Header().Get("Location"))
			}
		})
	}

	t.Run("DecisionInTheQueryIsIgnored", func(t *testing.T) {
		t.Parallel()
		rec := f.do(t, http.MethodPost, u.RequestURI()+"&decision=allow", url.Values{"handle": {uniqueHandle()}})
		if rec.Code == http.StatusFound {
			t.Errorf("POST with the decision only in the query = 302 to %q, want a refusal", rec.Header().Get("Location"))
		}
	})
}

func TestConsent_FormCarriesTheCSRFToken(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	f.e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { c.Set("csrf", "tok-123"); return next(c) }
	})

	u, _ := url.Parse(f.s.AuthCodeURL("st", newVerifier(), callback))
	rec := f.do(t, http.MethodGet, u.RequestURI(), nil)
	if want := `name="_csrf" value="tok-123"`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("consent page lacks %s:\n%s", want, rec.Body)
	}
}

func TestExchange_ReturnsTheUserWithNewTokens(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{TokenTTL: 15 * time.Minute})
	ctx := context.Background()

	verifier, handle := newVerifier(), uniqueHandle()
	ids, err := f.s.Exchange(ctx, f.authorize(t, handle, verifier), verifier, callback)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if len(ids) != 1 {
		t.Fatalf("Exchange returned %d identities, want 1", len(ids))
	}
	id := ids[0]
	if id.DisplayName != handle || id.ExternalID == "" {
		t.Errorf("identity = %q %q, want the user %q with an id", id.ExternalID, id.DisplayName, handle)
	}
	c := id.Credentials
	if c.AccessToken == "" || c.RefreshToken == "" || c.AccessToken == c.RefreshToken {
		t.Errorf("credentials = %+v, want distinct access and refresh tokens", c)
	}
	if want := f.clock.Now().Add(15 * time.Minute); c.Expiry.Sub(want).Abs() > time.Millisecond {
		t.Errorf("Expiry = %v, want %v", c.Expiry, want)
	}

	// The same handle signs in as the same user.
	verifier2 := newVerifier()
	again, err := f.s.Exchange(ctx, f.authorize(t, handle, verifier2), verifier2, callback)
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	if again[0].ExternalID != id.ExternalID {
		t.Errorf("second sign-in as %q = user %q, want %q", handle, again[0].ExternalID, id.ExternalID)
	}

	// Only hashes are stored.
	for _, secret := range []string{c.AccessToken, c.RefreshToken} {
		h := sha256.Sum256([]byte(secret))
		var byHash, plain int
		if err := f.db.QueryRow(`SELECT count(*) FROM sandbox_tokens WHERE hash = $1`, h[:]).Scan(&byHash); err != nil {
			t.Fatal(err)
		}
		if err := f.db.QueryRow(`SELECT count(*) FROM sandbox_tokens WHERE position(convert_to($1, 'UTF8') IN hash) > 0`, secret).Scan(&plain); err != nil {
			t.Fatal(err)
		}
		if byHash != 1 || plain != 0 {
			t.Errorf("tokens stored by hash: %d, in the clear: %d; want 1 and 0", byHash, plain)
		}
	}
}

func TestExchange_RefusesCodes(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	ctx := context.Background()

	t.Run("WrongVerifier", func(t *testing.T) {
		t.Parallel()
		verifier := newVerifier()
		code := f.authorize(t, uniqueHandle(), verifier)
		_, err := f.s.Exchange(ctx, code, newVerifier(), callback)
		wantCode(t, "Exchange(wrong verifier)", err, domain.CodeInvalid)
		if !strings.Contains(domain.MessageOf(err), "verifier") {
			t.Errorf("message %q does not say the verifier is wrong", domain.MessageOf(err))
		}
		// A failed attempt uses the code up.
		_, err = f.s.Exchange(ctx, code, verifier, callback)
		wantCode(t, "Exchange(code after a failed attempt)", err, domain.CodeInvalid)
	})

	t.Run("WrongRedirect", func(t *testing.T) {
		t.Parallel()
		verifier := newVerifier()
		_, err := f.s.Exchange(ctx, f.authorize(t, uniqueHandle(), verifier), verifier, baseURL+"/elsewhere")
		wantCode(t, "Exchange(wrong redirect)", err, domain.CodeInvalid)
	})

	t.Run("ReusedCode", func(t *testing.T) {
		t.Parallel()
		verifier := newVerifier()
		code := f.authorize(t, uniqueHandle(), verifier)
		if _, err := f.s.Exchange(ctx, code, verifier, callback); err != nil {
			t.Fatalf("first Exchange: %v", err)
		}
		_, err := f.s.Exchange(ctx, code, verifier, callback)
		wantCode(t, "Exchange(used code)", err, domain.CodeInvalid)
		if want := "did not accept that authorization code"; !strings.Contains(domain.MessageOf(err), want) {
			t.Errorf("message %q lacks %q", domain.MessageOf(err), want)
		}
	})

	t.Run("UnknownCode", func(t *testing.T) {
		t.Parallel()
		_, err := f.s.Exchange(ctx, "sbx_code_nonsense", newVerifier(), callback)
		wantCode(t, "Exchange(unknown code)", err, domain.CodeInvalid)
	})

	t.Run("ExpiredCode", func(t *testing.T) {
		t.Parallel()
		g := setup(t, sandbox.Config{}) // its own clock, moved below
		verifier := newVerifier()
		code := g.authorize(t, uniqueHandle(), verifier)
		g.clock.Add(10*time.Minute + time.Second)
		_, err := g.s.Exchange(ctx, code, verifier, callback)
		wantCode(t, "Exchange(code older than 10 minutes)", err, domain.CodeInvalid)
	})

	t.Run("CodeJustBeforeExpiry", func(t *testing.T) {
		t.Parallel()
		g := setup(t, sandbox.Config{})
		verifier := newVerifier()
		code := g.authorize(t, uniqueHandle(), verifier)
		g.clock.Add(9*time.Minute + 59*time.Second)
		if _, err := g.s.Exchange(ctx, code, verifier, callback); err != nil {
			t.Errorf("Exchange(code 9m59s old) = %v, want success", err)
		}
	})
}

func TestRefresh_RotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	ctx := context.Background()
	old, account := f.connect(t)

	fresh, err := f.s.Refresh(ctx, old)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if fresh.AccessToken == old.AccessToken || fresh.RefreshToken == old.RefreshToken || fresh.RefreshToken == "" {
		t.Errorf("Refresh = %+v, want new access and refresh tokens", fresh)
	}

	_, err = f.s.Refresh(ctx, old)
	wantCode(t, "Refresh(used refresh token)", err, domain.CodeUnauthenticated)
	if !strings.Contains(domain.MessageOf(err), "invalid_grant") {
		t.Errorf("message %q does not say invalid_grant", domain.MessageOf(err))
	}

	if _, err := f.s.Publish(ctx, fresh, account, ports.Publication{Reference: uniqueReference(), Text: "after refresh"}); err != nil {
		t.Errorf("Publish with the refreshed access token: %v", err)
	}
	if _, err := f.s.Refresh(ctx, fresh); err != nil {
		t.Errorf("Refresh(new refresh token): %v", err)
	}
}

func TestRefresh_UnknownTokenIsUnauthenticated(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})

	for _, rt := range []string{"", "sbx_rt_nonsense"} {
		_, err := f.s.Refresh(context.Background(), domain.Credentials{RefreshToken: rt})
		wantCode(t, "Refresh("+rt+")", err, domain.CodeUnauthenticated)
	}
	// An access token is not a refresh token.
	c, _ := f.connect(t)
	_, err := f.s.Refresh(context.Background(), domain.Credentials{RefreshToken: c.AccessToken})
	wantCode(t, "Refresh(access token)", err, domain.CodeUnauthenticated)
}
