package linkedin

import (
	"context"
	"errors"
	"fmt"
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
	a := New(f.config())

	raw := a.AuthCodeURL("st4te", "verifier-not-sent", f.redirectURL)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("AuthCodeURL = %q: %v", raw, err)
	}
	q := u.Query()
	if got := u.Scheme + "://" + u.Host + u.Path; got != f.srv.URL+"/oauth/v2/authorization" {
		t.Errorf("consent page = %q", got)
	}
	for k, want := range map[string]string{"response_type": "code", "client_id": f.clientID, "redirect_uri": f.redirectURL, "state": "st4te"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	scopes := strings.Fields(q.Get("scope"))
	for _, s := range []string{"openid", "profile", "email", "w_member_social", "w_organization_social", "r_organization_social", "rw_organization_admin"} {
		if !slices.Contains(scopes, s) {
			t.Errorf("scope %q missing from %q", s, q.Get("scope"))
		}
	}
	// LinkedIn takes PKCE only for native apps; a web app must not send a challenge.
	if q.Has("code_challenge") || strings.Contains(raw, "verifier-not-sent") {
		t.Errorf("AuthCodeURL sends PKCE or the verifier: %q", raw)
	}
}

// TestAdapter_AuthCodeURL_MemberScopesByDefault: without Community Management approval,
// consent with organization scopes fails, so they are asked for only when configured.
func TestAdapter_AuthCodeURL_MemberScopesByDefault(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	cfg := f.config()
	cfg.Organizations = false
	u, err := url.Parse(New(cfg).AuthCodeURL("s", "v", f.redirectURL))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("scope"); got != "openid profile email w_member_social" {
		t.Errorf("scope = %q, want the member scopes alone", got)
	}
	cfg.Scopes = []string{"openid", "profile", "w_member_social", "r_member_social"}
	u, _ = url.Parse(New(cfg).AuthCodeURL("s", "v", f.redirectURL))
	if got := u.Query().Get("scope"); got != "openid profile w_member_social r_member_social" {
		t.Errorf("scope = %q, want the configured scopes", got)
	}
}

func TestAdapter_Exchange(t *testing.T) {
	t.Parallel()

	t.Run("MemberAndAdministeredOrganizations", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("abc123", "Ada Lovelace")
		f.code("code-1", "abc123")
		f.orgs["111"], f.orgs["222"], f.orgs["333"], f.orgs["444"] = "Acme Inc", "Globex", "Initech", "Umbrella"
		f.acls["abc123"] = []fakeACL{
			{"urn:li:organization:111", "ADMINISTRATOR", "APPROVED"},
			{"urn:li:organization:222", "ADMINISTRATOR", "APPROVED"},
			{"urn:li:organization:333", "ANALYST", "APPROVED"},        // not an administrator
			{"urn:li:organization:444", "ADMINISTRATOR", "REQUESTED"}, // not approved
		}
		a := New(f.config())

		ids, err := a.Exchange(context.Background(), "code-1", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		var got []string
		for _, id := range ids {
			got = append(got, id.ExternalID+"="+id.DisplayName)
			if id.Credentials.AccessToken == "" || id.Credentials.AccessToken != ids[0].Credentials.AccessToken {
				t.Errorf("%s has token %q; every identity shares the member's", id.ExternalID, id.Credentials.AccessToken)
			}
			if id.Credentials.Expiry.IsZero() {
				t.Errorf("%s: no expiry", id.ExternalID)
			}
		}
		want := []string{"urn:li:person:abc123=Ada Lovelace", "urn:li:organization:111=Acme Inc", "urn:li:organization:222=Globex"}
		if !slices.Equal(got, want) {
			t.Errorf("Exchange = %v, want %v", got, want)
		}
		if ids[0].Credentials.RefreshToken != "" {
			t.Errorf("refresh token %q without programmatic refresh", ids[0].Credentials.RefreshToken)
		}
	})

	t.Run("UnreadableOrganizationNameFallsBackToItsURN", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("m3", "Nameless")
		f.code("c", "m3")
		f.acls["m3"] = []fakeACL{{"urn:li:organization:777", "ADMINISTRATOR", "APPROVED"}} // no such organization: 404
		ids, err := New(f.config()).Exchange(context.Background(), "c", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if len(ids) != 2 || ids[1].ExternalID != "urn:li:organization:777" || ids[1].DisplayName != "urn:li:organization:777" {
			t.Errorf("Exchange = %+v; want the organization named by its URN", ids)
		}
	})

	t.Run("RateLimitedDuringConnect", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("m4", "Busy")
		f.code("c", "m4")
		f.fail("organizationAcls", fakeFailure{status: 429, retryAfter: "30", body: `{"status":429,"message":"throttled"}`})
		_, err := New(f.config()).Exchange(context.Background(), "c", "", f.redirectURL)
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeRateLimited || de.RetryAfter != 30*time.Second {
			t.Fatalf("Exchange = %v; want rate limited for 30s", err)
		}
	})

	t.Run("PagesThroughManyOrganizations", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("m1", "Many Pages")
		f.code("c", "m1")
		for i := range 130 {
			id := fmt.Sprint(1000 + i)
			f.orgs[id] = "Org " + id
			f.acls["m1"] = append(f.acls["m1"], fakeACL{"urn:li:organization:" + id, "ADMINISTRATOR", "APPROVED"})
		}
		ids, err := New(f.config()).Exchange(context.Background(), "c", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if len(ids) != 131 {
			t.Errorf("Exchange returned %d identities, want 131 (member and 130 organizations)", len(ids))
		}
	})

	t.Run("WithoutOrganizationAccessOnlyTheMember", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("m2", "Solo")
		f.code("c", "m2")
		f.aclForbidden = true
		ids, err := New(f.config()).Exchange(context.Background(), "c", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if len(ids) != 1 || ids[0].ExternalID != "urn:li:person:m2" {
			t.Errorf("Exchange = %+v, want the member alone", ids)
		}
	})

	t.Run("UsedOrUnknownCodeIsInvalid", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		_, err := New(f.config()).Exchange(context.Background(), "nope", "", f.redirectURL)
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf(Exchange(bad code)) = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("OrganizationsOffConnectsTheMemberAlone", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.member("m5", "Member Only")
		f.code("c", "m5")
		f.orgs["111"] = "Acme Inc"
		f.acls["m5"] = []fakeACL{{"urn:li:organization:111", "ADMINISTRATOR", "APPROVED"}}
		cfg := f.config()
		cfg.Organizations = false
		ids, err := New(cfg).Exchange(context.Background(), "c", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if len(ids) != 1 || ids[0].ExternalID != "urn:li:person:m5" {
			t.Errorf("Exchange = %+v, want the member alone", ids)
		}
		if calls := f.calls(); slices.Contains(calls, "GET organizationAcls") {
			t.Errorf("Exchange listed organizations although they are off: %v", calls)
		}
	})

	t.Run("WrongClientSecretIsAnOperatorProblem", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.code("c", "m")
		cfg := f.config()
		cfg.ClientSecret = "wrong"
		_, err := New(cfg).Exchange(context.Background(), "c", "", f.redirectURL)
		if got := domain.CodeOf(err); got != domain.CodeUnavailable {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnavailable, err)
		}
		if strings.Contains(domain.MessageOf(err), "wrong") {
			t.Errorf("message shows the secret: %q", domain.MessageOf(err))
		}
	})

	t.Run("WrongRedirectIsInvalid", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.code("c", "m")
		_, err := New(f.config()).Exchange(context.Background(), "c", "", "https://elsewhere.test/cb")
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})
}

func TestAdapter_Refresh(t *testing.T) {
	t.Parallel()

	t.Run("NewAccessTokenSameRefreshToken", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.grantRefresh = true
		f.member("r1", "Refreshing")
		f.code("c", "r1")
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		cfg := f.config()
		cfg.Now = func() time.Time { return now }
		a := New(cfg)
		ids, err := a.Exchange(context.Background(), "c", "", f.redirectURL)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		first := ids[0].Credentials
		if first.RefreshToken == "" {
			t.Fatalf("Exchange gave no refresh token although the app has programmatic refresh")
		}
		next, err := a.Refresh(context.Background(), first)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		// LinkedIn answers the same refresh token, whose lifetime keeps running.
		if next.AccessToken == first.AccessToken || next.RefreshToken != first.RefreshToken {
			t.Errorf("Refresh = %+v; want a new access token and the same refresh token", next)
		}
		if want := now.Add(60 * 24 * time.Hour); !next.Expiry.Equal(want) {
			t.Errorf("Expiry = %v, want %v", next.Expiry, want)
		}
		if !slices.Contains(next.Scopes, "w_member_social") {
			t.Errorf("Scopes = %v, want the granted scopes", next.Scopes)
		}
		// A revoked refresh token is refused: the grant is gone.
		f.mu.Lock()
		delete(f.refreshTokens, first.RefreshToken)
		f.mu.Unlock()
		_, err = a.Refresh(context.Background(), first)
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("CodeOf(Refresh(old refresh token)) = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
		if strings.Contains(err.Error(), first.RefreshToken) {
			t.Errorf("error shows the refresh token: %v", err)
		}
	})

	t.Run("WithoutRefreshTokenExpiredIsUnauthenticated", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		cfg := f.config()
		cfg.Now = func() time.Time { return now }
		_, err := New(cfg).Refresh(context.Background(), domain.Credentials{AccessToken: "old", Expiry: now.Add(-time.Minute)})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("CodeOf = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
		if !strings.Contains(domain.MessageOf(err), "LinkedIn") || !strings.Contains(domain.MessageOf(err), "reconnect") {
			t.Errorf("message %q should name LinkedIn and ask to reconnect", domain.MessageOf(err))
		}
		if calls := f.calls(); len(calls) != 0 {
			t.Errorf("Refresh called LinkedIn: %v", calls)
		}
	})

	t.Run("WithoutRefreshTokenStillValidIsKept", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		cfg := f.config()
		cfg.Now = func() time.Time { return now }
		c := domain.Credentials{AccessToken: "still", Expiry: now.Add(24 * time.Hour)}
		got, err := New(cfg).Refresh(context.Background(), c)
		if err != nil || got.AccessToken != "still" {
			t.Fatalf("Refresh = %+v, %v; want the same credentials", got, err)
		}
	})
}
