package graph

import (
	"strings"
	"testing"
)

func TestParseLogin(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	l, err := ParseLogin(env(map[string]string{"HERALD_INSTAGRAM_CONFIG_ID": " 123456 ", "HERALD_INSTAGRAM_PKCE": "true"}), "INSTAGRAM")
	if err != nil || l.ConfigID != "123456" || !l.PKCE {
		t.Errorf("ParseLogin = %+v, %v", l, err)
	}
	if l, err := ParseLogin(env(nil), "FACEBOOK"); err != nil || l != (Login{}) {
		t.Errorf("nothing set: %+v, %v; want the classic dialog without PKCE", l, err)
	}
	_, err = ParseLogin(env(map[string]string{"HERALD_FACEBOOK_CONFIG_ID": "abc", "HERALD_FACEBOOK_PKCE": "maybe"}), "FACEBOOK")
	for _, v := range []string{"HERALD_FACEBOOK_CONFIG_ID", "HERALD_FACEBOOK_PKCE"} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("error %v does not name %s", err, v)
		}
	}
}
