package linkedin

import (
	"context"
	"crypto/rand"
	"errors"
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

// TestConformance runs the platform contract against the fake LinkedIn, for the three kinds
// of app LinkedIn distinguishes (each with its documented products):
//   - Member: the self-serve products every app gets (OpenID Connect sign-in, Share on
//     LinkedIn). No refresh tokens, and no r_member_social, so LinkedIn neither lists a
//     member's posts nor shares their numbers: Lookup and Metrics are unsupported.
//   - Partner: an app LinkedIn granted programmatic refresh tokens and r_member_social.
//   - Organization: an app with the Community Management API, publishing as a page the
//     member administers.
func TestConformance(t *testing.T) {
	t.Parallel()
	kinds := []platformtest.Kind{platformtest.Text, platformtest.Image, platformtest.Images, platformtest.Video}
	t.Run("Member", func(t *testing.T) {
		t.Parallel()
		platformtest.Run(t, func(t *testing.T) platformtest.Fake {
			return newConformanceFake(t, conformanceApp{}, platformtest.Caps{
				AltText: true, Scopes: MemberScopes, Kinds: kinds, Duplicate: true,
			})
		})
	})
	t.Run("Partner", func(t *testing.T) {
		t.Parallel()
		platformtest.Run(t, func(t *testing.T) platformtest.Fake {
			return newConformanceFake(t, conformanceApp{partner: true}, platformtest.Caps{
				AltText: true, Scopes: append(slices.Clone(MemberScopes), scopeMemberSocial), Kinds: kinds, Duplicate: true,
				Refresh: true, Lookup: true, Metrics: true,
			})
		})
	})
	t.Run("Organization", func(t *testing.T) {
		t.Parallel()
		platformtest.Run(t, func(t *testing.T) platformtest.Fake {
			return newConformanceFake(t, conformanceApp{organizations: true}, platformtest.Caps{
				AltText: true, Scopes: append(slices.Clone(MemberScopes), OrganizationScopes...), Kinds: kinds, Duplicate: true,
				Lookup: true, Metrics: true,
			})
		})
	})
}

// conformanceApp is what LinkedIn granted the app.
type conformanceApp struct {
	partner       bool // programmatic refresh tokens and r_member_social
	organizations bool // the Community Management API
}

// conformanceFake is platformtest.Fake over fakeLinkedIn.
type conformanceFake struct {
	f       *fakeLinkedIn
	adapter ports.Platform
	caps    platformtest.Caps
	app     conformanceApp
}

func newConformanceFake(t *testing.T, app conformanceApp, caps platformtest.Caps) *conformanceFake {
	f := newFake(t)
	f.approved = map[string]bool{}
	for _, s := range MemberScopes {
		f.approved[s] = true
	}
	cfg := f.config()
	cfg.Organizations = app.organizations
	cfg.VideoPollInterval, cfg.VideoWait = 10*time.Millisecond, time.Minute
	if app.organizations {
		for _, s := range OrganizationScopes {
			f.approved[s] = true
		}
	}
	if app.partner {
		f.approved[scopeMemberSocial] = true
		f.grantRefresh = true
		cfg.Scopes = append(slices.Clone(MemberScopes), scopeMemberSocial)
	}
	var adapter ports.Platform = New(cfg)
	if app.organizations {
		adapter = organizationFirst{New(cfg)}
	}
	return &conformanceFake{f: f, adapter: adapter, caps: caps, app: app}
}

// organizationFirst puts the organizations a consent gave before the member, so the
// suite, which takes the first account, publishes as the page.
type organizationFirst struct{ *Adapter }

func (o organizationFirst) Exchange(ctx context.Context, code, verifier, redirectURL string) ([]domain.Identity, error) {
	ids, err := o.Adapter.Exchange(ctx, code, verifier, redirectURL)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ids, func(a, b domain.Identity) int {
		return boolRank(isMember(a.ExternalID)) - boolRank(isMember(b.ExternalID))
	})
	return ids, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *conformanceFake) Adapter() ports.Platform { return c.adapter }
func (c *conformanceFake) Caps() platformtest.Caps { return c.caps }
func (c *conformanceFake) RedirectURL() string     { return c.f.redirectURL }
func (c *conformanceFake) Secrets() []string       { return []string{c.f.clientSecret} }

// Received answers the digest of each uploaded image or video of the post, with its altText.
func (c *conformanceFake) Received(account domain.Account, externalID string) []platformtest.Received {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	for _, p := range c.f.posts {
		if p.id != externalID || p.author != account.ExternalID {
			continue
		}
		out := make([]platformtest.Received, len(p.media))
		for i, id := range p.media {
			out[i].Alt = p.alts[i]
			if img, ok := c.f.images[id]; ok {
				out[i].SHA256 = hexSHA256(string(img.uploaded))
			} else if v, ok := c.f.videos[id]; ok {
				out[i].SHA256 = v.sha256
			}
		}
		return out
	}
	c.f.t.Fatalf("Received: no post %s by %s", externalID, account.ExternalID)
	return nil
}
func (c *conformanceFake) LoseNextPublishAnswer() { c.locked(func() { c.f.loseAnswer = true }) }
func (c *conformanceFake) FailNextRefresh()       { c.locked(func() { c.f.failRefresh = true }) }
func (c *conformanceFake) RevokeRefresh(rt string) {
	c.locked(func() { delete(c.f.refreshTokens, rt) })
}
func (c *conformanceFake) locked(fn func()) { c.f.mu.Lock(); defer c.f.mu.Unlock(); fn() }
func (c *conformanceFake) ExpireAccess(tok string) {
	c.locked(func() {
		if t, ok := c.f.tokens[tok]; ok {
			t.expired = true
		}
	})
}

// Consent plays LinkedIn's consent page: it checks the request as the authorization
// endpoint does (response_type=code, the app's client id, a registered redirect_uri, the
// scopes the app's products grant) and, for a new member, returns the code LinkedIn's
// redirect would carry. A scope the app was not granted fails consent with
// unauthorized_scope_error.
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
func (c *conformanceFake) Consent(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	f := c.f
	switch {
	case u.Scheme+"://"+u.Host+u.Path != f.srv.URL+"/oauth/v2/authorization":
		return "", fmt.Errorf("not LinkedIn's authorization endpoint: %s", u.Path)
	case q.Get("response_type") != "code":
		return "", errors.New("error=invalid_request: response_type must be code")
	case q.Get("client_id") != f.clientID:
		return "", errors.New("error=invalid_request: unknown client_id")
	case q.Get("redirect_uri") != f.redirectURL:
		return "", errors.New("error=invalid_request: the redirect_uri does not match the registered value")
	case q.Get("state") == "":
		return "", errors.New("the request carries no state")
	}
	scopes := strings.Fields(q.Get("scope"))
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range scopes {
		if !f.approved[s] {
			return "", fmt.Errorf("error=unauthorized_scope_error: Scope %q is not authorized for your application", s)
		}
	}
	f.seq++
	sub := fmt.Sprintf("conf%d", f.seq)
	f.members[sub] = fmt.Sprintf("Member %d", f.seq)
	if c.app.organizations {
		org := fmt.Sprint(9000 + f.seq)
		f.orgs[org] = "Page " + org
		f.acls[sub] = []fakeACL{{"urn:li:organization:" + org, "ADMINISTRATOR", "APPROVED"}}
	}
	code := "code-" + rand.Text()
	f.codes[code] = fakeGrant{sub: sub, scopes: scopes}
	return code, nil
}

// Media serves images as .jpg and videos as .mp4 from the fake (on loopback: the adapter
// runs with MediaAllowPrivate, as HERALD_MEDIA_ALLOW_PRIVATE=on would set it).
func (c *conformanceFake) Media(kind domain.MediaKind, n int) string {
	if kind == domain.MediaVideo {
		return fmt.Sprintf("%s/media/clip-%d.mp4", c.f.srv.URL, n)
	}
	return fmt.Sprintf("%s/media/photo-%d.jpg", c.f.srv.URL, n)
}

// FailNextPublish makes the next create call answer as LinkedIn documents: 429 without a
// Retry-After (LinkedIn documents none; daily limits reset at midnight UTC), a 503, or
// 422 DUPLICATE_POST.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
func (c *conformanceFake) FailNextPublish(f platformtest.Failure, _ time.Duration) {
	switch f {
	case platformtest.RateLimited:
		c.f.fail("posts", fakeFailure{status: 429, body: `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle limit for calls to this resource is reached."}`})
	case platformtest.Unavailable:
		c.f.fail("posts", fakeFailure{status: 503, body: `{"status":503,"message":"Service Unavailable"}`})
	case platformtest.Duplicate:
		c.f.fail("posts", fakeFailure{status: 422, body: `{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of urn:li:share:7141138937766391808","errorDetails":{"inputErrors":[{"description":"Duplicate post is detected","input":{},"code":"DUPLICATE_POST"}]},"status":422}`})
	}
}

var _ platformtest.CommentFake = (*conformanceFake)(nil)

// FailNextComment makes the next comment answer as FailNextPublish does a post (a
// duplicate is LinkedIn's 422 for repeated content).
func (c *conformanceFake) FailNextComment(f platformtest.Failure, _ time.Duration) {
	switch f {
	case platformtest.RateLimited:
		c.f.fail("comments", fakeFailure{status: 429, body: `{"status":429,"serviceErrorCode":101,"code":"TOO_MANY_REQUESTS","message":"Resource level throttle limit for calls to this resource is reached."}`})
	case platformtest.Unavailable:
		c.f.fail("comments", fakeFailure{status: 503, body: `{"status":503,"message":"Service Unavailable"}`})
	case platformtest.Duplicate:
		c.f.fail("comments", fakeFailure{status: 422, body: `{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"Content is a duplicate","errorDetails":{"inputErrors":[{"description":"Duplicate comment is detected","input":{},"code":"DUPLICATE_POST"}]},"status":422}`})
	}
}

func (c *conformanceFake) LoseNextCommentAnswer() { c.locked(func() { c.f.loseComment = true }) }

// Comments returns the account's comments under the post parent.
func (c *conformanceFake) Comments(account domain.Account, parent string) []string {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	var out []string
	for _, p := range c.f.posts {
		if p.id != parent {
			continue
		}
		for _, cm := range p.comments {
			if cm.actor == account.ExternalID {
				out = append(out, cm.text)
			}
		}
	}
	return out
}

// Posts returns the account's posts as LinkedIn shows them (escapes read).
func (c *conformanceFake) Posts(account domain.Account) []string {
	var out []string
	for _, p := range c.f.postsOf(account.ExternalID) {
		out = append(out, p.rendered)
	}
	return out
}

// SetMetrics gives the post likes and comments (social actions) and, for an organization's
// post, share statistics, and returns what Herald reads from them.
func (c *conformanceFake) SetMetrics(account domain.Account, externalID string) domain.Metrics {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.social[externalID] = [2]int64{17, 4}
	if isMember(account.ExternalID) {
		return domain.Metrics{Likes: 17, Comments: 4}
	}
	c.f.stats[externalID] = [3]int64{1200, 800, 6}
	return domain.Metrics{Likes: 17, Comments: 4, Shares: 6, Reach: 800, Impressions: 1200}
}
