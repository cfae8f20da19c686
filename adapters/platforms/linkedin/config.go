// Package linkedin publishes to LinkedIn members and the organizations (company pages) they
// administer, through LinkedIn's versioned REST API (Posts, Images, Videos, Social Actions,
// Organization Share Statistics) and its OAuth 2.0 authorization code flow.
//
// Choices, each from LinkedIn's documentation (cited beside the code):
//   - OAuth on golang.org/x/oauth2 (adapters/platforms/platformauth), without PKCE: LinkedIn
//     enables PKCE for native apps only, one by one, with loopback redirects; a web app
//     authenticates the exchange with its client secret.
//   - Member scopes by default; the Community Management scopes for organizations only when
//     configured, since consent fails for apps LinkedIn has not approved for them.
//   - Commentary is LinkedIn's "little" text format with every reserved character escaped,
//     '#' included: hashtags read as text but are not clickable hashtag elements. The
//     3,000-character limit is checked on the escaped text.
//   - Up to 20 images (one as content.media, several as content.multiImage), or one video
//     (uploaded in the parts LinkedIn asks for, then awaited until AVAILABLE); media are
//     downloaded through adapters/outbound.
//   - A create call without a clear answer wraps domain.ErrMaybePublished; Lookup then
//     lists the author's recent posts (posts finder by author). An organization's posts
//     need r_organization_social; a member's need r_member_social, which LinkedIn keeps to
//     select partners: without it Lookup answers ErrLookupUnsupported and Metrics
//     ErrMetricsUnsupported (LinkedIn shares no numbers of a member's posts).
//   - Refresh only with a refresh token (programmatic refresh, approved apps); otherwise the
//     token lives its 60 days and then the person must reconnect.
package linkedin

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// The production endpoints.
//   - Authorization and token URLs:
//     https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
//   - API host (versioned /rest/... resources and OpenID /v2/userinfo):
//     https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
const (
	DefaultAuthURL  = "https://www.linkedin.com/oauth/v2/authorization"
	DefaultTokenURL = "https://www.linkedin.com/oauth/v2/accessToken"
	DefaultAPIURL   = "https://api.linkedin.com"
	// DefaultVersion is the LinkedIn-Version header value (YYYYMM). LinkedIn keeps a version
	// for about a year; set HERALD_LINKEDIN_VERSION to move on.
	// https://learn.microsoft.com/en-us/linkedin/marketing/versioning
	DefaultVersion = "202605"
)

// MemberScopes are what Herald asks every member for: OpenID Connect sign-in (openid,
// profile, email: the member's id and name from userinfo) and w_member_social, to post as
// the member. These come with the self-serve products "Sign In with LinkedIn using OpenID
// Connect" and "Share on LinkedIn", so any app can ask for them.
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/share-on-linkedin
var MemberScopes = []string{"openid", "profile", "email", "w_member_social"}

// OrganizationScopes are the Community Management API's scopes for the organizations
// (LinkedIn Pages) a member administers: post as them, read their posts, likes and
// comments, and list the member's roles and read page statistics. LinkedIn grants them
// only to apps it approved for that product; consent fails for other apps, so Herald asks
// for them only when Config.Organizations is set (HERALD_LINKEDIN_ORGANIZATIONS=on).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/community-management-overview
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
var OrganizationScopes = []string{"w_organization_social", "r_organization_social", "rw_organization_admin"}

// scopeMemberSocial reads a member's own posts, likes and comments. LinkedIn grants it to
// select partners only; without it LinkedIn shares no numbers of a member's posts and no
// list of them.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
const scopeMemberSocial = "r_member_social"

// Config sets up the adapter. Zero fields take the defaults New documents.
type Config struct {
	ClientID, ClientSecret string
	// AuthURL is the consent page, TokenURL the token endpoint, APIURL the API host.
	AuthURL, TokenURL, APIURL string
	// Version is the LinkedIn-Version header (YYYYMM).
	Version string
	// Organizations: the app has the Community Management API, so consent asks for
	// OrganizationScopes too and connecting adds every organization the member administers.
	Organizations bool
	// Scopes replace MemberScopes on the consent page (an approved partner adds
	// r_member_social); OrganizationScopes are added when Organizations is set.
	Scopes []string
	// HTTPClient makes every request to LinkedIn; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// MediaAllowPrivate lets the default media client reach loopback and private addresses
	// (HERALD_MEDIA_ALLOW_PRIVATE).
	MediaAllowPrivate bool
	// MediaClient downloads the media a post names; nil means adapters/outbound's guarded
	// client (public addresses only unless MediaAllowPrivate, any port), so a post cannot
	// make Herald fetch internal URLs.
	MediaClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxMediaBytes caps one downloaded media file; zero means 200 MiB.
	MaxMediaBytes int64
	// VideoPollInterval is how often a processing video is checked (zero: 3 s), VideoWait
	// how long Publish waits for LinkedIn to process it (zero: 5 min).
	VideoPollInterval, VideoWait time.Duration
}

// scopes returns the scopes the consent page asks for.
func (c Config) scopes() []string {
	out := slices.Clone(c.Scopes)
	if len(out) == 0 {
		out = slices.Clone(MemberScopes)
	}
	if c.Organizations {
		for _, s := range OrganizationScopes {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

var versionPattern = regexp.MustCompile(`^[0-9]{6}$`)

// ParseConfig reads HERALD_LINKEDIN_CLIENT_ID and HERALD_LINKEDIN_CLIENT_SECRET (ok is false
// when both are unset), the optional overrides HERALD_LINKEDIN_API_URL,
// HERALD_LINKEDIN_AUTH_URL and HERALD_LINKEDIN_TOKEN_URL (absolute http(s) URLs),
// HERALD_LINKEDIN_VERSION (YYYYMM), HERALD_LINKEDIN_ORGANIZATIONS (on or off, default off:
// the app has the Community Management API), HERALD_LINKEDIN_SCOPES (space- or
// comma-separated, replacing MemberScopes) and HERALD_MEDIA_ALLOW_PRIVATE. It returns
// every bad value at once, each naming its variable, and never echoes the secret.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "LINKEDIN")
	if !ok {
		return Config{}, false, err
	}
	cfg := Config{
		ClientID: id, ClientSecret: secret,
		AuthURL: DefaultAuthURL, TokenURL: DefaultTokenURL, APIURL: DefaultAPIURL,
		Version: DefaultVersion, MediaAllowPrivate: platformenv.MediaAllowPrivate(getenv),
	}
	var errs []error
	if err := platformenv.URLs(getenv, "LINKEDIN", &cfg.AuthURL, &cfg.TokenURL, &cfg.APIURL); err != nil {
		errs = append(errs, err)
	}
	if v := strings.TrimSpace(getenv("HERALD_LINKEDIN_VERSION")); v != "" {
		if !versionPattern.MatchString(v) {
			errs = append(errs, fmt.Errorf("HERALD_LINKEDIN_VERSION: %q is not a version of the form YYYYMM, such as 202605", v))
		} else {
			cfg.Version = v
		}
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("HERALD_LINKEDIN_ORGANIZATIONS"))); v {
	case "", "off", "false", "0", "no":
	case "on", "true", "1", "yes":
		cfg.Organizations = true
	default:
		errs = append(errs, fmt.Errorf("HERALD_LINKEDIN_ORGANIZATIONS: %q is neither on nor off", v))
	}
	if v := strings.TrimSpace(getenv("HERALD_LINKEDIN_SCOPES")); v != "" {
		cfg.Scopes = splitScopes(v)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}
