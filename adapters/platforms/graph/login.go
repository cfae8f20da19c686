package graph

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
)

// Login is how a Meta app's login dialog is set up, the same for Facebook and Instagram.
type Login struct {
	// ConfigID is a Facebook Login for Business configuration: the dialog then carries
	// config_id instead of scope
	// (https://developers.facebook.com/docs/facebook-login/facebook-login-for-business).
	ConfigID string
	// PKCE sends an S256 code challenge. Meta documents PKCE only for its OIDC code flow,
	// "still in testing"
	// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/oidc-token),
	// so it is off unless the operator turns it on.
	PKCE bool
}

var configIDPattern = regexp.MustCompile(`^[0-9]{1,32}$`)

// ParseLogin reads HERALD_<name>_CONFIG_ID (digits) and HERALD_<name>_PKCE (a boolean),
// reporting every bad value, each naming its variable.
func ParseLogin(getenv func(string) string, name string) (Login, error) {
	var l Login
	var errs []error
	key := "HERALD_" + name + "_CONFIG_ID"
	if v := strings.TrimSpace(getenv(key)); v != "" {
		if !configIDPattern.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Login for Business configuration id (digits)", key, v))
		}
		l.ConfigID = v
	}
	key = "HERALD_" + name + "_PKCE"
	if v := strings.TrimSpace(getenv(key)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", key, v))
		}
		l.PKCE = b
	}
	return l, errors.Join(errs...)
}

// AuthConfig is what a Meta app's OAuth client is made of.
type AuthConfig struct {
	Platform               domain.Platform
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
	PKCE                   bool
	HTTPClient             *http.Client // nil: platformauth's default
	Now                    func() time.Time
}

// NewAuth returns the OAuth client of a Meta app on platformauth (x/oauth2). The token
// endpoint takes client_id and client_secret as parameters
// (https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow,
// "Exchanging Code for an Access Token"), and its errors are read through TokenClient. No
// scopes: the adapters put scope (or config_id) in the dialog themselves.
func NewAuth(c AuthConfig) *platformauth.Client {
	return &platformauth.Client{
		Platform: c.Platform,
		Config: oauth2.Config{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		PKCE: c.PKCE,
		HTTP: TokenClient(c.HTTPClient, c.Now),
	}
}
