// Package platformtest is the one contract every platform adapter and the sandbox meet: a
// conformance suite run against each platform's fake. A fake follows its platform's
// documented contract (request shapes, headers, multi-step flows, error bodies, rate-limit
// answers); the suite drives it through Fake and checks what the adapter makes of it
// through ports.Platform. A new platform is done when it passes Run.
package platformtest

import (
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Kind is a kind of content an adapter publishes.
type Kind string

// The content kinds.
const (
	Text   Kind = "text"   // text alone
	Image  Kind = "image"  // text with one image
	Images Kind = "images" // text with two images (a carousel or multi-image post)
	Video  Kind = "video"  // text with one video
)

// Caps says what the platform does, so the suite asks for exactly that.
type Caps struct {
	// PKCE: the authorize URL carries the S256 challenge of the verifier, and Exchange
	// sends the verifier (a wrong one is refused).
	PKCE bool
	// Scopes are the scopes the authorize URL must ask for (in the scope parameter).
	Scopes []string
	// ScopeParam is the query parameter carrying the scopes; "" means "scope".
	ScopeParam string
	// Refresh: Refresh trades a refresh token for a new access token; RotatesRefresh: it
	// also gives a new refresh token, and the old one stops working.
	Refresh, RotatesRefresh bool
	// Kinds are the content kinds the adapter publishes; the first is used where the suite
	// needs any post.
	Kinds []Kind
	// Duplicate: the platform refuses a duplicate post with an answer the adapter reports
	// as domain.CodeConflict.
	Duplicate bool
	// RetryAfter: the platform's rate-limit answer says when to come back (Retry-After or
	// the like), and the adapter passes it on; otherwise the adapter still sets a wait.
	RetryAfter bool
	// Lookup: Lookup finds a post by its reference and says surely when there is none;
	// otherwise it answers ports.ErrLookupUnsupported.
	Lookup bool
	// LookupFindsOnly: Lookup may find a post (TikTok lists posts only once they are
	// public), but never says one is absent: where it does not find the post it answers
	// ports.ErrLookupUnsupported, so Herald never re-sends on its word.
	LookupFindsOnly bool
	// Metrics: Metrics reads the post's numbers; otherwise it answers
	// ports.ErrMetricsUnsupported.
	Metrics bool
	// AltText: the platform takes an image's alt text and the adapter sends it.
	AltText bool
}

// Failure is a refusal a fake gives the next publish, in the platform's documented form.
type Failure string

// The publish failures every fake can give.
const (
	// RateLimited is the platform's rate-limit answer, with its wait where it gives one.
	RateLimited Failure = "rate_limited"
	// Unavailable is a server error (a 5xx or a transient error code) answered before the
	// post exists. The adapter answers a code worth retrying; where the platform does not
	// promise that such an answer created nothing, it may say ErrMaybePublished too.
	Unavailable Failure = "unavailable"
	// Duplicate is the platform's duplicate-content refusal (only where Caps.Duplicate).
	Duplicate Failure = "duplicate"
)

// Fake is one platform's fake server as the suite drives it. Each Run subtest gets its
// own Fake from the constructor passed to Run.
type Fake interface {
	// Adapter returns the adapter under test, configured to call this fake.
	Adapter() ports.Platform
	// Caps says what the platform does.
	Caps() Caps
	// RedirectURL is the redirect address registered for the app at the fake.
	RedirectURL() string
	// Consent plays a person on the consent page at authURL who grants everything asked:
	// it checks the request as the platform would and returns the authorization code the
	// platform's redirect would carry. Each call creates a new account, which Exchange
	// returns first.
	Consent(authURL string) (code string, err error)
	// Media returns the address of a file of kind (domain.MediaImage or MediaVideo) the
	// adapter and the platform can fetch; n tells files apart.
	Media(kind domain.MediaKind, n int) string
	// FailNextPublish makes the next publish answer f (with wait, where the platform says
	// when to come back) without creating a post.
	FailNextPublish(f Failure, wait time.Duration)
	// LoseNextPublishAnswer makes the next publish reach the platform, which creates the
	// post, and its answer never arrive (the connection breaks after the request was sent).
	LoseNextPublishAnswer()
	// ExpireAccess makes the platform refuse the access token as expired.
	ExpireAccess(accessToken string)
	// RevokeRefresh makes the platform refuse the refresh token (the grant is gone).
	RevokeRefresh(refreshToken string)
	// FailNextRefresh makes the next token refresh answer a server error.
	FailNextRefresh()
	// Posts returns the texts of the account's posts on the platform, oldest first.
	Posts(account domain.Account) []string
	// SetMetrics gives the post numbers at the platform and returns the metrics Herald
	// must read from them.
	SetMetrics(account domain.Account, externalID string) domain.Metrics
	// Received returns what the platform got of the media of the account's post
	// externalID (as Publish answered it), in order: the digest of the bytes uploaded to it
	// or fetched from the address it was given, and the alt text.
	Received(account domain.Account, externalID string) []Received
	// Secrets are the app's secrets (client secret, app secret), which no error may carry.
	Secrets() []string
}

// URLMedia describes media given by address, as Herald publishes a post's media_urls: the
// kind judged from each address's extension, no stored bytes (Open nil).
func URLMedia(urls ...string) []ports.PublicationMedia {
	out := make([]ports.PublicationMedia, len(urls))
	for i, u := range urls {
		out[i] = ports.PublicationMedia{Kind: domain.KindOfMedia(u), URL: u}
	}
	return out
}
