// Package instagram publishes to Instagram professional accounts through the Instagram
// Graph API with Facebook Login (Content Publishing API), on graph.facebook.com.
package instagram

import (
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/platformenv"
)

// Production endpoints. The Graph API version is part of each path.
// https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
// https://developers.facebook.com/documentation/facebook-login/guides/access-tokens/get-long-lived
const (
	DefaultAPIVersion = "v25.0" // "Latest Graph API Version: v25.0" (get-long-lived page)
	DefaultAPIURL     = "https://graph.facebook.com"
	DefaultAuthURL    = "https://www.facebook.com/" + DefaultAPIVersion + "/dialog/oauth"
	DefaultTokenURL   = "https://graph.facebook.com/" + DefaultAPIVersion + "/oauth/access_token"
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
// false when both are unset; one without the other is an error) and the optional
// overrides HERALD_INSTAGRAM_API_URL, HERALD_INSTAGRAM_AUTH_URL and
// HERALD_INSTAGRAM_TOKEN_URL (absolute http(s) URLs; defaults: the production endpoints).
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	id, secret, ok, err := platformenv.App(getenv, "INSTAGRAM")
	if !ok {
		return Config{}, false, err
	}
	cfg := Config{
		ClientID: id, ClientSecret: secret,
		AuthURL: DefaultAuthURL, TokenURL: DefaultTokenURL, APIURL: DefaultAPIURL,
		APIVersion: DefaultAPIVersion,
	}
	if err := platformenv.URLs(getenv, "INSTAGRAM", &cfg.AuthURL, &cfg.TokenURL, &cfg.APIURL); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
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
