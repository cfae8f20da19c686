// Package facebook publishes to Facebook Pages through Meta's Graph API, on the shared Graph
// client (adapters/platforms/graph) and OAuth on x/oauth2 (adapters/platforms/platformauth).
//
// Documentation this adapter follows (each request cites its page):
//   - Manual login flow: https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
//   - Facebook Login for Business (config_id): https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
//   - PKCE (OIDC code flow, "still in testing"): https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token
//   - Long-lived tokens: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
//   - Pages: https://developers.facebook.com/docs/pages-api/manage-pages,
//     https://developers.facebook.com/documentation/pages-api/posts.md
//   - Business portfolios: https://developers.facebook.com/docs/marketing-api/reference/business/owned_pages/,
//     https://developers.facebook.com/docs/marketing-api/reference/business/client_pages/
//   - Video: https://developers.facebook.com/documentation/video-api/guides/publishing.md
//   - Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
//   - Rate limits: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
//   - Versions: https://developers.facebook.com/docs/graph-api/changelog
package facebook

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// DefaultVersion is the Graph API version Herald calls (graph.DefaultVersion).
const DefaultVersion = graph.DefaultVersion

// The production endpoints. The dialog and token endpoints carry the version
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow).
const (
	defaultAPIURL = graph.DefaultBaseURL
	defaultWWWURL = "https://www.facebook.com"
)

// DefaultScopes are the permissions the classic dialog asks for, each one used:
// pages_show_list lists the person's Pages (GET /me/accounts), business_management the Pages
// of their business portfolios (GET /me/businesses, owned_pages, client_pages),
// pages_manage_posts publishes (text, photos and videos: the Video API asks for no other,
// https://developers.facebook.com/documentation/video-api/guides/publishing.md),
// pages_read_engagement reads posts, reactions and comments (Lookup, Metrics), and
// read_insights the views and reach (https://developers.facebook.com/docs/graph-api/reference/insights).
// publish_video is not asked for: publishing a video by file_url does not use it.
var DefaultScopes = []string{"pages_show_list", "business_management", "pages_manage_posts", "pages_read_engagement", "read_insights"}

// Config sets up the adapter. Zero fields take the defaults New documents.
type Config struct {
	ClientID     string // the Meta app id
	ClientSecret string // the Meta app secret; also keys appsecret_proof
	// Version is the Graph API version path element, such as "v26.0".
	Version string
	// AuthURL is the login dialog (default https://www.facebook.com/{Version}/dialog/oauth).
	AuthURL string
	// TokenURL is the token endpoint (default https://graph.facebook.com/{Version}/oauth/access_token).
	TokenURL string
	// APIURL is the Graph API host without the version (default https://graph.facebook.com).
	APIURL string
	// Scopes asked for on the classic dialog (default DefaultScopes).
	Scopes []string
	// ConfigID is a Facebook Login for Business configuration: when set, the dialog carries
	// config_id instead of scope, and the configuration decides the token type and the
	// permissions (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business).
	ConfigID string
	// PKCE adds the S256 challenge to the dialog and the verifier to the code exchange. Meta
	// documents PKCE only for its OIDC code flow, which it calls "still in testing"
	// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token),
	// and not for Login for Business; the manual flow authenticates the exchange with the
	// app secret. So it is off unless asked for.
	PKCE bool
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

var scopePattern = regexp.MustCompile(`^[a-z_]+$`)

// ParseConfig reads HERALD_FACEBOOK_CLIENT_ID and HERALD_FACEBOOK_CLIENT_SECRET through
// getenv: ok is false when both are unset, and it is an error when only one is. Optional:
// HERALD_FACEBOOK_API_VERSION ("v26.0", shared with Instagram), HERALD_FACEBOOK_CONFIG_ID (a
// Login for Business configuration id: digits), HERALD_FACEBOOK_SCOPES (the classic dialog's
// permissions, separated by spaces or commas), HERALD_FACEBOOK_PKCE=true (PKCE on the classic
// dialog), HERALD_FACEBOOK_API_URL, _AUTH_URL and _TOKEN_URL (absolute http(s) URLs).
// HERALD_FACEBOOK_NO_PKCE, from before PKCE was off by default, is still read: true keeps it
// off. Every bad value is reported at once. The adapter fetches no media itself (Facebook
// fetches url and file_url), so HERALD_MEDIA_ALLOW_PRIVATE does not concern it.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "FACEBOOK")
	if !ok {
		return Config{}, false, err
	}
	var errs []error
	cfg := Config{ClientID: id, ClientSecret: secret}
	if cfg.Version, err = graph.ParseVersion(getenv); err != nil {
		errs = append(errs, err)
	}
	login, err := graph.ParseLogin(getenv, "FACEBOOK")
	if err != nil {
		errs = append(errs, err)
	}
	cfg.ConfigID, cfg.PKCE = login.ConfigID, login.PKCE
	if v := strings.TrimSpace(getenv("HERALD_FACEBOOK_SCOPES")); v != "" {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' }) {
			if !scopePattern.MatchString(s) {
				errs = append(errs, fmt.Errorf("HERALD_FACEBOOK_SCOPES: %q is not a permission name", s))
				continue
			}
			cfg.Scopes = append(cfg.Scopes, s)
		}
	}
	// HERALD_FACEBOOK_NO_PKCE, from before PKCE was off by default, still turns it off.
	if v := strings.TrimSpace(getenv("HERALD_FACEBOOK_NO_PKCE")); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("HERALD_FACEBOOK_NO_PKCE: %q is not true or false", v))
		} else if b {
			cfg.PKCE = false
		}
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
