// Package platformenv reads what every platform adapter's configuration shares: the
// platform app's client id and secret (both or neither), and overrides of the platform's
// addresses (which is also how tests point an adapter at a local fake).
package platformenv

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// App reads HERALD_<NAME>_CLIENT_ID and HERALD_<NAME>_CLIENT_SECRET. ok is false when both
// are unset (the platform is not offered); one without the other is an error naming the
// missing variable. The secret never appears in an error.
func App(getenv func(string) string, name string) (id, secret string, ok bool, err error) {
	idVar, secretVar := "HERALD_"+name+"_CLIENT_ID", "HERALD_"+name+"_CLIENT_SECRET"
	id, secret = strings.TrimSpace(getenv(idVar)), strings.TrimSpace(getenv(secretVar))
	switch {
	case id == "" && secret == "":
		return "", "", false, nil
	case id == "":
		return "", "", false, fmt.Errorf("%s: unset while %s is set; set both or neither", idVar, secretVar)
	case secret == "":
		return "", "", false, fmt.Errorf("%s: unset while %s is set; set both or neither", secretVar, idVar)
	}
	return id, secret, true, nil
}

// URLs overrides *auth, *token and *api with HERALD_<NAME>_AUTH_URL, _TOKEN_URL and
// _API_URL where they are set, without a trailing slash. Every value that is not an
// absolute http(s) URL is reported, all at once.
func URLs(getenv func(string) string, name string, auth, token, api *string) error {
	var errs []error
	for _, v := range []struct {
		suffix string
		dst    *string
	}{{"_AUTH_URL", auth}, {"_TOKEN_URL", token}, {"_API_URL", api}} {
		key := "HERALD_" + name + v.suffix
		raw := strings.TrimSpace(getenv(key))
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute http(s) URL", key, raw))
			continue
		}
		*v.dst = strings.TrimRight(raw, "/")
	}
	return errors.Join(errs...)
}

// MediaAllowPrivate reads HERALD_MEDIA_ALLOW_PRIVATE, the one setting that lets every
// adapter's media downloads and uploads (adapters/outbound) reach loopback and private
// addresses: on, true, 1 or yes. The command validates its spelling at start.
func MediaAllowPrivate(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv("HERALD_MEDIA_ALLOW_PRIVATE"))) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}
