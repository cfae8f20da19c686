package facebook

import (
	"crypto/rand"
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

// TestConformance runs the platform contract against the fake Graph API, for the classic
// dialog (scope), the classic dialog with PKCE turned on, and Facebook Login for Business
// (config_id).
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name     string
		configID string
		pkce     bool
	}{
		{"Classic", "", false},
		{"ClassicWithPKCE", "", true},
		{"LoginForBusiness", "777000111222", false},
	} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			platformtest.Run(t, func(t *testing.T) platformtest.Fake {
				f := newFakeGraph(t)
				cfg := f.config()
				cfg.PKCE = v.pkce
				if v.configID != "" {
					// The configuration an operator makes in the App Dashboard: a user token
					// with the Page permissions.
					f.configs[v.configID] = []string{"pages_show_list", "business_management", "pages_manage_posts", "pages_read_engagement", "read_insights"}
					cfg.ConfigID = v.configID
				}
				return &conformanceFake{fakeGraph: f, cfg: cfg}
			})
		})
	}
}

// conformanceFake is the fake Graph API as platformtest drives it.
type conformanceFake struct {
	*fakeGraph
	cfg Config
}

func (c *conformanceFake) Adapter() ports.Platform { return New(c.cfg) }

func (c *conformanceFake) Caps() platformtest.Caps {
	caps := platformtest.Caps{
		PKCE: c.cfg.PKCE,
		// Page tokens do not expire and Meta issues no refresh token
		// (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).
		Refresh: false,
		Kinds:   []platformtest.Kind{platformtest.Text, platformtest.Image, platformtest.Images, platformtest.Video},
		// Code 506, "Duplicate Post" (https://developers.facebook.com/docs/graph-api/guides/error-handling).
		Duplicate: true,
		// Meta sends no Retry-After, but its usage headers give estimated_time_to_regain_access
		// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
		RetryAfter: true,
		Lookup:     true,
		Metrics:    true,
		// alt_text_custom on photos (https://developers.facebook.com/docs/graph-api/reference/photo/).
		AltText: true,
	}
	if c.cfg.ConfigID == "" {
		caps.Scopes = DefaultScopes
	}
	return caps
}

func (c *conformanceFake) RedirectURL() string { return c.redirect }

// Consent plays the login dialog (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow):
// the app's client_id, a registered redirect_uri, response_type=code, a state, and either
// scope (comma- or space-separated permissions) or, for Login for Business, a known config_id
// and no scope (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business).
// A PKCE challenge must be S256. The person grants everything and has one new Page.
func (c *conformanceFake) Consent(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	var perms []string
	switch {
	case u.Path != "/"+c.version+"/dialog/oauth":
		return "", fmt.Errorf("the dialog is at /%s/dialog/oauth, not %s", c.version, u.Path)
	case q.Get("client_id") != c.clientID:
		return "", fmt.Errorf("client_id %q is not the app's", q.Get("client_id"))
	case q.Get("redirect_uri") != c.redirect:
		return "", errors.New("URL Blocked: the redirect URI is not in the app's Valid OAuth Redirect URIs")
	case q.Get("response_type") != "code":
		return "", fmt.Errorf("response_type %q, want code", q.Get("response_type"))
	case q.Get("state") == "":
		return "", errors.New("no state")
	case q.Has("code_challenge") && (q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43):
		return "", errors.New("a PKCE challenge must be S256")
	case q.Has("config_id"):
		known, ok := c.configs[q.Get("config_id")]
		if !ok {
			return "", fmt.Errorf("no Login for Business configuration %q", q.Get("config_id"))
		}
		if q.Has("scope") {
			return "", errors.New("Login for Business takes config_id instead of scope, not both")
		}
		perms = known
	default:
		perms = strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ',' || r == ' ' })
		if len(perms) == 0 {
			return "", errors.New("neither scope nor config_id")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	id := fmt.Sprintf("%d", 600000+c.nextID)
	page := &fakePage{id: id, name: "Conformance Page " + id, token: "page-token-" + strings.ToLower(rand.Text()), tasks: []string{"CREATE_CONTENT", "MODERATE"}}
	c.pages = append(c.pages, page)
	user := &fakeUser{granted: append([]string{"public_profile"}, perms...)}
	if slices.Contains(perms, "pages_show_list") {
		user.pages = []*fakePage{page}
	} else {
		user.businesses = []*fakeBusiness{{id: "b" + id, name: "Portfolio", owned: []*fakePage{page}}}
	}
	code := "code-" + rand.Text()
	fc := &fakeCode{redirect: q.Get("redirect_uri"), user: user}
	if q.Has("code_challenge") {
		fc.challenge = q.Get("code_challenge")
	}
	c.codes[code] = fc
	return code, nil
}

func (c *conformanceFake) Media(kind domain.MediaKind, n int) string {
	if kind == domain.MediaVideo {
		return fmt.Sprintf("https://media.example.com/conformance-%d.mp4", n)
	}
	return fmt.Sprintf("https://media.example.com/conformance-%d.jpg", n)
}

// FailNextPublish makes the next call that would create a post answer f, in Graph's form:
// a Pages rate limit (code 80001, Page tokens fall under Business Use Case limits) with its
// X-Business-Use-Case-Usage header, whose estimated_time_to_regain_access is in minutes; a
// transient service error (code 2, HTTP 500); or code 506, a duplicate post.
func (c *conformanceFake) FailNextPublish(f platformtest.Failure, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publishFailure = c.failure(f, wait)
}

var _ platformtest.CommentFake = (*conformanceFake)(nil)

// FailNextComment makes the next comment answer f, as FailNextPublish does a post.
func (c *conformanceFake) FailNextComment(f platformtest.Failure, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commentFailure = c.failure(f, wait)
}

func (c *conformanceFake) LoseNextCommentAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseNextComment = true
}

func (c *conformanceFake) Comments(account domain.Account, parent string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.posts[account.ExternalID] {
		if p.id != parent {
			continue
		}
		for _, cm := range p.commentList {
			if cm.from == account.ExternalID {
				out = append(out, cm.message)
			}
		}
	}
	return out
}

// failure is f in Graph's form. Called with c.mu held.
func (c *conformanceFake) failure(f platformtest.Failure, wait time.Duration) *fakeFailure {
	var status int
	var header http.Header
	e := map[string]any{"type": "OAuthException", "fbtrace_id": "Conf0rmance"}
	switch f {
	case platformtest.RateLimited:
		minutes := int(math.Ceil(wait.Minutes()))
		usage, _ := json.Marshal(map[string]any{"0": []map[string]any{{"type": "pages", "call_count": 100, "total_cputime": 30, "total_time": 40, "estimated_time_to_regain_access": minutes}}})
		status, header = 400, http.Header{"X-Business-Use-Case-Usage": {string(usage)}}
		e["code"], e["message"] = 80001, "(#80001) There have been too many calls to this Page account. Wait a bit and try again."
	case platformtest.Unavailable:
		status = 500
		e["code"], e["message"], e["is_transient"] = 2, "Service temporarily unavailable", true
	case platformtest.Duplicate:
		status = 400
		e["code"], e["error_subcode"], e["message"] = 506, 1455006, "(#506) Duplicate status message"
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return &fakeFailure{status: status, header: header, body: string(body)}
}

func (c *conformanceFake) LoseNextPublishAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseNext = true
}

// ExpireAccess makes Graph refuse the token as expired: code 190, subcode 463.
func (c *conformanceFake) ExpireAccess(accessToken string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[accessToken] = 463
}

// RevokeRefresh and FailNextRefresh do nothing: Facebook has no refresh tokens (Caps.Refresh).
func (c *conformanceFake) RevokeRefresh(string) {}
func (c *conformanceFake) FailNextRefresh()     {}

func (c *conformanceFake) Posts(account domain.Account) []string {
	var out []string
	for _, p := range c.pagePosts(account.ExternalID) {
		out = append(out, p.message)
	}
	return out
}

func (c *conformanceFake) SetMetrics(account domain.Account, externalID string) domain.Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.posts[account.ExternalID] {
		if p.id == externalID {
			p.reactions, p.comments, p.shares, p.views, p.reach = 12, 3, 2, 340, 200
			return domain.Metrics{Likes: 12, Comments: 3, Shares: 2, Impressions: 340, Reach: 200}
		}
	}
	c.t.Fatalf("SetMetrics: no post %s on Page %s", externalID, account.ExternalID)
	return domain.Metrics{}
}

func (c *conformanceFake) Secrets() []string { return []string{c.secret} }

// Received answers, per media item of the post, the digest of the photo's uploaded bytes
// (source), or of what its url or the video's file_url serves (Facebook fetches those), with
// the photo's alt_text_custom.
func (c *conformanceFake) Received(account domain.Account, externalID string) []platformtest.Received {
	c.mu.Lock()
	var media []string
	for _, p := range c.posts[account.ExternalID] {
		if p.id == externalID {
			media = p.media
		}
	}
	type item struct{ url, sum, alt string }
	items := make([]item, len(media))
	for i, m := range media {
		if ph, ok := c.photos[m]; ok {
			items[i] = item{url: ph.url, sum: ph.sha256, alt: ph.alt}
		} else {
			items[i] = item{url: m}
		}
	}
	c.mu.Unlock()
	out := make([]platformtest.Received, len(items))
	for i, it := range items {
		out[i] = platformtest.Received{SHA256: it.sum, Alt: it.alt}
		if it.sum == "" {
			sum, err := platformtest.DigestOf(it.url)
			if err != nil {
				c.t.Fatalf("Received: %v", err)
			}
			out[i].SHA256 = sum
		}
	}
	return out
}
