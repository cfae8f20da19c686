// Package linkedin publishes to LinkedIn members and the organizations (company pages) they
// administer, through LinkedIn's versioned REST API (Posts, Images, Videos, Social Actions,
// Organization Share Statistics) and its OAuth 2.0 authorization code flow.
//
// Choices, each from LinkedIn's documentation (cited beside the code):
//   - No PKCE: LinkedIn offers it to native apps only; a web app sends its client secret.
//   - Commentary is LinkedIn's "little" text format with every reserved character escaped,
//     '#' included: hashtags read as text but are not clickable hashtag elements.
//   - Up to 20 images (one as content.media, several as content.multiImage), or one video
//     (uploaded in the parts LinkedIn asks for, then awaited until AVAILABLE).
//   - Lookup lists an organization's recent posts (posts finder by author); a member's posts
//     need r_member_social, which LinkedIn keeps to approved apps: ErrLookupUnsupported.
//   - Refresh only with a refresh token (programmatic refresh, approved apps); otherwise an
//     expired token means the person must reconnect.
package linkedin

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
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

// DefaultScopes are the member scopes (OpenID sign-in and member posts) and the Community
// Management scopes for organizations, which LinkedIn must approve for the app.
// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
var DefaultScopes = []string{
	"openid", "profile", "email", "w_member_social",
	"w_organization_social", "r_organization_social", "rw_organization_admin",
}

// Config sets up the adapter. Zero fields take the defaults New documents.
type Config struct {
	ClientID, ClientSecret string
	// AuthURL is the consent page, TokenURL the token endpoint, APIURL the API host.
	AuthURL, TokenURL, APIURL string
	// Version is the LinkedIn-Version header (YYYYMM).
	Version string
	// Scopes requested on the consent page; nil means DefaultScopes. An app without
	// Community Management approval must drop the organization scopes.
	Scopes []string
	// HTTPClient makes every request to LinkedIn; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// MediaClient downloads the media a post names; nil means a client that reaches public
	// addresses only (ports 80 and 443), so a post cannot make Herald fetch internal URLs.
	MediaClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxMediaBytes caps one downloaded media file; zero means 200 MiB.
	MaxMediaBytes int64
	// VideoPollInterval is how often a processing video is checked (zero: 3 s), VideoWait
	// how long Publish waits for LinkedIn to process it (zero: 5 min).
	VideoPollInterval, VideoWait time.Duration
}

var versionPattern = regexp.MustCompile(`^[0-9]{6}$`)

// ParseConfig reads HERALD_LINKEDIN_CLIENT_ID and HERALD_LINKEDIN_CLIENT_SECRET (ok is false
// when both are unset), the optional overrides HERALD_LINKEDIN_API_URL,
// HERALD_LINKEDIN_AUTH_URL and HERALD_LINKEDIN_TOKEN_URL (absolute http(s) URLs) and
// HERALD_LINKEDIN_VERSION (YYYYMM) and HERALD_LINKEDIN_SCOPES (space- or comma-separated;
// an app without Community Management approval sets "openid profile email w_member_social").
// It returns every bad value at once, each naming its variable, and never echoes the secret.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "LINKEDIN")
	if !ok {
		return Config{}, false, err
	}
	cfg := Config{
		ClientID: id, ClientSecret: secret,
		AuthURL: DefaultAuthURL, TokenURL: DefaultTokenURL, APIURL: DefaultAPIURL,
		Version: DefaultVersion,
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
	if v := strings.TrimSpace(getenv("HERALD_LINKEDIN_SCOPES")); v != "" {
		cfg.Scopes = splitScopes(v)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}
