package facebook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	t.Parallel()

	t.Run("UnsetIsNotConfigured", func(t *testing.T) {
		t.Parallel()
		_, ok, err := ParseConfig(env(nil))
		if ok || err != nil {
			t.Fatalf("ParseConfig(empty) = ok %v, err %v; want false, nil", ok, err)
		}
	})

	t.Run("OnlyOneOfIDAndSecretIsAnError", func(t *testing.T) {
		t.Parallel()
		for _, m := range []map[string]string{
			{"HERALD_FACEBOOK_CLIENT_ID": "1"},
			{"HERALD_FACEBOOK_CLIENT_SECRET": "s"},
		} {
			if _, ok, err := ParseConfig(env(m)); err == nil || ok {
				t.Errorf("ParseConfig(%v) = ok %v, err %v; want an error", m, ok, err)
			}
		}
	})

	t.Run("DefaultsAreProduction", func(t *testing.T) {
		t.Parallel()
		cfg, ok, err := ParseConfig(env(map[string]string{"HERALD_FACEBOOK_CLIENT_ID": "1", "HERALD_FACEBOOK_CLIENT_SECRET": "s"}))
		if err != nil || !ok {
			t.Fatalf("ParseConfig = ok %v, err %v", ok, err)
		}
		want := [...]string{"https://www.facebook.com/v26.0/dialog/oauth", "https://graph.facebook.com/v26.0/oauth/access_token", "https://graph.facebook.com", "v26.0"}
		got := [...]string{cfg.AuthURL, cfg.TokenURL, cfg.APIURL, cfg.Version}
		if got != want {
			t.Errorf("endpoints = %v, want %v", got, want)
		}
		if cfg.HTTPClient == nil || cfg.HTTPClient.Timeout != 30*time.Second {
			t.Errorf("HTTPClient = %+v, want a 30 s timeout", cfg.HTTPClient)
		}
		if cfg.PKCE || cfg.ConfigID != "" || !slices.Equal(cfg.Scopes, DefaultScopes) {
			t.Errorf("PKCE %v, ConfigID %q, Scopes %v; want off, none, the defaults", cfg.PKCE, cfg.ConfigID, cfg.Scopes)
		}
	})

	t.Run("OverridesAreValidated", func(t *testing.T) {
		t.Parallel()
		base := map[string]string{"HERALD_FACEBOOK_CLIENT_ID": "1", "HERALD_FACEBOOK_CLIENT_SECRET": "s"}
		good := map[string]string{
			"HERALD_FACEBOOK_API_URL": "http://localhost:9000/", "HERALD_FACEBOOK_AUTH_URL": "http://localhost:9000/v25.0/dialog/oauth",
			"HERALD_FACEBOOK_TOKEN_URL": "http://localhost:9000/v25.0/oauth/access_token", "HERALD_FACEBOOK_API_VERSION": "v25.0",
			"HERALD_FACEBOOK_PKCE": "true", "HERALD_FACEBOOK_CONFIG_ID": "1234567890",
			"HERALD_FACEBOOK_SCOPES": "pages_show_list,pages_manage_posts publish_video",
		}
		for k, v := range base {
			good[k] = v
		}
		cfg, ok, err := ParseConfig(env(good))
		if err != nil || !ok || cfg.APIURL != "http://localhost:9000" || cfg.Version != "v25.0" || !cfg.PKCE || cfg.TokenURL != good["HERALD_FACEBOOK_TOKEN_URL"] ||
			cfg.ConfigID != "1234567890" || strings.Join(cfg.Scopes, " ") != "pages_show_list pages_manage_posts publish_video" {
			t.Fatalf("ParseConfig(overrides) = %+v, %v, %v", cfg, ok, err)
		}
		// NO_PKCE, from before PKCE was off by default, still turns it off.
		good["HERALD_FACEBOOK_NO_PKCE"] = "true"
		if cfg, _, err := ParseConfig(env(good)); err != nil || cfg.PKCE {
			t.Errorf("HERALD_FACEBOOK_NO_PKCE=true: PKCE %v, err %v; want off", cfg.PKCE, err)
		}
		for name, bad := range map[string]string{
			"HERALD_FACEBOOK_API_URL": "graph.facebook.com", "HERALD_FACEBOOK_AUTH_URL": "/dialog",
			"HERALD_FACEBOOK_TOKEN_URL": "ftp://x/y", "HERALD_FACEBOOK_API_VERSION": "26",
			"HERALD_FACEBOOK_NO_PKCE": "maybe", "HERALD_FACEBOOK_PKCE": "yes please",
			"HERALD_FACEBOOK_CONFIG_ID": "cfg-1", "HERALD_FACEBOOK_SCOPES": "pages_show_list,bad-scope!",
		} {
			m := map[string]string{name: bad}
			for k, v := range base {
				m[k] = v
			}
			if _, _, err := ParseConfig(env(m)); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("ParseConfig(%s=%q) err = %v, want one naming %s", name, bad, err, name)
			}
		}
	})
}

func TestAdapter_AuthCodeURL(t *testing.T) {
	t.Parallel()

	parse := func(t *testing.T, raw string) url.Values {
		t.Helper()
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != "https://www.facebook.com/v26.0/dialog/oauth" {
			t.Errorf("dialog = %s", got)
		}
		if strings.Contains(raw, "secret") {
			t.Errorf("AuthCodeURL leaks the app secret: %s", raw)
		}
		return u.Query()
	}
	base := map[string]string{"client_id": "app-1", "redirect_uri": "https://herald.example.com/callback", "state": "state-123", "response_type": "code"}

	t.Run("ClassicDialogAsksTheScopesWithCommasAndNoPKCE", func(t *testing.T) {
		t.Parallel()
		q := parse(t, New(Config{ClientID: "app-1", ClientSecret: "secret"}).AuthCodeURL("state-123", "verifier-abc", "https://herald.example.com/callback"))
		for k, v := range base {
			if q.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, q.Get(k), v)
			}
		}
		if got, want := q.Get("scope"), "pages_show_list,business_management,pages_manage_posts,pages_read_engagement,read_insights"; got != want {
			t.Errorf("scope = %q, want %q", got, want)
		}
		if q.Has("code_challenge") || q.Has("config_id") || strings.Contains(q.Get("scope"), "publish_video") {
			t.Errorf("query = %v: no PKCE by default, no config_id, no publish_video", q)
		}
	})

	t.Run("PKCEWhenTurnedOn", func(t *testing.T) {
		t.Parallel()
		q := parse(t, New(Config{ClientID: "app-1", ClientSecret: "secret", PKCE: true}).AuthCodeURL("state-123", "verifier-abc", "https://herald.example.com/callback"))
		if q.Get("code_challenge") != s256("verifier-abc") || q.Get("code_challenge_method") != "S256" {
			t.Errorf("code_challenge = %q (%q), want the S256 challenge", q.Get("code_challenge"), q.Get("code_challenge_method"))
		}
		// RFC 7636 appendix B's example, so s256 itself is right.
		if got := s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
			t.Errorf("s256 = %s", got)
		}
	})

	t.Run("LoginForBusinessTakesConfigIDInsteadOfScope", func(t *testing.T) {
		t.Parallel()
		q := parse(t, New(Config{ClientID: "app-1", ClientSecret: "secret", ConfigID: "9988776655"}).AuthCodeURL("state-123", "verifier-abc", "https://herald.example.com/callback"))
		for k, v := range base {
			if q.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, q.Get(k), v)
			}
		}
		if q.Get("config_id") != "9988776655" || q.Has("scope") {
			t.Errorf("config_id = %q, scope = %q; want the configuration and no scope", q.Get("config_id"), q.Get("scope"))
		}
	})
}

func TestAdapter_Exchange(t *testing.T) {
	t.Parallel()

	const redirect = "https://herald.example.com/connect/facebook/callback"
	setup := func(t *testing.T) *fakeGraph {
		f := newFakeGraph(t)
		f.addPage("101", "Bakery", "page-token-101", "ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
		f.addPage("102", "Bakery Outlet", "page-token-102", "ANALYZE", "CREATE_CONTENT")
		f.addPage("103", "Only Insights", "page-token-103", "ANALYZE")
		f.addPage("104", "Third", "page-token-104", "CREATE_CONTENT", "MODERATE")
		f.grant("code-1", redirect, "") // PKCE is off by default
		return f
	}

	t.Run("OneIdentityPerPublishablePage", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ids, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		scopes := append([]string{"public_profile"}, DefaultScopes...)
		want := []domain.Identity{
			{ExternalID: "101", DisplayName: "Bakery", Credentials: domain.Credentials{AccessToken: "page-token-101", Scopes: scopes}},
			{ExternalID: "102", DisplayName: "Bakery Outlet", Credentials: domain.Credentials{AccessToken: "page-token-102", Scopes: scopes}},
			{ExternalID: "104", DisplayName: "Third", Credentials: domain.Credentials{AccessToken: "page-token-104", Scopes: scopes}},
		}
		if diff := diff(want, ids); diff != "" {
			t.Errorf("Exchange identities (-want +got):\n%s", diff)
		}
		wantCalls := []string{"POST /oauth/access_token", "GET /oauth/access_token", "GET /me/permissions", "GET /me/permissions", "GET /me/permissions", "GET /me/accounts", "GET /me/accounts", "GET /me/businesses"}
		if diff := diff(wantCalls, f.callLog()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})

	t.Run("RefusedCodesMeanConnectingAgain", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		a := f.adapter()
		a.cfg.PKCE, a.auth.PKCE = true, true
		f.grant("code-p", redirect, "verifier-1")
		if _, err := a.Exchange(context.Background(), "code-p", "verifier-1", redirect); err != nil {
			t.Fatalf("first Exchange: %v", err)
		}
		cases := map[string]struct{ code, verifier, redirect string }{
			"Reused":        {"code-p", "verifier-1", redirect},
			"Unknown":       {"nope", "verifier-1", redirect},
			"WrongVerifier": {"code-2", "other", redirect},
			"WrongRedirect": {"code-3", "verifier-1", "https://evil.example/cb"},
		}
		f.grant("code-2", redirect, "verifier-1")
		f.grant("code-3", redirect, "verifier-1")
		for name, c := range cases {
			_, err := a.Exchange(context.Background(), c.code, c.verifier, c.redirect)
			if got := domain.CodeOf(err); got != domain.CodeInvalid {
				t.Errorf("%s: CodeOf(Exchange) = %q, want %q; err = %v", name, got, domain.CodeInvalid, err)
			}
			if err != nil && strings.Contains(err.Error(), f.secret) {
				t.Errorf("%s: the error carries the app secret: %v", name, err)
			}
		}
	})

	t.Run("ThrottledTokenEndpointIsRateLimited", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.failNext("POST /oauth/access_token", 400, http.Header{"X-App-Usage": {`{"call_count":100,"total_cputime":12,"total_time":30}`},
			"X-Business-Use-Case-Usage": {`{"app-1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":4}]}`}}, 4, 0, "(#4) Application request limit reached")
		_, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != domain.CodeRateLimited || e.RetryAfter != 4*time.Minute {
			t.Errorf("Exchange err = %v, want rate limited for 4m", err)
		}
		f.failNext("POST /oauth/access_token", 500, nil, 2, 0, "Service temporarily unavailable")
		if _, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect); domain.CodeOf(err) != domain.CodeUnavailable {
			t.Errorf("Exchange during an outage = %v, want unavailable", err)
		}
	})

	t.Run("BusinessPortfolioPagesToo", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		owned := &fakePage{id: "301", name: "Portfolio Cafe", token: "page-token-301", tasks: []string{"CREATE_CONTENT"}}
		client := &fakePage{id: "302", name: "Client Shop", token: "page-token-302", tasks: []string{"CREATE_CONTENT", "MANAGE"}}
		dup := f.user.pages[0] // Bakery is also owned by the portfolio: listed once
		viewOnly := &fakePage{id: "303", name: "Client View Only", token: "page-token-303", tasks: []string{"ANALYZE"}}
		f.addBusiness("b-1", "Bakery Group", []*fakePage{owned, dup}, []*fakePage{client, viewOnly})
		agency := f.addBusiness("b-2", "Agency", []*fakePage{{id: "304", name: "Agency Page", token: "page-token-304", tasks: []string{"CREATE_CONTENT"}}}, nil)
		agency.omitTokens = true
		f.addBusiness("b-3", "No Access", []*fakePage{{id: "305", name: "Hidden", token: "page-token-305", tasks: []string{"CREATE_CONTENT"}}}, nil).forbidden = true
		ids, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		var got []string
		for _, id := range ids {
			got = append(got, id.ExternalID+"="+id.DisplayName+"/"+id.Credentials.AccessToken)
		}
		want := []string{"101=Bakery/page-token-101", "102=Bakery Outlet/page-token-102", "104=Third/page-token-104",
			"301=Portfolio Cafe/page-token-301", "302=Client Shop/page-token-302", "304=Agency Page/page-token-304"}
		if d := diff(want, got); d != "" {
			t.Errorf("identities (-want +got):\n%s", d)
		}
	})

	t.Run("BusinessManagementAloneGivesThePortfoliosPages", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.addBusiness("b-1", "Bakery Group", []*fakePage{{id: "301", name: "Portfolio Cafe", token: "page-token-301", tasks: []string{"CREATE_CONTENT"}}}, nil)
		f.declined = []string{"pages_show_list"}
		ids, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if err != nil || len(ids) != 1 || ids[0].ExternalID != "301" || ids[0].Credentials.AccessToken != "page-token-301" {
			t.Fatalf("Exchange = %+v, %v; want the portfolio's Page only", ids, err)
		}
		if slices.Contains(f.callLog(), "GET /me/accounts") {
			t.Error("listed /me/accounts without pages_show_list")
		}
	})

	t.Run("NeitherListingPermissionIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.declined = []string{"pages_show_list", "business_management"}
		_, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Errorf("CodeOf(Exchange) = %q, want forbidden; err = %v", got, err)
		}
	})

	t.Run("BusinessesRefusedStillGivesMyPages", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.businessesRefused = true
		ids, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if err != nil || len(ids) != 3 {
			t.Fatalf("Exchange = %d identities, %v; want the 3 of /me/accounts", len(ids), err)
		}
	})

	t.Run("WithoutBusinessManagementOnlyMyPages", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.addBusiness("b-1", "Bakery Group", []*fakePage{{id: "301", name: "Portfolio Cafe", token: "page-token-301", tasks: []string{"CREATE_CONTENT"}}}, nil)
		f.declined = []string{"business_management"}
		ids, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if err != nil || len(ids) != 3 {
			t.Fatalf("Exchange = %d identities, %v; want the 3 of /me/accounts", len(ids), err)
		}
		if slices.Contains(f.callLog(), "GET /me/businesses") {
			t.Error("listed businesses without business_management")
		}
	})

	t.Run("DeclinedPublishingIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.declined = []string{"pages_manage_posts"}
		_, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Errorf("CodeOf(Exchange) = %q, want %q; err = %v", got, domain.CodeForbidden, err)
		}
		if slices.Contains(f.callLog(), "GET /me/accounts") {
			t.Errorf("calls = %v, want no Page listing", f.callLog())
		}
	})

	t.Run("WithoutPKCEByDefault", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		f.addPage("101", "Bakery", "page-token-101", "CREATE_CONTENT")
		f.grant("code-1", redirect, "") // the dialog got no challenge
		a := f.adapter()
		if u := a.AuthCodeURL("s", "verifier-1", redirect); strings.Contains(u, "code_challenge") {
			t.Errorf("AuthCodeURL = %s, want no challenge", u)
		}
		// The fake refuses a code_verifier for a code issued without a challenge.
		if _, err := a.Exchange(context.Background(), "code-1", "verifier-1", redirect); err != nil {
			t.Errorf("Exchange without PKCE: %v", err)
		}
	})

	t.Run("NoPublishablePageIsForbidden", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		f.addPage("103", "Only Insights", "page-token-103", "ANALYZE")
		f.grant("code-1", redirect, "")
		_, err := f.adapter().Exchange(context.Background(), "code-1", "v", redirect)
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Errorf("CodeOf(Exchange) = %q, want %q; err = %v", got, domain.CodeForbidden, err)
		}
	})

	t.Run("RateLimitedListingIsRateLimited", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		// User tokens fall under Platform limits: X-App-Usage, no time estimate, no Retry-After.
		f.failNext("GET /me/accounts", 400, http.Header{"X-App-Usage": {`{"call_count":100,"total_cputime":12,"total_time":30}`}}, 4, 0, "(#4) Application request limit reached")
		_, err := f.adapter().Exchange(context.Background(), "code-1", "verifier-1", redirect)
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != domain.CodeRateLimited || e.RetryAfter != graph.DefaultRateLimitWait {
			t.Errorf("Exchange err = %v, want rate limited for %s", err, graph.DefaultRateLimitWait)
		}
	})
}

func TestAdapter_Refresh(t *testing.T) {
	t.Parallel()

	f := newFakeGraph(t)
	f.addPage("101", "Bakery", "page-token-101", "CREATE_CONTENT")
	f.addPage("102", "Closed", "page-token-102", "CREATE_CONTENT")
	f.revoked["page-token-102"] = 460
	a := f.adapter()
	ctx := context.Background()

	c := domain.Credentials{AccessToken: "page-token-101"}
	got, err := a.Refresh(ctx, c)
	if err != nil || got.AccessToken != c.AccessToken || !got.Expiry.IsZero() {
		t.Errorf("Refresh(valid) = %+v, %v; want it unchanged", got, err)
	}
	for _, token := range []string{"page-token-102", "unknown-token", ""} {
		_, err := a.Refresh(ctx, domain.Credentials{AccessToken: token})
		if code := domain.CodeOf(err); code != domain.CodeUnauthenticated {
			t.Errorf("CodeOf(Refresh(%q)) = %q, want %q; err = %v", token, code, domain.CodeUnauthenticated, err)
		}
	}
	f.failNext("GET /me", 503, nil, 2, 0, "Service temporarily unavailable")
	if _, err := a.Refresh(ctx, c); domain.CodeOf(err) != domain.CodeUnavailable {
		t.Errorf("Refresh during an outage = %v, want unavailable", err)
	}
}

func bakery(t *testing.T) (*fakeGraph, *Adapter, domain.Credentials, domain.Account) {
	t.Helper()
	f := newFakeGraph(t)
	f.addPage("101", "Bakery", "page-token-101", "CREATE_CONTENT")
	f.addPage("202", "Other", "page-token-202", "CREATE_CONTENT")
	return f, f.adapter(), domain.Credentials{AccessToken: "page-token-101"}, domain.Account{Platform: domain.Facebook, ExternalID: "101"}
}

func TestAdapter_Publish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("TextWithLink", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		got, err := a.Publish(ctx, c, acct, ports.Publication{Reference: "1/7", Text: "Fresh bread at https://bakery.example/menu today"})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || posts[0].link != "https://bakery.example/menu" || posts[0].message != "Fresh bread at https://bakery.example/menu today" {
			t.Fatalf("page posts = %+v", posts)
		}
		_, postID, _ := strings.Cut(posts[0].id, "_")
		want := ports.Published{ExternalID: posts[0].id, URL: "https://www.facebook.com/101/posts/" + postID, At: f.now}
		if diff := diff(want, got); diff != "" {
			t.Errorf("Publish (-want +got):\n%s", diff)
		}
	})

	t.Run("OnePhoto", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		got, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Croissants", Media: platformtest.URLMedia("https://cdn.example/c.jpg")})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || posts[0].message != "Croissants" || got.ExternalID != posts[0].id {
			t.Fatalf("Publish = %+v, page posts = %+v", got, posts)
		}
		if diff := diff([]string{"POST /101/photos"}, f.callLog()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})

	t.Run("SeveralPhotosUploadUnpublishedThenAttach", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		media := []string{"https://cdn.example/1.jpg", "https://cdn.example/2.png", "https://cdn.example/3.webp"}
		got, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Our week", Media: platformtest.URLMedia(media...)})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		wantCalls := []string{"POST /101/photos", "POST /101/photos", "POST /101/photos", "POST /101/feed"}
		if diff := diff(wantCalls, f.callLog()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || len(posts[0].media) != 3 || got.ExternalID != posts[0].id {
			t.Fatalf("Publish = %+v, page posts = %+v", got, posts)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, id := range posts[0].media {
			if ph := f.photos[id]; ph == nil || ph.published || !ph.attached || ph.url != media[i] {
				t.Errorf("photo %d = %+v, want unpublished, attached, %s", i, ph, media[i])
			}
		}
	})

	t.Run("Video", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		got, err := a.Publish(ctx, c, acct, ports.Publication{Text: "How we bake", Media: platformtest.URLMedia("https://cdn.example/v.mp4")})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		posts := f.pagePosts("101")
		if len(posts) != 1 || posts[0].message != "How we bake" || posts[0].media[0] != "https://cdn.example/v.mp4" {
			t.Fatalf("page posts = %+v", posts)
		}
		_, videoID, _ := strings.Cut(posts[0].id, "_")
		want := ports.Published{ExternalID: posts[0].id, URL: "https://www.facebook.com/101/videos/" + videoID, At: f.now}
		if diff := diff(want, got); diff != "" {
			t.Errorf("Publish (-want +got):\n%s", diff)
		}
	})

	t.Run("SlowVideoIsPolledUntilReady", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.processing = 3
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Media: platformtest.URLMedia("https://cdn.example/v.mp4")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		polls := 0
		for _, call := range f.callLog() {
			if strings.HasPrefix(call, "GET /") {
				polls++
			}
		}
		if polls != 4 {
			t.Errorf("status polls = %d, want 4 (3 processing, then ready); calls = %v", polls, f.callLog())
		}
	})

	t.Run("VideoStillProcessingAfterTheBudgetIsPublished", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.processing = 1000
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Media: platformtest.URLMedia("https://cdn.example/v.mp4")}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if n := len(f.callLog()); n != 1+6 {
			t.Errorf("calls = %d, want the upload and 6 polls (budget/interval + 1)", n)
		}
	})

	t.Run("VideoFacebookCannotProcessIsInvalid", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.processing, f.badVideo = 1, true
		_, err := a.Publish(ctx, c, acct, ports.Publication{Media: platformtest.URLMedia("https://cdn.example/v.mp4")})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Errorf("CodeOf(Publish) = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
	})

	t.Run("RefusedBeforeAnyRequest", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		for name, p := range map[string]ports.Publication{
			"Empty":         {Text: "  "},
			"VideoAndImage": {Media: platformtest.URLMedia("https://cdn.example/v.mp4", "https://cdn.example/a.jpg")},
			"TwoVideos":     {Media: platformtest.URLMedia("https://cdn.example/v.mp4", "https://cdn.example/w.mov")},
			"UnknownKind":   {Media: platformtest.URLMedia("https://cdn.example/file.pdf")},
			"NoPageID":      {Text: "hello"},
		} {
			account := acct
			if name == "NoPageID" {
				account.ExternalID = ""
			}
			_, err := a.Publish(ctx, c, account, p)
			if got := domain.CodeOf(err); got != domain.CodeInvalid {
				t.Errorf("%s: CodeOf(Publish) = %q, want %q; err = %v", name, got, domain.CodeInvalid, err)
			}
		}
		if calls := f.callLog(); len(calls) != 0 {
			t.Errorf("calls = %v, want none", calls)
		}
	})

	t.Run("DuplicateIsConflict", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct := bakery(t)
		p := ports.Publication{Text: "Same again"}
		if _, err := a.Publish(ctx, c, acct, p); err != nil {
			t.Fatalf("first Publish: %v", err)
		}
		_, err := a.Publish(ctx, c, acct, p)
		if got := domain.CodeOf(err); got != domain.CodeConflict {
			t.Errorf("CodeOf(second Publish) = %q, want %q; err = %v", got, domain.CodeConflict, err)
		}
	})

	t.Run("AnotherPagesTokenIsForbidden", func(t *testing.T) {
		t.Parallel()
		_, a, _, acct := bakery(t)
		_, err := a.Publish(ctx, domain.Credentials{AccessToken: "page-token-202"}, acct, ports.Publication{Text: "hi"})
		if got := domain.CodeOf(err); got != domain.CodeForbidden {
			t.Errorf("CodeOf(Publish) = %q, want %q; err = %v", got, domain.CodeForbidden, err)
		}
	})

	t.Run("WrongVersionIsRefusedByTheFake", func(t *testing.T) {
		t.Parallel()
		f, _, c, acct := bakery(t)
		a := New(Config{ClientID: f.clientID, ClientSecret: f.secret, APIURL: f.srv.URL, Version: "v19.0"})
		_, err := a.Publish(ctx, c, acct, ports.Publication{Text: "hi"})
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Errorf("CodeOf(Publish on v19.0) = %q, want %q; err = %v", got, domain.CodeInvalid, err)
		}
		if len(f.pagePosts("101")) != 0 {
			t.Error("the fake published through a version it does not serve")
		}
	})

	t.Run("WrongSecretFailsTheProof", func(t *testing.T) {
		t.Parallel()
		f, _, c, acct := bakery(t)
		a := New(Config{ClientID: f.clientID, ClientSecret: "not-the-secret", APIURL: f.srv.URL})
		_, err := a.Publish(ctx, c, acct, ports.Publication{Text: "hi"})
		if err == nil || len(f.pagePosts("101")) != 0 {
			t.Errorf("Publish with a bad appsecret_proof = %v, want refused", err)
		}
	})

	t.Run("TimeoutMayHavePublishedAndHidesTheToken", func(t *testing.T) {
		t.Parallel()
		f, _, c, acct := bakery(t)
		f.delay = 500 * time.Millisecond
		a := New(Config{ClientID: f.clientID, ClientSecret: f.secret, APIURL: f.srv.URL, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		_, err := a.Publish(ctx, c, acct, ports.Publication{Text: "hi", Media: platformtest.URLMedia("https://cdn.example/v.mp4")})
		if !errors.Is(err, domain.ErrMaybePublished) {
			t.Fatalf("Publish through a timeout = %v, want maybe published", err)
		}
		if strings.Contains(err.Error(), c.AccessToken) || strings.Contains(err.Error(), f.secret) {
			t.Errorf("error leaks a secret: %v", err)
		}
	})
}

func TestAdapter_PublishErrors(t *testing.T) {
	t.Parallel()

	buc := http.Header{"X-Business-Use-Case-Usage": {`{"101":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":40,"estimated_time_to_regain_access":7}]}`}}
	cases := []struct {
		name          string
		status        int
		header        http.Header
		code, subcode int
		wantCode      domain.Code
		wantRetry     time.Duration
	}{
		{"PageRateLimitWaitsTheEstimate", 400, buc, 32, 0, domain.CodeRateLimited, 7 * time.Minute},
		{"AppRateLimitWithoutEstimate", 403, nil, 4, 0, domain.CodeRateLimited, graph.DefaultRateLimitWait},
		{"UserRateLimit429RetryAfter", 429, http.Header{"Retry-After": {"30"}}, 17, 0, domain.CodeRateLimited, 30 * time.Second},
		{"PostingRateLimit", 400, buc, 613, 0, domain.CodeRateLimited, 7 * time.Minute},
		{"TemporarilyBlocked", 400, nil, 368, 1390008, domain.CodeRateLimited, time.Hour},
		{"ExpiredToken", 401, nil, 190, 463, domain.CodeUnauthenticated, 0},
		{"PasswordChanged", 400, nil, 190, 460, domain.CodeUnauthenticated, 0},
		{"PermissionDenied", 403, nil, 10, 0, domain.CodeForbidden, 0},
		{"PermissionMissing", 403, nil, 200, 0, domain.CodeForbidden, 0},
		{"Duplicate", 400, nil, 506, 0, domain.CodeConflict, 0},
		{"BadParameter", 400, nil, 100, 0, domain.CodeInvalid, 0},
		{"BadLink", 400, nil, 1609005, 0, domain.CodeInvalid, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, a, c, acct := bakery(t)
			f.failNext("POST /101/feed", tc.status, tc.header, tc.code, tc.subcode, "raw platform detail page-token-101")
			_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "hello"})
			var e *domain.Error
			if !errors.As(err, &e) {
				t.Fatalf("Publish err = %v, want a *domain.Error", err)
			}
			if e.Code != tc.wantCode || e.RetryAfter != tc.wantRetry {
				t.Errorf("Publish err = %q retry %v, want %q retry %v; err = %v", e.Code, e.RetryAfter, tc.wantCode, tc.wantRetry, err)
			}
			if !strings.HasPrefix(e.Message, "Facebook") || strings.Contains(e.Message, "page-token-101") || strings.Contains(e.Message, "raw platform detail") {
				t.Errorf("message %q must name Facebook and carry no token or platform text", e.Message)
			}
		})
	}

	// A 5xx from the call that creates the post may come after Facebook posted it: it may
	// have been published, so Herald looks for the post before sending it again.
	for _, st := range []struct{ status, code int }{{500, 1}, {503, 2}} {
		t.Run(fmt.Sprintf("ServerError%dMayHavePublished", st.status), func(t *testing.T) {
			t.Parallel()
			f, a, c, acct := bakery(t)
			f.failNext("POST /101/feed", st.status, nil, st.code, 0, "raw platform detail page-token-101")
			_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "hello"})
			if !errors.Is(err, domain.ErrMaybePublished) || domain.CodeOf(err) != domain.CodeUnavailable {
				t.Fatalf("Publish after %d = %v (code %q), want maybe published", st.status, err, domain.CodeOf(err))
			}
			// Graph's own text stays in the cause, for the log; the token goes nowhere.
			if strings.Contains(err.Error(), "page-token-101") || strings.Contains(domain.MessageOf(err), "raw platform detail") {
				t.Errorf("error %q carries the token, or shows the platform's text to people", err)
			}
		})
	}

	t.Run("RevokedTokenFromTheFake", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.revoked[c.AccessToken] = 463
		_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "hello"})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Errorf("CodeOf(Publish) = %q, want %q; err = %v", got, domain.CodeUnauthenticated, err)
		}
	})

	t.Run("FailedUploadStopsBeforeTheFeedPost", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.failNext("POST /101/photos", 500, nil, 2, 0, "Service temporarily unavailable")
		_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "two", Media: platformtest.URLMedia("https://cdn.example/1.jpg", "https://cdn.example/2.jpg")})
		if got := domain.CodeOf(err); got != domain.CodeUnavailable {
			t.Errorf("CodeOf(Publish) = %q, want %q; err = %v", got, domain.CodeUnavailable, err)
		}
		if slices.Contains(f.callLog(), "POST /101/feed") {
			t.Errorf("calls = %v, want no feed post after a failed upload", f.callLog())
		}
	})
}

func TestAdapter_Lookup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FindsThePublishedPost", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct := bakery(t)
		pub, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Lost answer"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Later post"}); err != nil {
			t.Fatal(err)
		}
		got, found, err := a.Lookup(ctx, c, acct, ports.Publication{Text: "Lost answer"})
		if err != nil || !found {
			t.Fatalf("Lookup = %v, %v", found, err)
		}
		if diff := diff(pub, got); diff != "" {
			t.Errorf("Lookup (-published +found):\n%s", diff)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct := bakery(t)
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Something else"}); err != nil {
			t.Fatal(err)
		}
		_, found, err := a.Lookup(ctx, c, acct, ports.Publication{Text: "Never sent"})
		if err != nil || found {
			t.Errorf("Lookup = %v, %v; want not found", found, err)
		}
	})

	t.Run("OldPostsAreOutsideTheWindow", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Last week"}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(7 * 24 * time.Hour)
		_, found, err := a.Lookup(ctx, c, acct, ports.Publication{Text: "Last week"})
		if err != nil || found {
			t.Errorf("Lookup = %v, %v; want not found", found, err)
		}
	})

	t.Run("MediaOnlyIsUnsupported", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct := bakery(t)
		_, _, err := a.Lookup(ctx, c, acct, ports.Publication{Media: platformtest.URLMedia("https://cdn.example/a.jpg")})
		if !errors.Is(err, ports.ErrLookupUnsupported) {
			t.Errorf("Lookup = %v, want ErrLookupUnsupported", err)
		}
	})

	t.Run("ExpiredToken", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		f.revoked[c.AccessToken] = 463
		_, _, err := a.Lookup(ctx, c, acct, ports.Publication{Text: "x"})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Errorf("CodeOf(Lookup) = %q, want %q", got, domain.CodeUnauthenticated)
		}
	})
}

func TestAdapter_Metrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	publish := func(t *testing.T) (*fakeGraph, *Adapter, domain.Credentials, domain.Account, string) {
		f, a, c, acct := bakery(t)
		pub, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Counted"})
		if err != nil {
			t.Fatal(err)
		}
		p := f.pagePosts("101")[0]
		f.mu.Lock()
		p.reactions, p.comments, p.shares, p.views, p.reach = 12, 3, 2, 480, 310
		f.mu.Unlock()
		return f, a, c, acct, pub.ExternalID
	}

	t.Run("MapsCountsAndInsights", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct, id := publish(t)
		got, err := a.Metrics(ctx, c, acct, id)
		if err != nil {
			t.Fatalf("Metrics: %v", err)
		}
		want := domain.Metrics{Likes: 12, Comments: 3, Shares: 2, Reach: 310, Impressions: 480}
		if got != want {
			t.Errorf("Metrics = %+v, want %+v", got, want)
		}
	})

	// One number Facebook refuses does not take the others with it.
	for _, tc := range []struct {
		name    string
		refuse  map[string]fakeRefusal
		want    domain.Metrics
		wantErr domain.Code
	}{
		{"RefusedInsightsLeaveZeros", map[string]fakeRefusal{
			metricViews: {403, 10, "(#10) Not enough viewers for the media to show insights"},
			metricReach: {403, 10, "(#10) Not enough viewers for the media to show insights"}},
			domain.Metrics{Likes: 12, Comments: 3, Shares: 2}, ""},
		{"RefusedCommentsKeepTheOthers", map[string]fakeRefusal{"comments": {403, 10, "(#10) This endpoint requires the 'pages_read_user_content' permission"}},
			domain.Metrics{Likes: 12, Shares: 2, Reach: 310, Impressions: 480}, ""},
		{"RefusedReactionsKeepTheOthers", map[string]fakeRefusal{"reactions": {403, 200, "(#200) Requires pages_read_engagement"}},
			domain.Metrics{Comments: 3, Shares: 2, Reach: 310, Impressions: 480}, ""},
		{"OneMetricNotOffered", map[string]fakeRefusal{metricReach: {400, 100, "(#100) The value must be a valid insights metric"}},
			domain.Metrics{Likes: 12, Comments: 3, Shares: 2, Impressions: 480}, ""},
		{"EverythingRefusedIsAnError", map[string]fakeRefusal{
			"reactions": {403, 10, "(#10) no"}, "comments": {403, 10, "(#10) no"}, "shares": {403, 10, "(#10) no"},
			metricViews: {403, 10, "(#10) no"}, metricReach: {403, 10, "(#10) no"}},
			domain.Metrics{}, domain.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, a, c, acct, id := publish(t)
			f.mu.Lock()
			f.refuse = tc.refuse
			f.mu.Unlock()
			got, err := a.Metrics(ctx, c, acct, id)
			if domain.CodeOf(err) != tc.wantErr || got != tc.want {
				t.Errorf("Metrics = %+v, %v; want %+v, code %q", got, err, tc.want, tc.wantErr)
			}
		})
	}

	t.Run("IDsThatAreNotGraphIDsAreInvalid", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct, _ := publish(t)
		before := len(f.callLog())
		for _, id := range []string{"", "101_1/insights?metric=x", "../me", "101_", "abc"} {
			if _, err := a.Metrics(ctx, c, acct, id); domain.CodeOf(err) != domain.CodeInvalid {
				t.Errorf("Metrics(%q) = %v, want invalid", id, err)
			}
		}
		for _, page := range []string{"", "101/feed?x=", "me"} {
			_, err := a.Publish(ctx, c, domain.Account{Platform: domain.Facebook, ExternalID: page}, ports.Publication{Text: "hi"})
			if domain.CodeOf(err) != domain.CodeInvalid {
				t.Errorf("Publish to Page %q = %v, want invalid", page, err)
			}
		}
		if n := len(f.callLog()) - before; n != 0 {
			t.Errorf("%d calls reached Facebook", n)
		}
	})

	t.Run("DeletedPostIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, a, c, acct, _ := publish(t)
		_, err := a.Metrics(ctx, c, acct, "101_404")
		if got := domain.CodeOf(err); got != domain.CodeNotFound {
			t.Errorf("CodeOf(Metrics of a deleted post) = %q, want not_found; err = %v", got, err)
		}
	})

	t.Run("RateLimitedInsightsAreAnError", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct, id := publish(t)
		f.failNext("GET /"+id+"/insights", 400, nil, 32, 0, "(#32) Page request limit reached")
		_, err := a.Metrics(ctx, c, acct, id)
		if got := domain.CodeOf(err); got != domain.CodeRateLimited {
			t.Errorf("CodeOf(Metrics) = %q, want %q; err = %v", got, domain.CodeRateLimited, err)
		}
	})

	t.Run("VideoPost", func(t *testing.T) {
		t.Parallel()
		f, a, c, acct := bakery(t)
		pub, err := a.Publish(ctx, c, acct, ports.Publication{Media: platformtest.URLMedia("https://cdn.example/v.mp4")})
		if err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		f.posts["101"][0].reactions = 5
		f.mu.Unlock()
		got, err := a.Metrics(ctx, c, acct, pub.ExternalID)
		if err != nil || got.Likes != 5 {
			t.Errorf("Metrics(video) = %+v, %v; want 5 likes", got, err)
		}
	})
}

// diff reports want and got when they differ, "" when they are equal.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("want %+v\ngot  %+v", want, got)
}
