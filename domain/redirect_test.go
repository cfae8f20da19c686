package domain

import "testing"

func TestLocalPath_AcceptsOnlyPathsOfThisSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"Root", "/", true},
		{"Page", "/accounts", true},
		{"PageWithQuery", "/posts/42?tab=metrics&x=%2F%2Fy", true},
		{"CallbackWithCodeAndState", "/api/v1/accounts/callback/sandbox?code=abc&state=DEF", true},
		{"Fragment", "/posts#new", true},
		{"EncodedSpaceInPath", "/media/my%20file", true},
		{"Empty", "", false},
		{"Relative", "accounts", false},
		{"ProtocolRelative", "//evil.example", false},
		{"ProtocolRelativeWithPath", "//evil.example/accounts", false},
		{"Backslash", `/\evil.example`, false},
		{"BackslashLater", `/accounts\..\x`, false},
		{"TabBetweenSlashes", "/\t/evil.example", false},
		{"NewlineBetweenSlashes", "/\n/evil.example", false},
		{"CarriageReturn", "/accounts\r\nSet-Cookie: x=1", false},
		{"NUL", "/accounts\x00", false},
		{"EncodedTab", "/%09/evil.example", false},
		{"EncodedSlashes", "/%2F%2Fevil.example", false},
		{"EncodedSlashesLowerCase", "/%2f%2fevil.example", false},
		{"OneEncodedSlash", "/%2Fevil.example", false},
		{"EncodedBackslash", "/%5Cevil.example", false},
		{"EncodedNewline", "/%0a/x", false},
		{"BadEscape", "/%zz", false},
		{"AbsoluteHTTPS", "https://evil.example/", false},
		{"AbsoluteHTTP", "http://evil.example", false},
		{"JavaScript", "javascript:alert(1)", false},
		{"JavaScriptUpperCase", "JAVASCRIPT:alert(1)", false},
		{"DataURL", "data:text/html,<script>alert(1)</script>", false},
		{"SchemeAfterSlash", "/https://evil.example", true}, // a path of this site
		{"LeadingSpace", " /accounts", false},
		{"LeadingSpaces", "   //evil.example", false},
		{"LeadingTab", "\t/accounts", false},
		{"SpaceInPath", "/accounts /x", false},
		{"FullwidthSolidus", "/\uff0fevil.example", false},
		{"FractionSlash", "/\u2044evil.example", false},
		{"DivisionSlash", "/\u2215evil.example", false},
		{"EncodedFullwidthSolidus", "/%EF%BC%8Fevil.example", true}, // a plain path segment: browsers keep it on this site
		{"DotDot", "/../evil", false},
		{"DotDotThenSlashes", "/..//evil.example", false},
		{"EncodedDotDot", "/%2e%2e/x", false},
		{"UserInfo", "/@evil.example", true}, // a path, not a host
		{"TooLong", "/" + string(make([]byte, 3000)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := LocalPath(tc.in)
			if ok != tc.ok || (ok && got != tc.in) || (!ok && got != "") {
				t.Errorf("LocalPath(%q) = %q, %v; want ok %v", tc.in, got, ok, tc.ok)
			}
			if want := "/fallback"; !tc.ok && LocalPathOr(tc.in, want) != want {
				t.Errorf("LocalPathOr(%q) did not fall back", tc.in)
			}
		})
	}
}
