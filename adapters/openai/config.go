// Package openai writes captions with any server that speaks OpenAI's Chat Completions API
// (OpenAI itself, Ollama, vLLM, llama.cpp's server), through github.com/sashabaranov/go-openai.
//
// Choices:
//   - Structured outputs first (response_format json_schema, strict, generated from a Go
//     type). A server that rejects response_format gets the same prompt without it and
//     answers JSON in text; the Generator remembers that and skips the schema afterwards.
//   - Every answer is checked (each asked platform exactly once, strings only); an
//     unreadable answer is asked for once more, then the call fails with CodeUnavailable.
//   - 429, 5xx and network errors are retried with exponential backoff within the call's
//     deadline, honouring Retry-After, which go-openai does not expose on errors: the
//     Generator wraps the HTTP client to read it.
//   - Errors never carry the API key, the request or the provider's raw answer; causes carry
//     status codes and the provider's error type only.
package openai

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for Config's zero fields and for ParseConfig.
const (
	DefaultBaseURL    = "https://api.openai.com/v1"
	DefaultModel      = "gpt-4o-mini"
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 3
)

// Config sets up the Generator. Zero fields take the defaults.
type Config struct {
	// APIKey is sent as "Authorization: Bearer"; empty sends no Authorization header
	// (local servers such as Ollama need none).
	APIKey string
	// BaseURL is the API root including /v1, such as https://api.openai.com/v1 or
	// http://localhost:11434/v1; empty means DefaultBaseURL.
	BaseURL string
	// Model is the model name; empty means DefaultModel.
	Model string
	// Timeout bounds one Generate call, retries included; zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient makes the requests; nil means a client without a timeout of its own (the
	// call's context deadline bounds every request).
	HTTPClient *http.Client
	// MaxRetries is how often a 429, a 5xx or a network error is retried within one
	// request; zero means DefaultMaxRetries, a negative value means never.
	MaxRetries int
}

// ParseConfig reads OPENAI_API_KEY, OPENAI_BASE_URL (an absolute http(s) URL including
// /v1; default DefaultBaseURL), HERALD_AI_MODEL (default DefaultModel) and
// HERALD_AI_TIMEOUT (a Go duration such as 45s; default DefaultTimeout). ok is false when
// neither OPENAI_API_KEY nor OPENAI_BASE_URL is set (AI is not configured); a local server
// needs only OPENAI_BASE_URL. It returns every bad value at once, each naming its
// variable, and never echoes the key.
func ParseConfig(getenv func(string) string) (Config, bool, error) {
	key := strings.TrimSpace(getenv("OPENAI_API_KEY"))
	base := strings.TrimSpace(getenv("OPENAI_BASE_URL"))
	if key == "" && base == "" {
		return Config{}, false, nil
	}
	cfg := Config{APIKey: key, BaseURL: DefaultBaseURL, Model: DefaultModel, Timeout: DefaultTimeout}
	var errs []error
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("OPENAI_BASE_URL: %q is not an absolute http(s) URL, such as http://localhost:11434/v1", base))
		} else {
			cfg.BaseURL = strings.TrimRight(base, "/")
		}
	}
	if v := strings.TrimSpace(getenv("HERALD_AI_MODEL")); v != "" {
		cfg.Model = v
	}
	if v := strings.TrimSpace(getenv("HERALD_AI_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("HERALD_AI_TIMEOUT: %q is not a positive duration, such as 30s or 2m", v))
		} else {
			cfg.Timeout = d
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, err
	}
	return cfg, true, nil
}
