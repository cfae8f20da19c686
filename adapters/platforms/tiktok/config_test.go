package tiktok

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()

	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("UnsetIsNotConfigured", func(t *testing.T) {
		t.Parallel()
		cfg, ok, err := ParseConfig(env(nil))
		if err != nil || ok || cfg.ClientID != "" {
			t.Fatalf("ParseConfig(empty) = %+v, %v, %v; want zero, false, nil", cfg, ok, err)
		}
	})

	t.Run("OneOfTheTwoIsAnError", func(t *testing.T) {
		t.Parallel()
		for _, m := range []map[string]string{
			{"HERALD_TIKTOK_CLIENT_ID": "ck"},
			{"HERALD_TIKTOK_CLIENT_SECRET": "cs"},
		} {
			_, ok, err := ParseConfig(env(m))
			if err == nil || ok {
				t.Errorf("ParseConfig(%v) = ok %v, err %v; want an error", m, ok, err)
			}
		}
	})

	t.Run("DefaultsAreProduction", func(t *testing.T) {
		t.Parallel()
		cfg, ok, err := ParseConfig(env(map[string]string{"HERALD_TIKTOK_CLIENT_ID": "ck", "HERALD_TIKTOK_CLIENT_SECRET": "cs"}))
		if err != nil || !ok {
			t.Fatalf("ParseConfig = %v, %v; want ok", ok, err)
		}
		if cfg.ClientID != "ck" || cfg.ClientSecret != "cs" || cfg.AuthURL != "https://www.tiktok.com/v2/auth/authorize/" ||
			cfg.TokenURL != "https://open.tiktokapis.com/v2/oauth/token/" || cfg.APIURL != "https://open.tiktokapis.com" || cfg.PrivacyLevel != PrivacyPublic {
			t.Errorf("ParseConfig = %+v; want the production endpoints and PUBLIC_TO_EVERYONE", cfg)
		}
	})

	t.Run("Overrides", func(t *testing.T) {
		t.Parallel()
		cfg, _, err := ParseConfig(env(map[string]string{
			"HERALD_TIKTOK_CLIENT_ID": "ck", "HERALD_TIKTOK_CLIENT_SECRET": "cs",
			"HERALD_TIKTOK_API_URL": "http://127.0.0.1:9000", "HERALD_TIKTOK_AUTH_URL": "http://127.0.0.1:9000/auth",
			"HERALD_TIKTOK_TOKEN_URL": "http://127.0.0.1:9000/token", "HERALD_TIKTOK_PRIVACY_LEVEL": "SELF_ONLY",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.APIURL != "http://127.0.0.1:9000" || cfg.AuthURL != "http://127.0.0.1:9000/auth" || cfg.TokenURL != "http://127.0.0.1:9000/token" || cfg.PrivacyLevel != PrivacySelfOnly {
			t.Errorf("ParseConfig = %+v; want the overrides", cfg)
		}
	})

	t.Run("BadValuesAreAllReported", func(t *testing.T) {
		t.Parallel()
		_, ok, err := ParseConfig(env(map[string]string{
			"HERALD_TIKTOK_CLIENT_ID": "ck", "HERALD_TIKTOK_CLIENT_SECRET": "cs",
			"HERALD_TIKTOK_API_URL": "open.tiktokapis.com", "HERALD_TIKTOK_TOKEN_URL": "ftp://x/token",
			"HERALD_TIKTOK_PRIVACY_LEVEL": "EVERYONE",
		}))
		if err == nil || ok {
			t.Fatalf("ParseConfig = %v, %v; want an error", ok, err)
		}
		for _, name := range []string{"HERALD_TIKTOK_API_URL", "HERALD_TIKTOK_TOKEN_URL", "HERALD_TIKTOK_PRIVACY_LEVEL"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
	})
}

func TestParseConfig_Modes(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string {
		return func(k string) string {
			if k == "HERALD_TIKTOK_CLIENT_ID" || k == "HERALD_TIKTOK_CLIENT_SECRET" {
				return "x"
			}
			return m[k]
		}
	}
	cfg, _, err := ParseConfig(env(nil))
	if err != nil || cfg.UploadMode != UploadAuto || cfg.PostMode != PostDirect {
		t.Fatalf("defaults = %q, %q, %v; want auto, direct", cfg.UploadMode, cfg.PostMode, err)
	}
	for _, tc := range []struct{ upload, post string }{{"pull", "inbox"}, {"upload", "direct"}, {" AUTO ", "Inbox"}} {
		cfg, _, err := ParseConfig(env(map[string]string{"HERALD_TIKTOK_UPLOAD_MODE": tc.upload, "HERALD_TIKTOK_POST_MODE": tc.post}))
		if err != nil || cfg.UploadMode != strings.ToLower(strings.TrimSpace(tc.upload)) || cfg.PostMode != strings.ToLower(tc.post) {
			t.Errorf("ParseConfig(%q, %q) = %q, %q, %v", tc.upload, tc.post, cfg.UploadMode, cfg.PostMode, err)
		}
	}
	_, ok, err := ParseConfig(env(map[string]string{"HERALD_TIKTOK_UPLOAD_MODE": "push", "HERALD_TIKTOK_POST_MODE": "draft"}))
	if err == nil || ok || !strings.Contains(err.Error(), "HERALD_TIKTOK_UPLOAD_MODE") || !strings.Contains(err.Error(), "HERALD_TIKTOK_POST_MODE") {
		t.Errorf("bad modes = %v, %v; want both named", ok, err)
	}
}

func TestParseConfig_MediaAllowPrivate(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": false, "off": false, "on": true, "true": true, "1": true} {
		cfg, _, err := ParseConfig(func(k string) string {
			switch k {
			case "HERALD_TIKTOK_CLIENT_ID", "HERALD_TIKTOK_CLIENT_SECRET":
				return "x"
			case "HERALD_MEDIA_ALLOW_PRIVATE":
				return v
			}
			return ""
		})
		if err != nil || cfg.AllowPrivateMedia != want {
			t.Errorf("HERALD_MEDIA_ALLOW_PRIVATE=%q: AllowPrivateMedia = %v, %v; want %v", v, cfg.AllowPrivateMedia, err, want)
		}
	}
}

func TestNew_Defaults(t *testing.T) {
	t.Parallel()
	a := New(Config{ClientID: "ck"})
	if a.client == nil || a.client.Timeout != defaultHTTPTimeout || a.now == nil || a.cfg.APIURL != DefaultAPIURL ||
		a.cfg.PollInterval != defaultPollInterval || a.cfg.PollTimeout != defaultPollTimeout || a.cfg.PrivacyLevel != PrivacyPublic {
		t.Errorf("New defaults = %+v, client %+v", a.cfg, a.client)
	}
	if a.cfg.UploadMode != UploadAuto || a.cfg.PostMode != PostDirect || a.cfg.MaxVideoBytes != 4<<30 || a.cfg.ChunkBytes != 10<<20 ||
		a.media == nil || a.transfer == nil || a.rules != tiktokChunkRules {
		t.Errorf("New upload defaults = %+v", a.cfg)
	}
	if a.Platform() != "tiktok" {
		t.Errorf("Platform() = %q, want tiktok", a.Platform())
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", time.Minute},
		{"17", 17 * time.Second},
		{"soon", time.Minute},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	} {
		resp := &http.Response{Header: http.Header{}}
		if tc.header != "" {
			resp.Header.Set("Retry-After", tc.header)
		}
		if got := retryAfter(resp, time.Minute); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}}
	if got := retryAfter(resp, time.Minute); got < 58*time.Minute || got > time.Hour {
		t.Errorf("retryAfter(an hour from now) = %v", got)
	}
}
