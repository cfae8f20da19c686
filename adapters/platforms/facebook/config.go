// Package facebook publishes to Facebook Pages through Meta's Graph API.
//
// Documentation this adapter follows (each request cites its page):
//   - Manual login flow: https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
//   - PKCE: https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
//   - Long-lived tokens: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
//   - Pages: https://developers.facebook.com/docs/pages-api/manage-pages,
//     https://developers.facebook.com/documentation/pages-api/posts.md
//   - Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
//   - Rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
//   - Versions: https://developers.facebook.com/docs/graph-api/changelog (v26.0, July 29, 2026)
package facebook

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// DefaultVersion is the Graph API version Herald calls: the latest one in the changelog
// (https://developers.facebook.com/docs/graph-api/changelog, v26.0 introduced July 29, 2026).
const DefaultVersion = "v26.0"

// The production endpoints. The dialog and token endpoints carry the version
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow).
const (
	defaultAPIURL = "https://graph.facebook.com"
	defaultWWWURL = "https://www.facebook.com"
)

// DefaultScopes are the permissions asked for: list the Pages and their tokens, publish
// posts (and videos), read engagement and insights
// (https://developers.facebook.com/docs/pages-api/manage-pages,
// https://developers.facebook.com/documentation/pages-api/posts.md).
var DefaultScopes = []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement", "read_insights", "publish_video"}

// Config sets up the adapter. Zero fields take the defaults New documents.
type Config struct {
	ClientID     string // the Meta app id
	ClientSecret string // the Meta app secret
	// Version is the Graph API version path element, such as "v26.0".
	Version string
	// AuthURL is the login dialog (default https://www.facebook.com/{Version}/dialog/oauth).
	AuthURL string
	// TokenURL is the token endpoint (default https://graph.facebook.com/{Version}/oauth/access_token).
	TokenURL string
	// APIURL is the Graph API host without the version (default https://graph.facebook.com).
	APIURL string
	// Scopes asked for on the dialog (default DefaultScopes).
	Scopes []string
	// NoPKCE leaves the PKCE challenge out of the dialog and the verifier out of the code
	// exchange; Facebook documents PKCE for manual flows as "still in testing"
	// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token).
	NoPKCE bool
	// VideoPollInterval is how often Publish checks an uploaded video's processing (default
	// 3 s), and VideoPollBudget how long it keeps checking before returning while Facebook is
	// still processing (default 60 s; negative: not at all).
	VideoPollInterval time.Duration
	VideoPollBudget   time.Duration
	// HTTPClient makes the requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// ParseConfig reads HERALD_FACEBOOK_CLIENT_ID and HERALD_FACEBOOK_CLIENT_SECRET through
// getenv: ok is false when both are unset, and it is an error when only one is. The optional
// HERALD_FACEBOOK_API_URL, HERALD_FACEBOOK_AUTH_URL and HERALD_FACEBOOK_TOKEN_URL override the
// endpoints (absolute http(s) URLs), HERALD_FACEBOOK_API_VERSION the version ("v26.0"), and
// HERALD_FACEBOOK_NO_PKCE=true turns PKCE off.
// Every bad value is reported at once.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "FACEBOOK")
	if !ok {
		return Config{}, false, err
	}
	var errs []error
	cfg := Config{ClientID: id, ClientSecret: secret, Version: DefaultVersion}
	if v := strings.TrimSpace(getenv("HERALD_FACEBOOK_API_VERSION")); v != "" {
		if !versionPattern.MatchString(v) {
			errs = append(errs, fmt.Errorf("HERALD_FACEBOOK_API_VERSION: %q is not a Graph API version such as %s", v, DefaultVersion))
		} else {
			cfg.Version = v
		}
	}
	if v := strings.TrimSpace(getenv("HERALD_FACEBOOK_NO_PKCE")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("HERALD_FACEBOOK_NO_PKCE: %q is not true or false", v))
		}
		cfg.NoPKCE = b
	}
	if err := platformenv.URLs(getenv, "FACEBOOK", &cfg.AuthURL, &cfg.TokenURL, &cfg.APIURL); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg.withDefaults(), true, nil
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.APIURL == "" {
		c.APIURL = defaultAPIURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.AuthURL == "" {
		c.AuthURL = defaultWWWURL + "/" + c.Version + "/dialog/oauth"
	}
	if c.TokenURL == "" {
		c.TokenURL = defaultAPIURL + "/" + c.Version + "/oauth/access_token"
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	if c.VideoPollInterval <= 0 {
		c.VideoPollInterval = 3 * time.Second
	}
	if c.VideoPollBudget == 0 {
		c.VideoPollBudget = time.Minute
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
