package instagram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var now = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	t.Parallel()

	t.Run("BothUnsetIsNotConfigured", func(t *testing.T) {
		_, ok, err := ParseConfig(env(nil))
		if ok || err != nil {
			t.Fatalf("ParseConfig(empty) = ok %v, err %v; want false, nil", ok, err)
		}
	})
	t.Run("OneWithoutTheOtherIsAnError", func(t *testing.T) {
		for _, name := range []string{"HERALD_INSTAGRAM_CLIENT_ID", "HERALD_INSTAGRAM_CLIENT_SECRET"} {
			_, _, err := ParseConfig(env(map[string]string{name: "x"}))
			if err == nil {
				t.Errorf("ParseConfig(only %s) = nil error, want one", name)
			}
		}
	})
	t.Run("DefaultsAreProduction", func(t *testing.T) {
		cfg, ok, err := ParseConfig(env(map[string]string{"HERALD_INSTAGRAM_CLIENT_ID": "id", "HERALD_INSTAGRAM_CLIENT_SECRET": "s"}))
		if err != nil || !ok {
			t.Fatalf("ParseConfig = %v, %v", ok, err)
		}
		v := graph.DefaultVersion
		if cfg.APIURL != "https://graph.facebook.com" || cfg.AuthURL != "https://www.facebook.com/"+v+"/dialog/oauth" ||
			cfg.TokenURL != "https://graph.facebook.com/"+v+"/oauth/access_token" || cfg.APIVersion != v || cfg.PKCE {
			t.Errorf("defaults = %+v", cfg)
		}
	})
	t.Run("VersionIsFacebooksAndDecidesTheLoginEndpoints", func(t *testing.T) {
		cfg, _, err := ParseConfig(env(map[string]string{"HERALD_INSTAGRAM_CLIENT_ID": "id", "HERALD_INSTAGRAM_CLIENT_SECRET": "s",
			"HERALD_FACEBOOK_API_VERSION": "v26.0", "HERALD_INSTAGRAM_PKCE": "true", "HERALD_MEDIA_ALLOW_PRIVATE": "on",
			"HERALD_INSTAGRAM_CONFIG_ID": "884400112233"}))
		if err != nil || cfg.APIVersion != "v26.0" || cfg.ConfigID != "884400112233" || cfg.AuthURL != "https://www.facebook.com/v26.0/dialog/oauth" ||
			cfg.TokenURL != "https://graph.facebook.com/v26.0/oauth/access_token" || !cfg.PKCE || !cfg.MediaAllowPrivate {
			t.Errorf("ParseConfig(v26.0, no PKCE, private media) = %+v, %v", cfg, err)
		}
		_, _, err = ParseConfig(env(map[string]string{"HERALD_INSTAGRAM_CLIENT_ID": "id", "HERALD_INSTAGRAM_CLIENT_SECRET": "s",
			"HERALD_FACEBOOK_API_VERSION": "26", "HERALD_INSTAGRAM_PKCE": "maybe", "HERALD_INSTAGRAM_CONFIG_ID": "cfg-1"}))
		if err == nil || !strings.Contains(err.Error(), "HERALD_FACEBOOK_API_VERSION") || !strings.Contains(err.Error(), "HERALD_INSTAGRAM_PKCE") ||
			!strings.Contains(err.Error(), "HERALD_INSTAGRAM_CONFIG_ID") {
			t.Errorf("ParseConfig(bad version and PKCE switch) err = %v, want both named", err)
		}
	})
	t.Run("OverridesAreValidated", func(t *testing.T) {
		cfg, _, err := ParseConfig(env(map[string]string{"HERALD_INSTAGRAM_CLIENT_ID": "id", "HERALD_INSTAGRAM_CLIENT_SECRET": "s",
			"HERALD_INSTAGRAM_API_URL": "http://localhost:9/", "HERALD_INSTAGRAM_AUTH_URL": "http://localhost:9/v25.0/dialog/oauth"}))
		if err != nil || cfg.APIURL != "http://localhost:9" || cfg.AuthURL != "http://localhost:9/v25.0/dialog/oauth" {
			t.Errorf("ParseConfig(overrides) = %+v, %v", cfg, err)
		}
		_, _, err = ParseConfig(env(map[string]string{"HERALD_INSTAGRAM_CLIENT_ID": "id", "HERALD_INSTAGRAM_CLIENT_SECRET": "s",
			"HERALD_INSTAGRAM_TOKEN_URL": "/relative"}))
		if err == nil || !strings.Contains(err.Error(), "HERALD_INSTAGRAM_TOKEN_URL") {
			t.Errorf("ParseConfig(relative token URL) err = %v, want one naming the variable", err)
		}
	})
}

func TestAuthCodeURL_AsksForPublishingAndInsightsWithS256(t *testing.T) {
	t.Parallel()
	a := New(Config{ClientID: "app-1", ClientSecret: "s", APIVersion: "v25.0", PKCE: true})
	raw := a.AuthCodeURL("state-1", "verifier-verifier-verifier-verifier-verifier", fakeRedirect)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "www.facebook.com" || u.Path != "/v25.0/dialog/oauth" {
		t.Errorf("consent URL = %s", raw)
	}
	if q.Get("client_id") != "app-1" || q.Get("state") != "state-1" || q.Get("redirect_uri") != fakeRedirect || q.Get("response_type") != "code" {
		t.Errorf("query = %v", q)
	}
	for _, s := range []string{"instagram_basic", "instagram_content_publish", "instagram_manage_insights", "pages_show_list", "pages_read_engagement"} {
		if !slices.Contains(strings.Split(q.Get("scope"), ","), s) {
			t.Errorf("scope %q lacks %s", q.Get("scope"), s)
		}
	}
	// RFC 7636 appendix B style check: S256 of the verifier, base64url without padding.
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || strings.Contains(q.Get("code_challenge"), "=") {
		t.Errorf("PKCE = %q %q", q.Get("code_challenge_method"), q.Get("code_challenge"))
	}
	if q := mustQuery(t, New(Config{ClientID: "app-1", ClientSecret: "s", ConfigID: "884400112233"}).AuthCodeURL("st", "v", fakeRedirect)); q.Get("config_id") != "884400112233" || q.Has("scope") {
		t.Errorf("Login for Business URL query = %v, want config_id and no scope", q)
	}
	if q := mustQuery(t, New(Config{ClientID: "app-1", ClientSecret: "s"}).AuthCodeURL("state-1", "verifier-verifier-verifier-verifier-verifier", fakeRedirect)); q.Has("code_challenge") {
		t.Errorf("PKCE off by default, but the URL carries code_challenge %q", q.Get("code_challenge"))
	}
}

// connect sets up a fake with three Pages (two linked to Instagram) and runs Exchange.
func connect(t *testing.T) (*fakeGraph, *Adapter, []domain.Identity) {
	t.Helper()
	f := newFakeGraph(t)
	f.pages = []fakePage{
		{id: "p1", name: "Acme Shop", igID: "1784001", igName: "acme.shop"},
		{id: "p2", name: "Acme Blog"}, // no Instagram account linked
		{id: "p3", name: "Acme Labs", igID: "1784003", igName: "acme.labs"},
	}
	a := f.adapter(now)
	verifier := "verifier-verifier-verifier-verifier-verifier"
	q, _ := url.Parse(a.AuthCodeURL("st", verifier, fakeRedirect))
	code := f.issueCode(fakeRedirect, q.Query().Get("code_challenge"))
	ids, err := a.Exchange(context.Background(), code, verifier, fakeRedirect)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return f, a, ids
}

func TestExchange_OneIdentityPerLinkedInstagramAccount(t *testing.T) {
	t.Parallel()
	f, _, ids := connect(t)
	var got []string
	for _, id := range ids {
		got = append(got, id.ExternalID+"="+id.DisplayName)
		if !strings.HasPrefix(id.Credentials.AccessToken, "EAApage") {
			t.Errorf("identity %s has token %q, want its Page's token", id.ExternalID, id.Credentials.AccessToken)
		}
		if want := now.Add(DataAccessLife); !id.Credentials.Expiry.Equal(want) {
			t.Errorf("Expiry = %v, want the data access expiration %v", id.Credentials.Expiry, want)
		}
	}
	if want := []string{"1784001=acme.shop", "1784003=acme.labs"}; !slices.Equal(got, want) {
		t.Errorf("identities = %v, want %v (across two pages of /me/accounts)", got, want)
	}
	calls := f.called()
	if want := []string{"POST /oauth/access_token", "GET /oauth/access_token", "GET /me/accounts", "GET /me/accounts"}; !slices.Equal(calls, want) {
		t.Errorf("calls = %v, want %v", calls, want)
	}
}

func TestExchange_ALongLivedLoginTokenIsNotExchangedAgain(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	f.longLogin = true
	f.pages = []fakePage{{id: "p1", name: "Acme Shop", igID: "1784001", igName: "acme.shop"}}
	a := f.adapter(now)
	verifier := "verifier-verifier-verifier-verifier-verifier"
	code := f.issueCode(fakeRedirect, mustQuery(t, a.AuthCodeURL("st", verifier, fakeRedirect)).Get("code_challenge"))
	ids, err := a.Exchange(context.Background(), code, verifier, fakeRedirect)
	if err != nil || len(ids) != 1 || !strings.HasPrefix(ids[0].Credentials.AccessToken, "EAApage") {
		t.Fatalf("Exchange = %+v, %v; want the Page's token", ids, err)
	}
	if calls, want := f.called(), []string{"POST /oauth/access_token", "GET /me/accounts"}; !slices.Equal(calls, want) {
		t.Errorf("calls = %v, want %v (fb_exchange_token is documented for short-lived tokens only)", calls, want)
	}
}

func TestExchange_Refusals(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	f.pages = []fakePage{{id: "p2", name: "No IG"}}
	a := f.adapter(now)
	ctx := context.Background()

	t.Run("UsedCodeIsInvalid", func(t *testing.T) {
		_, err := a.Exchange(ctx, "AQunknown", "verifier-verifier-verifier-verifier-verifier", fakeRedirect)
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Errorf("CodeOf = %q, want invalid; err = %v", got, err)
		}
	})
	t.Run("WrongVerifierIsInvalid", func(t *testing.T) {
		q, _ := url.Parse(a.AuthCodeURL("st", "right-verifier-right-verifier-right-verifier", fakeRedirect))
		code := f.issueCode(fakeRedirect, q.Query().Get("code_challenge"))
		_, err := a.Exchange(ctx, code, "wrong-verifier-wrong-verifier-wrong-verifier", fakeRedirect)
		if got := domain.CodeOf(err); got != domain.CodeInvalid {
			t.Errorf("CodeOf = %q, want invalid; err = %v", got, err)
		}
		if strings.Contains(err.Error(), fakeAppSecret) {
			t.Errorf("error %q carries the app secret", err)
		}
	})
	t.Run("NoLinkedAccountIsInvalid", func(t *testing.T) {
		code := f.issueCode(fakeRedirect, "")
		_, err := a.Exchange(ctx, code, "verifier-verifier-verifier-verifier-verifier", fakeRedirect)
		if got := domain.CodeOf(err); got != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "Instagram") {
			t.Errorf("CodeOf = %q (%q), want invalid; err = %v", got, domain.MessageOf(err), err)
		}
	})
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("PageTokenWithDataAccessAheadAsStoredIsNotRenewable", func(t *testing.T) {
		t.Parallel()
		f, a, ids := connect(t)
		stored := ids[0].Credentials
		stored.Expiry = time.Now().Add(DataAccessLife + time.Hour) // as Exchange stored it, at least as late as Meta's
		_, err := a.Refresh(ctx, stored)
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Fatalf("Refresh = %v (%q), want unauthenticated: only a login renews data access", err, got)
		}
		if msg := domain.MessageOf(err); !strings.Contains(msg, "90 days") || !strings.Contains(msg, "Reconnect") {
			t.Errorf("message %q does not say why and what to do", msg)
		}
		if calls := f.called(); calls[len(calls)-1] != "GET /debug_token" {
			t.Errorf("last call %q, want GET /debug_token", calls[len(calls)-1])
		}
	})
	t.Run("DataAccessExtendedByALaterLoginMovesTheExpiry", func(t *testing.T) {
		t.Parallel()
		f, a, ids := connect(t)
		// Stored 80 days ago: the person has logged in since (connect just did).
		old := ids[0].Credentials
		old.Expiry = time.Now().Add(10 * 24 * time.Hour)
		got, err := a.Refresh(ctx, old)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if got.AccessToken != old.AccessToken || got.RefreshToken != "" || got.Expiry.Before(time.Now().Add(89*24*time.Hour)) {
			t.Errorf("Refresh = %+v, want the same Page token with data access about 90 days ahead", got)
		}
		_ = f
	})
	t.Run("UserTokenOfAnOlderConnectionSaysToReconnect", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		tok := f.userToken(time.Now())
		_, err := f.adapter(time.Now()).Refresh(ctx, domain.Credentials{AccessToken: tok, Expiry: time.Now().Add(60 * 24 * time.Hour)})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated || !strings.Contains(domain.MessageOf(err), "Page's token") {
			t.Errorf("Refresh(user token) = %v (%q), want unauthenticated saying a reconnection keeps the Page's token", err, got)
		}
	})
	t.Run("RevokedTokenIsUnauthenticated", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		_, err := f.adapter(now).Refresh(ctx, domain.Credentials{AccessToken: "EAArevoked", Expiry: now.Add(time.Hour)})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
			t.Errorf("CodeOf = %q, want unauthenticated; err = %v", got, err)
		}
		if strings.Contains(err.Error(), "EAArevoked") || strings.Contains(err.Error(), fakeAppSecret) {
			t.Errorf("error %q carries a secret", err)
		}
	})
	t.Run("RefusedAppCredentialsAreTheOperatorsNotTheAccounts", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		a := f.adapter(now)
		a.cfg.ClientSecret = "wrong"
		_, err := a.Refresh(ctx, domain.Credentials{AccessToken: f.pageTokenFor(t), Expiry: now.Add(time.Hour)})
		if got := domain.CodeOf(err); got != domain.CodeUnavailable || strings.Contains(err.Error(), "wrong") {
			t.Errorf("Refresh with a wrong app secret = %v (%q), want unavailable without the secret", err, got)
		}
	})
	t.Run("EmptyTokenIsUnauthenticatedWithoutACall", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t)
		_, err := f.adapter(now).Refresh(ctx, domain.Credentials{})
		if got := domain.CodeOf(err); got != domain.CodeUnauthenticated || len(f.called()) != 0 {
			t.Errorf("CodeOf = %q, calls %v; want unauthenticated and no call", got, f.called())
		}
	})
}

// pageTokenFor links a Page to an Instagram account of the default person and returns its token.
func (f *fakeGraph) pageTokenFor(t *testing.T) string {
	t.Helper()
	f.mu.Lock()
	f.pages = append(f.pages, fakePage{id: "p9", name: "Acme", igID: "1784009", igName: "acme"})
	f.mu.Unlock()
	return f.pageToken("1784009")
}

// publishSetup is a fake with one linked account and its token.
func publishSetup(t *testing.T) (*fakeGraph, *Adapter, domain.Credentials, domain.Account) {
	t.Helper()
	f := newFakeGraph(t)
	f.pages = []fakePage{{id: "p1", name: "Acme", igID: "1784001", igName: "acme"}}
	return f, f.adapter(now), domain.Credentials{AccessToken: f.pageToken("1784001"), Expiry: now.Add(time.Hour)},
		domain.Account{Platform: domain.Instagram, ExternalID: "1784001"}
}

func TestPublish_ContentTypes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		media []string
		calls []string
	}{
		{"Image", []string{"https://cdn.example/a.jpg"}, []string{
			"GET /1784001/content_publishing_limit", "POST /1784001/media", "GET /1790", "POST /1784001/media_publish", "GET /1789"}},
		{"ReelWithSlowProcessing", []string{"https://cdn.example/slow.mp4"}, []string{
			"GET /1784001/content_publishing_limit", "POST /1784001/media", "GET /1790", "GET /1790", "GET /1790", "GET /1790", "POST /1784001/media_publish", "GET /1789"}},
		{"CarouselOfImageAndVideo", []string{"https://cdn.example/a.png", "https://cdn.example/slow.mov"}, []string{
			"GET /1784001/content_publishing_limit", "POST /1784001/media", "POST /1784001/media", "GET /1790", "GET /1790", "GET /1790", "GET /1790", "GET /1790",
			"POST /1784001/media", "GET /1790", "POST /1784001/media_publish", "GET /1789"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, a, c, acct := publishSetup(t)
			got, err := a.Publish(context.Background(), c, acct, ports.Publication{Reference: "post-1/acct-1", Text: "Launch day #acme", Media: platformtest.URLMedia(tc.media...)})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got.ExternalID == "" || got.URL != "https://www.instagram.com/p/"+got.ExternalID+"/" || !got.At.Equal(time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)) {
				t.Errorf("Publish = %+v", got)
			}
			if caption, ok := f.caption(got.ExternalID); !ok || caption != "Launch day #acme" {
				t.Errorf("published media caption = %q (%v), want the post's text", caption, ok)
			}
			if calls := trimIDs(f.called()); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls =\n%v\nwant\n%v", calls, tc.calls)
			}
		})
	}
}

// trimIDs keeps the first four digits of numeric node ids, so call lists compare.
func trimIDs(calls []string) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		method, path, _ := strings.Cut(c, " ")
		parts := strings.Split(path, "/")
		if len(parts) == 2 && (strings.HasPrefix(parts[1], "1790") || strings.HasPrefix(parts[1], "1789")) {
			parts[1] = parts[1][:4]
		}
		out[i] = method + " " + strings.Join(parts, "/")
	}
	return out
}

func TestPublish_Refusals(t *testing.T) {
	t.Parallel()
	image := []string{"https://cdn.example/a.jpg"}
	rateHeader := http.Header{"X-Business-Use-Case-Usage": {`{"1784001":[{"type":"instagram","call_count":100,"total_cputime":12,"total_time":30,"estimated_time_to_regain_access":7}]}`}}
	cases := []struct {
		name       string
		media      []string
		setup      func(f *fakeGraph)
		code       domain.Code
		retryAfter time.Duration
		message    string
	}{
		{name: "TextAloneIsInvalid", code: domain.CodeInvalid, message: "needs an image or a video"},
		{name: "UnknownMediaIsInvalid", media: []string{"https://cdn.example/a.pdf"}, code: domain.CodeInvalid},
		{name: "QuotaUsedIsRateLimited", media: image, setup: func(f *fakeGraph) { f.quota["1784001"] = 50 },
			code: domain.CodeRateLimited, retryAfter: time.Hour, message: "Instagram: this account reached its 24-hour publishing limit."},
		{name: "PublishLimitAnswerIsRateLimited", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media_publish", fakeFail{status: 400, code: 9, subcode: 2207042})
			},
			code: domain.CodeRateLimited, retryAfter: time.Hour, message: "24-hour publishing limit"},
		{name: "ExpiredTokenIsUnauthenticated", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("GET", "/1784001/content_publishing_limit", fakeFail{status: 400, code: 190, subcode: 463})
			},
			code: domain.CodeUnauthenticated},
		{name: "ThrottledWithUsageHeaderIsRateLimited", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media", fakeFail{status: 400, code: 80002, header: rateHeader})
			},
			code: domain.CodeRateLimited, retryAfter: 7 * time.Minute},
		{name: "TooManyCallsWithRetryAfterIsRateLimited", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media", fakeFail{status: 429, code: 4, header: http.Header{"Retry-After": {"30"}}})
			},
			code: domain.CodeRateLimited, retryAfter: 30 * time.Second},
		{name: "ServerErrorIsUnavailable", media: image,
			setup: func(f *fakeGraph) { f.failNext("POST", "/1784001/media", fakeFail{status: 500, code: 2}) },
			code:  domain.CodeUnavailable},
		{name: "TransientMediaErrorIsUnavailable", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media", fakeFail{status: 400, code: -1, subcode: 2207001})
			},
			code: domain.CodeUnavailable},
		{name: "DuplicateIsConflict", media: image,
			setup: func(f *fakeGraph) { f.failNext("POST", "/1784001/media_publish", fakeFail{status: 400, code: 506}) },
			code:  domain.CodeConflict},
		{name: "MissingPermissionIsForbidden", media: image,
			setup: func(f *fakeGraph) { f.failNext("POST", "/1784001/media", fakeFail{status: 403, code: 200}) },
			code:  domain.CodeForbidden},
		{name: "SpamRestrictionIsForbiddenNotThrottling", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media_publish", fakeFail{status: 400, code: 4, subcode: 2207051})
			},
			code: domain.CodeForbidden, message: "spam"},
		{name: "MediaBuilderExpiredIsUnavailable", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media", fakeFail{status: 400, code: 24, subcode: 2207008})
			},
			code: domain.CodeUnavailable},
		{name: "NotReadyAtPublishIsUnavailable", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media_publish", fakeFail{status: 400, code: 9007, subcode: 2207027})
			},
			code: domain.CodeUnavailable},
		{name: "BadMediaIsInvalid", media: image,
			setup: func(f *fakeGraph) {
				f.failNext("POST", "/1784001/media", fakeFail{status: 400, code: 36000, subcode: 2207004})
			},
			code: domain.CodeInvalid, message: "too large"},
		{name: "ContainerErrorIsInvalidWithTheReason", media: []string{"https://cdn.example/broken.mp4"},
			code: domain.CodeInvalid, message: "video format is not supported"},
		{name: "StillProcessingAtTheDeadlineIsUnavailable", media: []string{"https://cdn.example/stuck.mp4"},
			code: domain.CodeUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, a, c, acct := publishSetup(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia(tc.media...)})
			if got := domain.CodeOf(err); got != tc.code {
				t.Fatalf("CodeOf = %q, want %q; err = %v", got, tc.code, err)
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("err %v is not a *domain.Error", err)
			}
			if de.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", de.RetryAfter, tc.retryAfter)
			}
			if !strings.Contains(de.Message, tc.message) || !strings.HasPrefix(de.Message, "Instagram") {
				t.Errorf("Message = %q, want it to name Instagram and contain %q", de.Message, tc.message)
			}
			if strings.Contains(err.Error(), c.AccessToken) || strings.Contains(de.Message, "injected") {
				t.Errorf("error %q leaks the token or the platform's text", err)
			}
			if n := f.mediaCount(); n != 0 {
				t.Errorf("a failed publish left %d media", n)
			}
		})
	}
}

func TestPublish_UnreachableIsUnavailableAndHidesTheToken(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	f.srv.Close()
	_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia("https://cdn.example/a.jpg")})
	if err == nil || domain.CodeOf(err) != domain.CodeUnavailable || errors.Is(err, domain.ErrMaybePublished) {
		t.Fatalf("err = %v (%q), want unavailable, nothing published", err, domain.CodeOf(err))
	}
	if strings.Contains(err.Error(), c.AccessToken) {
		t.Errorf("error %q carries the token", err)
	}
}

func TestPublish_WrongVersionIsRefusedByTheFake(t *testing.T) {
	t.Parallel()
	f, _, c, acct := publishSetup(t)
	a := New(Config{ClientID: fakeAppID, ClientSecret: fakeAppSecret, APIURL: f.srv.URL, APIVersion: "v19.0", HTTPClient: f.srv.Client()})
	_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia("https://cdn.example/a.jpg")})
	if got := domain.CodeOf(err); got != domain.CodeInvalid {
		t.Errorf("CodeOf = %q, want invalid (the fake refuses unpinned versions); err = %v", got, err)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	ctx := context.Background()
	p := ports.Publication{Reference: "post-1/acct-1", Text: "Found me", Media: platformtest.URLMedia("https://cdn.example/a.jpg")}
	published, err := a.Publish(ctx, c, acct, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if _, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Another", Media: p.Media}); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	got, found, err := a.Lookup(ctx, c, acct, p)
	if err != nil || !found || got.ExternalID != published.ExternalID || got.URL != published.URL || got.At.IsZero() {
		t.Errorf("Lookup(published) = %+v, %v, %v; want %+v", got, found, err, published)
	}
	_, found, err = a.Lookup(ctx, c, acct, ports.Publication{Text: "Never posted", Media: p.Media})
	if err != nil || found {
		t.Errorf("Lookup(absent) = %v, %v; want false, nil", found, err)
	}
	_, _, err = a.Lookup(ctx, c, acct, ports.Publication{Media: p.Media})
	if !errors.Is(err, ports.ErrLookupUnsupported) {
		t.Errorf("Lookup(no caption) err = %v, want ErrLookupUnsupported", err)
	}
	_ = f
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	ctx := context.Background()
	published, err := a.Publish(ctx, c, acct, ports.Publication{Text: "Numbers", Media: platformtest.URLMedia("https://cdn.example/a.jpg")})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got, err := a.Metrics(ctx, c, acct, published.ExternalID)
	if want := (domain.Metrics{Likes: 12, Comments: 3, Shares: 2, Reach: 40, Impressions: 55}); err != nil || got != want {
		t.Errorf("Metrics = %+v, %v; want %+v", got, err, want)
	}

	f.mu.Lock()
	f.fewViews = true
	f.mu.Unlock()
	got, err = a.Metrics(ctx, c, acct, published.ExternalID)
	if want := (domain.Metrics{Likes: 12, Comments: 3}); err != nil || got != want {
		t.Errorf("Metrics(few viewers) = %+v, %v; want %+v", got, err, want)
	}

	_, err = a.Metrics(ctx, domain.Credentials{AccessToken: "EAArevoked"}, acct, published.ExternalID)
	if got := domain.CodeOf(err); got != domain.CodeUnauthenticated {
		t.Errorf("Metrics(revoked) CodeOf = %q, want unauthenticated", got)
	}
}

func TestPublish_PermalinkFailureKeepsThePublishedPost(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	// The media id is not known in advance; fail every node read after media_publish.
	f.failNext("GET", "/17891003", fakeFail{status: 500, code: 2})
	got, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia("https://cdn.example/a.jpg")})
	if err != nil {
		t.Fatalf("Publish = %v; a post already published must not be reported as failed", err)
	}
	if got.ExternalID != "17891003" || got.URL != "" || !got.At.Equal(now) {
		t.Errorf("Publish = %+v, want the media id, no URL, the clock's time", got)
	}
}

// TestPublish_MediaPublishWithoutAClearAnswerMayHaveBeenPublished: a 5xx from media_publish,
// or a connection broken after the request was sent, may come after Instagram published, so
// the error says so (domain.ErrMaybePublished: look with Lookup before sending again), while a
// 4xx refusal keeps its class and promises nothing was published.
func TestPublish_MediaPublishWithoutAClearAnswerMayHaveBeenPublished(t *testing.T) {
	t.Parallel()
	image := []string{"https://cdn.example/a.jpg"}
	for _, tc := range []struct {
		name  string
		setup func(f *fakeGraph)
		maybe bool
		media int
	}{
		{"ServerError", func(f *fakeGraph) { f.failNext("POST", "/1784001/media_publish", fakeFail{status: 500, code: 2}) }, true, 0},
		{"LostAnswer", func(f *fakeGraph) { f.loseNext("POST", "/1784001/media_publish") }, true, 1},
		{"Refusal", func(f *fakeGraph) {
			f.failNext("POST", "/1784001/media_publish", fakeFail{status: 400, code: 9007, subcode: 2207027})
		}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, a, c, acct := publishSetup(t)
			tc.setup(f)
			_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia(image...)})
			if err == nil || errors.Is(err, domain.ErrMaybePublished) != tc.maybe {
				t.Fatalf("Publish = %v (code %q), want maybe published %v", err, domain.CodeOf(err), tc.maybe)
			}
			if strings.Contains(err.Error(), c.AccessToken) || strings.Contains(domain.MessageOf(err), "injected") {
				t.Errorf("error leaks the token or the platform's text: %v", err)
			}
			if n := f.mediaCount(); n != tc.media {
				t.Errorf("the fake holds %d media, want %d", n, tc.media)
			}
		})
	}
}

func TestPublish_PrivateMediaIsRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	f, a, c, acct := publishSetup(t)
	for _, m := range []string{"http://127.0.0.1:8080/a.jpg", "http://localhost/a.jpg", "http://10.1.2.3/a.jpg", "http://[::1]/a.mp4"} {
		_, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia(m)})
		if got := domain.CodeOf(err); got != domain.CodeInvalid || !strings.Contains(domain.MessageOf(err), "private address") {
			t.Errorf("Publish(%s) = %v (%q), want invalid naming the private address", m, err, got)
		}
	}
	if calls := f.called(); len(calls) != 0 {
		t.Errorf("calls %v, want none before the media is refused", calls)
	}
	a.cfg.MediaAllowPrivate = true
	if _, err := a.Publish(context.Background(), c, acct, ports.Publication{Text: "Hello", Media: platformtest.URLMedia("http://127.0.0.1:8080/a.jpg")}); err != nil {
		t.Errorf("Publish(private media, allowed) = %v", err)
	}
}
