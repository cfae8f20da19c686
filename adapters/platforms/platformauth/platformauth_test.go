package platformauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/domain"
)

// tokenServer is an RFC 6749 token endpoint (section 4.1.3 and 6) with PKCE (RFC 7636
// section 4.6) and refresh-token rotation, and a queue of error answers.
type tokenServer struct {
	mu        sync.Mutex
	codes     map[string]string // code -> S256 challenge
	refresh   map[string]bool   // live refresh tokens
	seq       int
	next      func(w http.ResponseWriter) bool // answers instead, once, when it returns true
	noRefresh bool                             // answers without a refresh token
	forms     []url.Values
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = r.ParseForm()
	s.forms = append(s.forms, r.PostForm)
	if next := s.next; next != nil {
		s.next = nil
		if next(w) {
			return
		}
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != "app" || secret != "s3cret" {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		challenge, ok := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code"))
		if !ok || r.PostForm.Get("redirect_uri") != "https://herald.test/cb" || oauth2.S256ChallengeFromVerifier(r.PostForm.Get("code_verifier")) != challenge {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
	case "refresh_token":
		if !s.refresh[r.PostForm.Get("refresh_token")] {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.refresh, r.PostForm.Get("refresh_token"))
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	s.seq++
	ans := map[string]any{"access_token": "at-" + string(rune('a'+s.seq)), "token_type": "Bearer", "expires_in": 3600, "scope": "read write"}
	if !s.noRefresh {
		rt := "rt-" + string(rune('a'+s.seq))
		s.refresh[rt] = true
		ans["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "refused by the test server"})
}

func setup(t *testing.T) (*Client, *tokenServer) {
	s := &tokenServer{codes: map[string]string{}, refresh: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &Client{Platform: domain.Sandbox, PKCE: true, Config: oauth2.Config{ClientID: "app", ClientSecret: "s3cret",
		Endpoint: oauth2.Endpoint{AuthURL: "https://consent.test/authorize", TokenURL: srv.URL + "/token"}, Scopes: []string{"read", "write"}}}, s
}

func TestClient_ConsentExchangeRefreshRotation(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	verifier := oauth2.GenerateVerifier()
	raw := c.AuthCodeURL("st-1", verifier, "https://herald.test/cb")
	u, _ := url.Parse(raw)
	q := u.Query()
	if q.Get("state") != "st-1" || q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(verifier) || q.Get("code_challenge_method") != "S256" ||
		q.Get("scope") != "read write" || q.Get("redirect_uri") != "https://herald.test/cb" || strings.Contains(raw, "s3cret") {
		t.Fatalf("AuthCodeURL = %s", raw)
	}
	s.codes["code-1"] = q.Get("code_challenge")
	tok, err := c.Exchange(context.Background(), "code-1", verifier, "https://herald.test/cb")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	creds := Credentials(tok, "", nil)
	if creds.AccessToken == "" || creds.RefreshToken == "" || creds.Expiry.IsZero() || len(creds.Scopes) != 2 {
		t.Fatalf("credentials %+v", creds)
	}
	// The code is single-use.
	if _, err := c.Exchange(context.Background(), "code-1", verifier, "https://herald.test/cb"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("a used code: %v, want invalid", err)
	}
	next, err := c.Refresh(context.Background(), creds.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == creds.AccessToken || next.RefreshToken == creds.RefreshToken || next.RefreshToken == "" {
		t.Errorf("refresh gave %+v after %+v", next, creds)
	}
	// The rotated-out refresh token is refused: the grant is gone.
	if _, err := c.Refresh(context.Background(), creds.RefreshToken); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Errorf("an old refresh token: %v, want unauthenticated", err)
	}
	if got := s.forms[len(s.forms)-1].Get("grant_type"); got != "refresh_token" {
		t.Errorf("grant_type = %q", got)
	}
	// Each call is one request: a refused refresh is never sent twice (x/oauth2's
	// auto-detection of the client authentication style would).
	if len(s.forms) != 4 {
		t.Errorf("%d token requests for two exchanges and two refreshes", len(s.forms))
	}
}

func TestCredentials_KeepTheStoredRefreshToken(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.refresh["rt-stored"] = true
	s.noRefresh = true
	tok, err := c.Refresh(context.Background(), "rt-stored")
	if err != nil {
		t.Fatal(err)
	}
	if got := Credentials(tok, "rt-stored", nil).RefreshToken; got != "rt-stored" {
		t.Errorf("a refresh answer without a refresh token gave %q, want the stored one kept", got)
	}
	if _, err := c.Refresh(context.Background(), ""); domain.CodeOf(err) != domain.CodeUnauthenticated {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestClassify_EachFailureClass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		answer  func(w http.ResponseWriter) bool
		refresh bool
		want    domain.Code
		wait    time.Duration
	}{
		{"rate limited with Retry-After", func(w http.ResponseWriter) bool {
			w.Header().Set("Retry-After", "120")
			oauthError(w, http.StatusTooManyRequests, "rate_limited")
			return true
		}, true, domain.CodeRateLimited, 2 * time.Minute},
		{"server error", func(w http.ResponseWriter) bool { oauthError(w, 503, "temporarily_unavailable"); return true }, true, domain.CodeUnavailable, 0},
		{"server error without a body", func(w http.ResponseWriter) bool { w.WriteHeader(502); return true }, true, domain.CodeUnavailable, 0},
		{"invalid client is the operator's, not the account's", func(w http.ResponseWriter) bool { oauthError(w, 401, "invalid_client"); return true }, true, domain.CodeUnavailable, 0},
		{"refused grant on refresh", func(w http.ResponseWriter) bool { oauthError(w, 400, "invalid_grant"); return true }, true, domain.CodeUnauthenticated, 0},
		{"error in a 200 answer", func(w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"expired"}`))
			return true
		}, true, domain.CodeUnauthenticated, 0},
		{"refused code on exchange", func(w http.ResponseWriter) bool { oauthError(w, 400, "invalid_grant"); return true }, false, domain.CodeInvalid, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.refresh["rt"] = true
			s.next = tc.answer
			var err error
			if tc.refresh {
				_, err = c.Refresh(context.Background(), "rt")
			} else {
				_, err = c.Exchange(context.Background(), "code", "verifier", "https://herald.test/cb")
			}
			if got := domain.CodeOf(err); got != tc.want {
				t.Fatalf("code %s, want %s (%v)", got, tc.want, err)
			}
			var de *domain.Error
			if errors.As(err, &de) && tc.wait > 0 && de.RetryAfter != tc.wait {
				t.Errorf("RetryAfter = %s, want %s", de.RetryAfter, tc.wait)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(domain.MessageOf(err), "refused by the test server") {
				t.Errorf("the error shows a secret or the platform's raw text to a person: %v", err)
			}
		})
	}
}

func TestClassify_NetworkErrorIsRetried(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	c.Config.Endpoint.TokenURL = "http://127.0.0.1:1/token"
	if _, err := c.Refresh(context.Background(), "rt"); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Errorf("unreachable token endpoint: %v, want unavailable", err)
	}
}
