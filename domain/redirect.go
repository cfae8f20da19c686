package domain

import (
	"net/url"
	"strings"
)

// maxLocalPathBytes bounds an address to return to; longer ones are refused.
const maxLocalPathBytes = 2048

// LocalPath returns to unchanged and true when it is a path of this site that a redirect
// may send a browser to, such as "/accounts" or "/posts/1?tab=2"; otherwise "" and false.
// Browsers repair many malformed addresses into other sites ("/\t/x" and "/\x" both become
// "//x", another host), so it accepts only plain ASCII that starts with one slash and
// parses as a path without scheme or host, and it refuses control characters, spaces,
// backslashes, non-ASCII characters (such as look-alike slashes), ".." segments and paths
// whose decoded form starts with two slashes ("/%2F%2Fx"), holds a backslash or control
// character ("/%09/x", "/%5Cx").
func LocalPath(to string) (string, bool) {
	if len(to) == 0 || len(to) > maxLocalPathBytes || to[0] != '/' || (len(to) > 1 && (to[1] == '/' || to[1] == '\\')) {
		return "", false
	}
	for i := 0; i < len(to); i++ {
		if b := to[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(to)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	p := u.Path // percent-decoded
	if strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return "", false
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f {
			return "", false
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return "", false
		}
	}
	return to, true
}

// LocalPathOr returns to when LocalPath accepts it, and fallback otherwise.
func LocalPathOr(to, fallback string) string {
	if p, ok := LocalPath(to); ok {
		return p
	}
	return fallback
}
