package openai

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	t.Parallel()
	const key = "sk-s3cret-key"
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		want    Config
		ok      bool
		problem string // "" means no error
	}{
		{name: "NothingSetIsNotConfigured", vars: map[string]string{}},
		{
			name: "KeyAloneTakesTheDefaults",
			vars: map[string]string{"OPENAI_API_KEY": " " + key + " "},
			want: Config{APIKey: key, BaseURL: DefaultBaseURL, Model: DefaultModel, Timeout: DefaultTimeout},
			ok:   true,
		},
		{
			name: "LocalServerNeedsNoKey",
			vars: map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1/", "HERALD_AI_MODEL": "llama3.2", "HERALD_AI_TIMEOUT": "2m"},
			want: Config{BaseURL: "http://localhost:11434/v1", Model: "llama3.2", Timeout: 2 * time.Minute},
			ok:   true,
		},
		{name: "RelativeURL", vars: map[string]string{"OPENAI_API_KEY": key, "OPENAI_BASE_URL": "localhost:11434/v1"}, problem: "OPENAI_BASE_URL"},
		{name: "NotHTTP", vars: map[string]string{"OPENAI_BASE_URL": "ftp://example.com/v1"}, problem: "OPENAI_BASE_URL"},
		{name: "BadTimeout", vars: map[string]string{"OPENAI_API_KEY": key, "HERALD_AI_TIMEOUT": "30"}, problem: "HERALD_AI_TIMEOUT"},
		{name: "NegativeTimeout", vars: map[string]string{"OPENAI_API_KEY": key, "HERALD_AI_TIMEOUT": "-1s"}, problem: "HERALD_AI_TIMEOUT"},
		{
			name:    "EveryProblemAtOnce",
			vars:    map[string]string{"OPENAI_API_KEY": key, "OPENAI_BASE_URL": "nope", "HERALD_AI_TIMEOUT": "soon"},
			problem: "OPENAI_BASE_URL",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, err := ParseConfig(env(tc.vars))
			if (tc.problem == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.problem)) {
				t.Fatalf("ParseConfig err = %v, want problem %q", err, tc.problem)
			}
			if err != nil && strings.Contains(err.Error(), key) {
				t.Errorf("err = %q echoes the key", err)
			}
			if tc.name == "EveryProblemAtOnce" && !strings.Contains(err.Error(), "HERALD_AI_TIMEOUT") {
				t.Errorf("err = %q, want both variables named", err)
			}
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseConfig = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNew_Defaults(t *testing.T) {
	t.Parallel()
	g := New(Config{})
	if g.model != DefaultModel || g.timeout != DefaultTimeout || g.maxRetries != DefaultMaxRetries {
		t.Errorf("New(Config{}) = model %q, timeout %v, retries %d; want the defaults", g.model, g.timeout, g.maxRetries)
	}
	if g := New(Config{MaxRetries: -1}); g.maxRetries != 0 {
		t.Errorf("New(MaxRetries -1).maxRetries = %d, want 0", g.maxRetries)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"Thu, 26 Nov 2026 00:00:20 GMT", 20 * time.Second, true},
		{"Wed, 25 Nov 2026 23:00:00 GMT", 0, true},
		{"soon", 0, false},
		{"-3", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
