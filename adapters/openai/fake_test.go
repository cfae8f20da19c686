package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// chatRequest is what the fake reads from a chat-completions request.
type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Strict bool            `json:"strict"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// seen is one request the fake received.
type seen struct {
	At            time.Time
	Authorization string
	HasAuth       bool
	Body          chatRequest
}

// reply is the fake's answer to one request.
type reply struct {
	Status int
	Header map[string]string
	Body   string
}

// fake is an OpenAI-compatible server speaking the chat-completions contract: POST
// {BaseURL}/chat/completions with a JSON body. respond answers the n-th request (0-based).
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	respond func(n int, r seen) reply

	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, respond func(n int, r seen) reply) *fake {
	t.Helper()
	f := &fake{t: t, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		f.t.Errorf("fake: %s %s, want POST /v1/chat/completions", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("fake: Content-Type %q, want application/json", ct)
	}
	raw, _ := io.ReadAll(r.Body)
	var s seen
	if err := json.Unmarshal(raw, &s.Body); err != nil {
		f.t.Errorf("fake: body is not JSON: %v", err)
	}
	s.At = time.Now()
	s.Authorization = r.Header.Get("Authorization")
	_, s.HasAuth = r.Header["Authorization"]
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, s)
	f.mu.Unlock()

	rep := f.respond(n, s)
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// baseURL is the fake's /v1 root, as an operator would configure it.
func (f *fake) baseURL() string { return f.srv.URL + "/v1" }

// completion is a chat-completions response whose message is content.
func completion(content string, promptTokens, completionTokens int) reply {
	body, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1764115200, "model": "test-model",
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content},
		}},
		"usage": map[string]any{
			"prompt_tokens": promptTokens, "completion_tokens": completionTokens,
			"total_tokens": promptTokens + completionTokens,
		},
	})
	return reply{Body: string(body)}
}

// apiError is an OpenAI-shaped error response.
func apiError(status int, message, typ, param string) reply {
	e := map[string]any{"message": message, "type": typ, "code": nil}
	if param != "" {
		e["param"] = param
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	return reply{Status: status, Body: string(body)}
}

// captions is a valid answer for the platforms named.
func captions(platforms ...string) string {
	var parts []string
	for _, p := range platforms {
		parts = append(parts, `{"platform":"`+p+`","caption":"Launch day at Acme for `+p+`","hashtags":["launch","#acme"]}`)
	}
	return `{"suggestions":[` + strings.Join(parts, ",") + `]}`
}

// newTestGenerator points a Generator at f with backoff fast enough for tests.
func newTestGenerator(f *fake, cfg Config) *Generator {
	cfg.BaseURL = f.baseURL()
	if cfg.Model == "" {
		cfg.Model = "test-model"
	}
	g := New(cfg)
	g.backoff = func(int) time.Duration { return time.Millisecond }
	return g
}
