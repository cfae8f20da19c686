package instagram

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// fakeConfigID is the Facebook Login for Business configuration the fake knows.
const fakeConfigID = "884400112233"

// TestConformance runs the platform contract against the fake Graph API: the classic dialog
// without PKCE (the default) and with it, and Facebook Login for Business (config_id).
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name     string
		pkce     bool
		configID string
	}{{"Classic", false, ""}, {"ClassicWithPKCE", true, ""}, {"LoginForBusiness", false, fakeConfigID}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			platformtest.Run(t, func(t *testing.T) platformtest.Fake {
				return &conformanceFake{fakeGraph: newFakeGraph(t), pkce: v.pkce, configID: v.configID}
			})
		})
	}
}

// conformanceFake is the fake Graph API as platformtest drives it.
type conformanceFake struct {
	*fakeGraph
	pkce     bool
	configID string
}

func (c *conformanceFake) Adapter() ports.Platform {
	return New(Config{
		ClientID: fakeAppID, ClientSecret: fakeAppSecret,
		AuthURL:    c.srv.URL + "/" + c.version + "/dialog/oauth",
		TokenURL:   c.srv.URL + "/" + c.version + "/oauth/access_token",
		APIURL:     c.srv.URL,
		APIVersion: c.version,
		HTTPClient: c.srv.Client(),
		PKCE:       c.pkce,
		ConfigID:   c.configID,
		// Containers are polled every 5 ms here; processing in the fake takes no time.
		PollInterval: 5 * time.Millisecond, PollTimeout: 30 * time.Second,
	})
}

func (c *conformanceFake) Caps() platformtest.Caps {
	scopes := Scopes
	if c.configID != "" {
		scopes = nil // the configuration holds the permissions
	}
	return platformtest.Caps{
		PKCE:   c.pkce,
		Scopes: scopes,
		// Meta issues no refresh token; Page tokens do not expire and data access is renewed
		// only by the person's login (https://developers.facebook.com/docs/facebook-login/auth-vs-data).
		Refresh: false,
		// Instagram publishes media only: an image, a carousel, a video as a reel
		// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/content-publishing).
		Kinds: []platformtest.Kind{platformtest.Image, platformtest.Images, platformtest.Video},
		// Instagram documents no duplicate-content answer for the Content Publishing API
		// (https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes).
		Duplicate: false,
		// No Retry-After, but X-Business-Use-Case-Usage gives estimated_time_to_regain_access
		// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
		RetryAfter: true,
		Lookup:     true,
		Metrics:    true,
	}
}

func (c *conformanceFake) RedirectURL() string { return fakeRedirect }

// Consent plays the login dialog (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow):
// the app's client_id, the registered redirect_uri, response_type=code, a state and the
// permissions as scope (comma- or space-separated), or, for Login for Business, a known
// config_id and no scope (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business);
// a PKCE challenge must be S256
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token).
// The person grants everything and has one new Page linked to a new Instagram account.
func (c *conformanceFake) Consent(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	scopes := strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ',' || r == ' ' })
	switch {
	case u.Path != "/"+c.version+"/dialog/oauth":
		return "", fmt.Errorf("the dialog is at /%s/dialog/oauth, not %s", c.version, u.Path)
	case q.Get("client_id") != fakeAppID:
		return "", fmt.Errorf("client_id %q is not the app's", q.Get("client_id"))
	case q.Get("redirect_uri") != fakeRedirect:
		return "", errors.New("URL Blocked: the redirect URI is not in the app's Valid OAuth Redirect URIs")
	case q.Get("response_type") != "code":
		return "", fmt.Errorf("response_type %q, want code", q.Get("response_type"))
	case q.Get("state") == "":
		return "", errors.New("no state")
	case q.Has("code_challenge") && (q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43):
		return "", errors.New("a PKCE challenge must be S256")
	}
	switch {
	case q.Has("config_id") && q.Get("config_id") != fakeConfigID:
		return "", fmt.Errorf("no Login for Business configuration %q", q.Get("config_id"))
	case q.Has("config_id") && q.Has("scope"):
		return "", errors.New("Login for Business takes config_id instead of scope, not both")
	case q.Has("config_id"):
		// The configuration grants the Instagram permissions.
	default:
		for _, s := range Scopes {
			if !slices.Contains(scopes, s) {
				return "", fmt.Errorf("scope %q lacks %s", q.Get("scope"), s)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	user := c.id("u")
	n := c.id("")
	c.pages = append(c.pages, fakePage{user: user, id: "p" + n, name: "Conformance Page " + n, igID: "1785" + n, igName: "conformance." + n})
	code := c.id("AQcode")
	c.codes[code] = fakeCode{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), user: user}
	return code, nil
}

func (c *conformanceFake) Media(kind domain.MediaKind, n int) string {
	if kind == domain.MediaVideo {
		return fmt.Sprintf("https://cdn.example/conformance-%d.mp4", n)
	}
	return fmt.Sprintf("https://cdn.example/conformance-%d.jpg", n)
}

// FailNextPublish makes the next container creation (the first call that would make a post,
// POST /{ig-user-id}/media) answer f in Graph's form: the Instagram Business Use Case rate
// limit (code 80002) with its X-Business-Use-Case-Usage header, whose
// estimated_time_to_regain_access is in minutes
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/); or a transient
// service error (code 2, HTTP 500, https://developers.facebook.com/docs/graph-api/guides/error-handling).
func (c *conformanceFake) FailNextPublish(f platformtest.Failure, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f {
	case platformtest.RateLimited:
		usage, _ := json.Marshal(map[string]any{"0": []map[string]any{{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 30,
			"estimated_time_to_regain_access": int(math.Ceil(wait.Minutes()))}}})
		c.failContainer = &fakeFail{status: 400, code: 80002, header: http.Header{"X-Business-Use-Case-Usage": {string(usage)}}}
	case platformtest.Unavailable:
		c.failContainer = &fakeFail{status: 500, code: 2, transient: true}
	default:
		c.t.Fatalf("fake: Instagram has no %s answer", f)
	}
}

var _ platformtest.CommentFake = (*conformanceFake)(nil)

// FailNextComment makes the next comment answer f, in the form FailNextPublish uses.
func (c *conformanceFake) FailNextComment(f platformtest.Failure, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f {
	case platformtest.RateLimited:
		usage, _ := json.Marshal(map[string]any{"0": []map[string]any{{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 30,
			"estimated_time_to_regain_access": int(math.Ceil(wait.Minutes()))}}})
		c.failComment = &fakeFail{status: 400, code: 80002, header: http.Header{"X-Business-Use-Case-Usage": {string(usage)}}}
	case platformtest.Unavailable:
		c.failComment = &fakeFail{status: 500, code: 2, transient: true}
	default:
		c.t.Fatalf("fake: Instagram has no %s answer", f)
	}
}

// LoseNextCommentAnswer makes the next comment be made and its answer dropped.
func (c *conformanceFake) LoseNextCommentAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseNextComment = true
}

func (c *conformanceFake) Comments(account domain.Account, parent string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if m, ok := c.media[parent]; ok && m.owner == account.ExternalID {
		for _, cm := range m.commentList {
			if cm.from == account.ExternalID {
				out = append(out, cm.text)
			}
		}
	}
	return out
}

// LoseNextPublishAnswer makes the next media_publish publish and drop its answer.
func (c *conformanceFake) LoseNextPublishAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseNextPublish = true
}

// ExpireAccess makes Graph refuse the token as expired: code 190, subcode 463.
func (c *conformanceFake) ExpireAccess(accessToken string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tok, ok := c.tokens[accessToken]; ok {
		tok.expires = time.Now().Add(-time.Minute)
	}
}

// RevokeRefresh and FailNextRefresh do nothing: Meta has no refresh tokens (Caps.Refresh).
func (c *conformanceFake) RevokeRefresh(string) {}
func (c *conformanceFake) FailNextRefresh()     {}

func (c *conformanceFake) Posts(account domain.Account) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.order {
		if m := c.media[id]; m.owner == account.ExternalID {
			out = append(out, m.caption)
		}
	}
	return out
}

// SetMetrics gives the media like_count and comments_count (fields of the IG Media node,
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/ig-media)
// and its insights reach, views, shares and saved
// (https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights);
// Herald reads views as impressions and does not keep saved.
func (c *conformanceFake) SetMetrics(account domain.Account, externalID string) domain.Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.media[externalID]
	if !ok || m.owner != account.ExternalID {
		c.t.Fatalf("fake: no media %s on %s", externalID, account.ExternalID)
	}
	m.likes, m.comments = 31, 7
	m.insights = map[string]int64{"reach": 420, "views": 977, "shares": 12, "saved": 9, "likes": 31, "comments": 7, "total_interactions": 59}
	return domain.Metrics{Likes: 31, Comments: 7, Shares: 12, Reach: 420, Impressions: 977}
}

func (c *conformanceFake) Secrets() []string { return []string{fakeAppSecret} }

// Received fetches, as Meta's servers do, each media URL of the published post's container
// (or of its carousel's children) and answers their digests with any alt text sent.
func (c *conformanceFake) Received(account domain.Account, externalID string) []platformtest.Received {
	c.mu.Lock()
	m, ok := c.media[externalID]
	if !ok || m.owner != account.ExternalID {
		c.mu.Unlock()
		c.t.Fatalf("fake: no media %s on %s", externalID, account.ExternalID)
	}
	items := []*fakeCont{c.container[m.creation]}
	if ids := items[0].children; len(ids) > 0 {
		items = nil
		for _, id := range ids {
			items = append(items, c.container[id])
		}
	}
	c.mu.Unlock()
	out := make([]platformtest.Received, len(items))
	for i, it := range items {
		sum, err := platformtest.DigestOf(it.url)
		if err != nil {
			c.t.Fatalf("fake: Instagram could not fetch %s: %v", it.url, err)
		}
		out[i] = platformtest.Received{SHA256: sum, Alt: it.alt}
	}
	return out
}
