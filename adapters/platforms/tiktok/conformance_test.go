package tiktok

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// conformance drives the TikTok fake for platformtest: Login Kit for Web consent, the
// token endpoint, and the Content Posting and Display APIs as fake_test.go follows them.
type conformance struct {
	*fake
	mode string // PostDirect or PostInbox
}

// TestConformance runs the platform contract against TikTok in direct post mode: videos
// and photo posts, metrics through /v2/video/query/.
func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Fake { return newConformance(t, PostDirect) })
}

// TestConformance_Inbox runs the contract in inbox mode. Its kinds are photo posts only:
// an inbox video carries no caption at all (the inbox init takes source_info alone,
// https://developers.tiktok.com/doc/content-posting-api-reference-upload-video), so the
// suite, which finds posts by their text, cannot check it; TestPublish_Inbox does.
func TestConformance_Inbox(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Fake { return newConformance(t, PostInbox) })
}

func newConformance(t *testing.T, mode string) *conformance {
	f := newFake(t)
	// TikTok pulls media from the fake's own /media/, a prefix verified for the app.
	// The media host and Herald's signed library URLs are both on 127.0.0.1 in tests: the
	// app has that domain verified (TikTok verifies domains or URL prefixes).
	f.verified = []string{f.srv.URL + "/media/", "http://127.0.0.1:"}
	return &conformance{fake: f, mode: mode}
}

func (c *conformance) Adapter() ports.Platform {
	return c.adapter(func(cfg *Config) {
		cfg.PostMode = c.mode
		cfg.AllowPrivateMedia = true       // the media host is the fake, on 127.0.0.1
		cfg.PollTimeout = 30 * time.Second // generous: the machine is shared
	})
}

func (c *conformance) Caps() platformtest.Caps {
	caps := platformtest.Caps{
		// Login Kit for Web takes no PKCE (code_verifier is for mobile and desktop apps).
		// https://developers.tiktok.com/doc/oauth-get-a-user-access-token
		PKCE:   false,
		Scopes: Scopes(c.mode),
		// Refresh tokens rotate: the previous one stops working.
		// https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token
		Refresh: true, RotatesRefresh: true,
		Kinds: []platformtest.Kind{platformtest.Video, platformtest.Image, platformtest.Images},
		// TikTok documents no duplicate-content refusal, and its 429 rate_limit_exceeded
		// carries no Retry-After (a one-minute sliding window).
		// https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit
		Duplicate: false, RetryAfter: false,
		// video/list shows only public, moderated videos, so a post that is not listed may
		// still exist: TikTok cannot tell that a post is absent (see Lookup), but finds a
		// public one.
		Lookup: false, LookupFindsOnly: true,
		Metrics: true,
	}
	if c.mode == PostInbox {
		caps.LookupFindsOnly = false // an inbox draft is never listed: Lookup does not call TikTok
		caps.Kinds = []platformtest.Kind{platformtest.Image, platformtest.Images}
		caps.Metrics = false // a draft in the inbox has no public video to count
	}
	return caps
}

func (c *conformance) RedirectURL() string { return c.redirectURI }

// Consent is the Login Kit for Web consent page: GET /v2/auth/authorize/ with client_key,
// scope (comma-separated), response_type=code, a registered redirect_uri and state. The
// creator grants every scope asked; each consent is a new creator.
// https://developers.tiktok.com/doc/login-kit-web
func (c *conformance) Consent(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	known := []string{"user.info.basic", "video.publish", "video.upload", "video.list"}
	scopes := strings.Split(q.Get("scope"), ",")
	switch {
	case u.Scheme+"://"+u.Host != c.srv.URL || u.Path != "/v2/auth/authorize/":
		return "", fmt.Errorf("not the consent page: %s", u.Redacted())
	case q.Get("client_key") != c.clientKey || q.Has("client_id"):
		return "", fmt.Errorf("client_key %q (client_id present: %v)", q.Get("client_key"), q.Has("client_id"))
	case q.Get("response_type") != "code":
		return "", fmt.Errorf("response_type %q", q.Get("response_type"))
	case q.Get("redirect_uri") != c.redirectURI:
		return "", fmt.Errorf("redirect_uri %q is not registered", q.Get("redirect_uri"))
	case q.Get("state") == "":
		return "", fmt.Errorf("no state")
	case q.Get("scope") == "":
		return "", fmt.Errorf("no scope")
	}
	for _, s := range scopes {
		if !slices.Contains(known, s) {
			return "", fmt.Errorf("unknown scope %q (scopes are separated by commas)", s)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.serial++
	openID := fmt.Sprintf("open-c%d", c.serial)
	c.users[openID] = &creator{displayName: fmt.Sprintf("Creator %d", c.serial), username: fmt.Sprintf("creator.%d", c.serial),
		privacy: []string{PrivacyPublic, PrivacyFollowers, PrivacySelfOnly}}
	code := fmt.Sprintf("code-c%d", c.serial)
	c.codes[code] = &grant{openID: openID, scopes: scopes, redirectURI: q.Get("redirect_uri")}
	return code, nil
}

func (c *conformance) Media(kind domain.MediaKind, n int) string {
	if kind == domain.MediaVideo {
		return c.mediaURL(fmt.Sprintf("clip-%d.mp4", n), clip(4<<10))
	}
	return c.mediaURL(fmt.Sprintf("photo-%d.jpg", n), clip(2<<10))
}

// FailNextPublish makes the next init refuse: 429 rate_limit_exceeded without Retry-After,
// or 500 internal_error, TikTok's answers before anything is created.
// https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
func (c *conformance) FailNextPublish(fl platformtest.Failure, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch fl {
	case platformtest.RateLimited:
		c.nextInit = &injected{status: 429, code: "rate_limit_exceeded"}
	case platformtest.Unavailable:
		c.nextInit = &injected{status: 500, code: "internal_error"}
	default:
		c.t.Fatalf("TikTok has no %s answer", fl)
	}
}

func (c *conformance) LoseNextPublishAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loseInit = true
}

func (c *conformance) ExpireAccess(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.access[token]; g != nil {
		g.expired = true
	}
}

func (c *conformance) RevokeRefresh(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.refresh, token)
}

// FailNextRefresh answers the next token request 500 server_error.
// https://developers.tiktok.com/doc/oauth-error-handling
func (c *conformance) FailNextRefresh() {
	c.failNext("/v2/oauth/token/", injected{status: 500, code: "server_error"})
}

// Posts returns the captions of the creator's posts TikTok has: pulled, or uploaded whole.
func (c *conformance) Posts(account domain.Account) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, p := range c.published {
		if p.openID == account.ExternalID && (p.upload == nil || p.upload.done) {
			out = append(out, p.text)
		}
	}
	return out
}

func (c *conformance) SetMetrics(account domain.Account, externalID string) domain.Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.users[account.ExternalID]
	for i := range u.videos {
		if v := &u.videos[i]; v.id == externalID {
			v.likes, v.comments, v.shares, v.view = 42, 7, 3, 1234
			return domain.Metrics{Likes: 42, Comments: 7, Shares: 3, Impressions: 1234}
		}
	}
	c.t.Errorf("SetMetrics: %s has no public video %s", account.ExternalID, externalID)
	return domain.Metrics{}
}

func (c *conformance) Secrets() []string { return []string{c.clientSecret} }

// Received answers the digest of the uploaded video, or of what TikTok pulls from each
// URL it was given; TikTok takes no alt text.
func (c *conformance) Received(account domain.Account, externalID string) []platformtest.Received {
	c.mu.Lock()
	var found *publish
	for id, p := range c.publishes {
		if p.openID == account.ExternalID && (id == externalID || p.postID == externalID) {
			found = p
		}
	}
	c.mu.Unlock()
	if found == nil {
		c.t.Fatalf("Received: %s has no publish %s", account.ExternalID, externalID)
	}
	if found.upload != nil {
		return []platformtest.Received{{SHA256: found.upload.digest()}}
	}
	out := make([]platformtest.Received, len(found.pulled))
	for i, u := range found.pulled {
		sum, err := platformtest.DigestOf(u)
		if err != nil {
			c.t.Fatalf("Received: TikTok could not pull %s: %v", u, err)
		}
		out[i].SHA256 = sum
	}
	return out
}
