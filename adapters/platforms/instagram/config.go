// Package instagram publishes to Instagram professional accounts through the Instagram
// Graph API with Facebook Login (Content Publishing API), on graph.facebook.com.
package instagram

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// Production endpoints. The Graph API version is part of each path; the Login dialog and
// the token endpoint default to the configured version's.
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
// https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived
const (
	DefaultAPIVersion = graph.DefaultVersion
	DefaultAPIURL     = graph.DefaultBaseURL
)

// Config is what the adapter needs to reach Facebook Login and the Graph API.
type Config struct {
	ClientID     string // the Meta app id
	ClientSecret string // the Meta app secret
	// AuthURL is the Login dialog, TokenURL the oauth/access_token endpoint (both with the
	// version in their path), APIURL the Graph API host without a version.
	AuthURL, TokenURL, APIURL string
	// APIVersion is the Graph API version put in front of every API path ("v25.0").
	APIVersion string
	// ConfigID is a Facebook Login for Business configuration (made in the App Dashboard
	// with the Instagram permissions): when set, the dialog carries config_id instead of
	// scope, and the configuration decides the permissions.
	// https://developers.facebook.com/docs/facebook-login/facebook-login-for-business
	ConfigID string
	// PKCE sends the S256 challenge at login and the verifier at the exchange; off by
	// default, since Meta documents PKCE only for its OIDC flow, "still in testing".
	PKCE bool
	// MediaAllowPrivate lets media sit on loopback and private addresses (tests, a local
	// media server); otherwise such addresses are refused before Meta is asked to fetch them.
	MediaAllowPrivate bool
	// HTTPClient makes every request; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PollInterval is the wait between two reads of a media container's status (default
	// 5 s) and PollTimeout how long Publish waits for a container to be FINISHED (default
	// 2 min) before giving up with CodeUnavailable so Herald retries later.
	PollInterval, PollTimeout time.Duration
}

const (
	defaultPollInterval = 5 * time.Second
	defaultPollTimeout  = 2 * time.Minute
	defaultHTTPTimeout  = 30 * time.Second
)

// ParseConfig reads HERALD_INSTAGRAM_CLIENT_ID and HERALD_INSTAGRAM_CLIENT_SECRET (ok is
// false when both are unset; one without the other is an error), the Graph API version
// shared with Facebook, HERALD_FACEBOOK_API_VERSION (default graph.DefaultVersion),
// HERALD_INSTAGRAM_CONFIG_ID (a Facebook Login for Business configuration), HERALD_INSTAGRAM_PKCE,
// HERALD_MEDIA_ALLOW_PRIVATE, and the optional overrides
// HERALD_INSTAGRAM_API_URL, HERALD_INSTAGRAM_AUTH_URL and HERALD_INSTAGRAM_TOKEN_URL
// (absolute http(s) URLs; defaults: the production endpoints of that version). Every bad
// value is reported at once.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "INSTAGRAM")
	if !ok {
		return Config{}, false, err
	}
	var errs []error
	cfg := Config{ClientID: id, ClientSecret: secret, MediaAllowPrivate: platformenv.MediaAllowPrivate(getenv)}
	if cfg.APIVersion, err = graph.ParseVersion(getenv); err != nil {
		errs = append(errs, err)
	}
	login, err := graph.ParseLogin(getenv, "INSTAGRAM")
	if err != nil {
		errs = append(errs, err)
	}
	cfg.ConfigID, cfg.PKCE = login.ConfigID, login.PKCE
	if err := platformenv.URLs(getenv, "INSTAGRAM", &cfg.AuthURL, &cfg.TokenURL, &cfg.APIURL); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg.withDefaults(), true, nil
}

// withDefaults fills the zero fields of cfg.
func (cfg Config) withDefaults() Config {
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = "https://www.facebook.com/" + cfg.APIVersion + "/dialog/oauth"
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = "https://graph.facebook.com/" + cfg.APIVersion + "/oauth/access_token"
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = defaultPollTimeout
	}
	return cfg
}
