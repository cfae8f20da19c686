package openai

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var launch = ports.CaptionRequest{
	Brief:     "We launch Acme Rockets 2.0 on Monday.",
	Platforms: []domain.Platform{domain.LinkedIn, domain.Instagram},
}

func errorOf(t *testing.T, err error) *domain.Error {
	t.Helper()
	e, ok := err.(*domain.Error)
	if !ok {
		t.Fatalf("err = %#v, want *domain.Error", err)
	}
	return e
}

func TestGenerator_Generate(t *testing.T) {
	t.Parallel()

	t.Run("StructuredOutputIsAskedForAndRead", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return completion(captions("instagram", "linkedin"), 120, 40) })
		g := newTestGenerator(f, Config{APIKey: "sk-test"})

		got, err := g.Generate(context.Background(), launch)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		reqs := f.requests()
		if len(reqs) != 1 {
			t.Fatalf("requests = %d, want 1", len(reqs))
		}
		r := reqs[0]
		if r.Authorization != "Bearer sk-test" {
			t.Errorf("Authorization = %q, want Bearer sk-test", r.Authorization)
		}
		if r.Body.Model != "test-model" {
			t.Errorf("model = %q, want test-model", r.Body.Model)
		}
		if len(r.Body.Messages) != 2 || r.Body.Messages[0].Role != "system" || r.Body.Messages[1].Role != "user" ||
			!strings.Contains(r.Body.Messages[1].Content, launch.Brief) {
			t.Errorf("messages = %+v, want system and user with the brief", r.Body.Messages)
		}
		rf := r.Body.ResponseFormat
		if rf == nil || rf.Type != "json_schema" || rf.JSONSchema == nil || !rf.JSONSchema.Strict {
			t.Fatalf("response_format = %+v, want strict json_schema", rf)
		}
		type object struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		var schema struct {
			Properties struct {
				Suggestions struct {
					Items struct {
						object
						Ref string `json:"$ref"`
					} `json:"items"`
				} `json:"suggestions"`
			} `json:"properties"`
			Defs map[string]object `json:"$defs"`
		}
		if err := json.Unmarshal(rf.JSONSchema.Schema, &schema); err != nil {
			t.Fatalf("schema: %v", err)
		}
		item := schema.Properties.Suggestions.Items.object
		if name, ok := strings.CutPrefix(schema.Properties.Suggestions.Items.Ref, "#/$defs/"); ok {
			item = schema.Defs[name]
		}
		if e := item.Properties["platform"].Enum; strings.Join(e, ",") != "linkedin,instagram" {
			t.Errorf("schema platform enum = %v, want [linkedin instagram]", e)
		}
		if strings.Join(item.Required, ",") != "platform,caption,hashtags" {
			t.Errorf("schema required = %v, want platform, caption, hashtags", item.Required)
		}
		if len(got.Suggestions) != 2 || got.Suggestions[0].Platform != domain.LinkedIn || got.Suggestions[1].Platform != domain.Instagram {
			t.Fatalf("Suggestions = %+v, want linkedin then instagram", got.Suggestions)
		}
		s := got.Suggestions[0]
		if s.Caption != "Launch day at Acme for linkedin" || strings.Join(s.Hashtags, ",") != "launch,acme" {
			t.Errorf("Suggestion = %+v, want the answer's caption and hashtags without '#'", s)
		}
		if got.PromptTokens != 120 || got.CompletionTokens != 40 {
			t.Errorf("tokens = %d, %d; want 120, 40", got.PromptTokens, got.CompletionTokens)
		}
	})

	t.Run("NoKeySendsNoAuthorization", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return completion(captions("linkedin", "instagram"), 1, 1) })
		g := newTestGenerator(f, Config{})

		if _, err := g.Generate(context.Background(), launch); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if r := f.requests()[0]; r.HasAuth {
			t.Errorf("Authorization = %q, want none without a key", r.Authorization)
		}
	})

	t.Run("SchemaRejectedFallsBackToJSONInText", func(t *testing.T) {
		t.Parallel()
		fenced := "Sure! Here are your captions:\n```json\n" + captions("linkedin", "instagram") + "\n```\nLet me know {if} you need more."
		f := newFake(t, func(n int, r seen) reply {
			if r.Body.ResponseFormat != nil {
				return apiError(http.StatusBadRequest, "response_format json_schema is not supported by this model", "invalid_request_error", "response_format")
			}
			return completion(fenced, 10, 5)
		})
		g := newTestGenerator(f, Config{})

		got, err := g.Generate(context.Background(), launch)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if len(got.Suggestions) != 2 || got.Suggestions[1].Caption != "Launch day at Acme for instagram" {
			t.Errorf("Suggestions = %+v, want both read from the fenced answer", got.Suggestions)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[0].Body.ResponseFormat == nil || reqs[1].Body.ResponseFormat != nil {
			t.Fatalf("requests = %d (first with response_format, second without expected)", len(reqs))
		}

		if _, err := g.Generate(context.Background(), launch); err != nil {
			t.Fatalf("second Generate: %v", err)
		}
		reqs = f.requests()
		if len(reqs) != 3 || reqs[2].Body.ResponseFormat != nil {
			t.Errorf("second Generate sent %d more requests, want 1 without response_format", len(reqs)-2)
		}
	})

	t.Run("SchemaRejectedInPlainTextFallsBack", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			if r.Body.ResponseFormat != nil {
				return reply{Status: http.StatusBadRequest, Header: map[string]string{"Content-Type": "text/plain"}, Body: "json_schema is unsupported"}
			}
			return completion(captions("linkedin", "instagram"), 1, 1)
		})
		g := newTestGenerator(f, Config{})

		if _, err := g.Generate(context.Background(), launch); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if n := len(f.requests()); n != 2 || !g.noSchema.Load() {
			t.Errorf("requests = %d, noSchema = %v; want 2, true", n, g.noSchema.Load())
		}
	})

	t.Run("ConcurrentCallsShareNothing", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			if n%2 == 0 {
				rep := apiError(http.StatusTooManyRequests, "slow down", "rate_limit", "")
				rep.Header = map[string]string{"Retry-After": "0.01"}
				return rep
			}
			return completion(captions("linkedin", "instagram"), 1, 1)
		})
		g := newTestGenerator(f, Config{MaxRetries: 20})

		errs := make(chan error, 8)
		for range 8 {
			go func() {
				_, err := g.Generate(context.Background(), launch)
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Errorf("Generate: %v", err)
			}
		}
	})

	t.Run("UnknownModelNamesTheSettings", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			return apiError(http.StatusNotFound, `model "test-model" not found, try pulling it first`, "api_error", "")
		})
		g := newTestGenerator(f, Config{})

		_, err := g.Generate(context.Background(), launch)
		if e := errorOf(t, err); e.Code != domain.CodeUnavailable || !strings.Contains(e.Message, "HERALD_AI_MODEL") {
			t.Errorf("err = %v, want CodeUnavailable naming HERALD_AI_MODEL", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})

	t.Run("OtherBadRequestIsNotAFallback", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			return apiError(http.StatusBadRequest, "messages: too long", "invalid_request_error", "messages")
		})
		g := newTestGenerator(f, Config{})

		_, err := g.Generate(context.Background(), launch)
		if e := errorOf(t, err); e.Code != domain.CodeUnavailable || strings.Contains(e.Message, "too long") {
			t.Errorf("err = %v, want CodeUnavailable with a generic message", err)
		}
		if n := len(f.requests()); n != 1 || g.noSchema.Load() {
			t.Errorf("requests = %d, noSchema = %v; want 1, false", n, g.noSchema.Load())
		}
	})

	t.Run("RetryAfterIsHonoured", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			if n == 0 {
				rep := apiError(http.StatusTooManyRequests, "slow down", "rate_limit", "")
				rep.Header = map[string]string{"Retry-After": "1"}
				return rep
			}
			return completion(captions("linkedin", "instagram"), 1, 1)
		})
		g := newTestGenerator(f, Config{Timeout: 5 * time.Second})

		start := time.Now()
		if _, err := g.Generate(context.Background(), launch); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		reqs := f.requests()
		if len(reqs) != 2 {
			t.Fatalf("requests = %d, want 2", len(reqs))
		}
		if gap := reqs[1].At.Sub(reqs[0].At); gap < 950*time.Millisecond {
			t.Errorf("retried after %v, want Retry-After's 1s", gap)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Generate took %v, want about 1s", took)
		}
	})

	t.Run("RateLimitedForever", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return apiError(http.StatusTooManyRequests, "slow down", "rate_limit", "") })
		g := newTestGenerator(f, Config{MaxRetries: 2})

		_, err := g.Generate(context.Background(), launch)
		e := errorOf(t, err)
		if e.Code != domain.CodeRateLimited || e.RetryAfter <= 0 {
			t.Errorf("err = %v (RetryAfter %v), want CodeRateLimited with a RetryAfter", err, e.RetryAfter)
		}
		if n := len(f.requests()); n != 3 {
			t.Errorf("requests = %d, want 1 + 2 retries", n)
		}
	})

	t.Run("RetryAfterBeyondTheDeadlineStopsAtOnce", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			rep := apiError(http.StatusTooManyRequests, "slow down", "rate_limit", "")
			rep.Header = map[string]string{"Retry-After": "120"}
			return rep
		})
		g := newTestGenerator(f, Config{Timeout: 2 * time.Second})

		start := time.Now()
		_, err := g.Generate(context.Background(), launch)
		e := errorOf(t, err)
		if e.Code != domain.CodeRateLimited || e.RetryAfter != 120*time.Second {
			t.Errorf("err = %v (RetryAfter %v), want CodeRateLimited after 2m0s", err, e.RetryAfter)
		}
		if n, took := len(f.requests()), time.Since(start); n != 1 || took > time.Second {
			t.Errorf("requests = %d in %v, want 1 at once", n, took)
		}
	})

	t.Run("ServerErrorIsRetriedThenUnavailable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			return reply{Status: http.StatusInternalServerError, Header: map[string]string{"Content-Type": "text/plain"}, Body: "upstream exploded"}
		})
		g := newTestGenerator(f, Config{MaxRetries: 2})

		_, err := g.Generate(context.Background(), launch)
		e := errorOf(t, err)
		if e.Code != domain.CodeUnavailable || e.Message != "The AI service is not available right now; try again in a minute." {
			t.Errorf("err = %v, want CodeUnavailable, not available right now", err)
		}
		if strings.Contains(err.Error(), "exploded") {
			t.Errorf("err = %v carries the raw body", err)
		}
		if n := len(f.requests()); n != 3 {
			t.Errorf("requests = %d, want 1 + 2 retries", n)
		}
	})

	t.Run("ServerErrorThenSuccess", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			if n < 2 {
				return apiError(http.StatusServiceUnavailable, "overloaded", "server_error", "")
			}
			return completion(captions("linkedin", "instagram"), 1, 1)
		})
		g := newTestGenerator(f, Config{})

		if _, err := g.Generate(context.Background(), launch); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if n := len(f.requests()); n != 3 {
			t.Errorf("requests = %d, want 3", n)
		}
	})

	t.Run("RefusedKeyIsUnavailableWithoutTheKey", func(t *testing.T) {
		t.Parallel()
		const key = "sk-very-secret-123"
		f := newFake(t, func(n int, r seen) reply {
			return apiError(http.StatusUnauthorized, "Incorrect API key provided: "+key, "invalid_request_error", "")
		})
		g := newTestGenerator(f, Config{APIKey: key})

		_, err := g.Generate(context.Background(), launch)
		e := errorOf(t, err)
		if e.Code != domain.CodeUnavailable || !strings.Contains(e.Message, "API key") {
			t.Errorf("err = %v, want CodeUnavailable saying the key is refused", err)
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "Incorrect") {
			t.Errorf("err = %q carries the key or the provider's message", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("requests = %d, want 1 (a refused key is not retried)", n)
		}
	})

	t.Run("UnreadableAnswerTwiceIsUnavailable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return completion("I cannot write JSON today, sorry.", 7, 3) })
		g := newTestGenerator(f, Config{})

		got, err := g.Generate(context.Background(), launch)
		e := errorOf(t, err)
		if e.Code != domain.CodeUnavailable || !strings.HasPrefix(e.Message, "The AI service gave an answer Herald could not read") {
			t.Errorf("err = %v, want CodeUnavailable, could not read", err)
		}
		if strings.Contains(err.Error(), "sorry") {
			t.Errorf("err = %q carries the raw answer", err)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("requests = %d, want 2 (one retry)", n)
		}
		if got.PromptTokens != 14 || got.CompletionTokens != 6 {
			t.Errorf("tokens = %d, %d; want 14, 6 (both calls)", got.PromptTokens, got.CompletionTokens)
		}
	})

	t.Run("MissingPlatformIsAskedAgain", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply {
			if n == 0 {
				return completion(captions("linkedin"), 100, 20)
			}
			return completion(captions("instagram", "linkedin"), 110, 30)
		})
		g := newTestGenerator(f, Config{})

		got, err := g.Generate(context.Background(), launch)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if len(got.Suggestions) != 2 {
			t.Errorf("Suggestions = %+v, want 2", got.Suggestions)
		}
		reqs := f.requests()
		if len(reqs) != 2 {
			t.Fatalf("requests = %d, want 2", len(reqs))
		}
		if m := reqs[1].Body.Messages; len(m) != 3 || !strings.Contains(m[2].Content, "no suggestion for instagram") {
			t.Errorf("retry messages = %+v, want the problem named", m)
		}
		if got.PromptTokens != 210 || got.CompletionTokens != 50 {
			t.Errorf("tokens = %d, %d; want 210, 50 (summed)", got.PromptTokens, got.CompletionTokens)
		}
	})

	t.Run("SlowServerTimesOut", func(t *testing.T) {
		t.Parallel()
		// The server answers only after Generate has returned: the timeout alone ends the
		// wait (no wall-clock margin to miss on a busy machine).
		release := make(chan struct{})
		f := newFake(t, func(n int, r seen) reply {
			<-release
			return completion(captions("linkedin", "instagram"), 1, 1)
		})
		g := newTestGenerator(f, Config{Timeout: 200 * time.Millisecond})

		_, err := g.Generate(context.Background(), launch)
		close(release)
		if e := errorOf(t, err); e.Code != domain.CodeUnavailable {
			t.Errorf("err = %v, want CodeUnavailable", err)
		}
	})

	t.Run("UnreachableServerIsUnavailable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return reply{} })
		g := newTestGenerator(f, Config{MaxRetries: 1})
		f.srv.Close()

		_, err := g.Generate(context.Background(), launch)
		if e := errorOf(t, err); e.Code != domain.CodeUnavailable {
			t.Errorf("err = %v, want CodeUnavailable", err)
		}
	})

	t.Run("NoPlatformsIsABadRequest", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, func(n int, r seen) reply { return reply{} })
		g := newTestGenerator(f, Config{})

		for _, platforms := range [][]domain.Platform{nil, {"myspace"}} {
			_, err := g.Generate(context.Background(), ports.CaptionRequest{Brief: "x", Platforms: platforms})
			if got := domain.CodeOf(err); got != domain.CodeBadRequest {
				t.Errorf("CodeOf(Generate(%v)) = %q, want %q", platforms, got, domain.CodeBadRequest)
			}
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("requests = %d, want 0", n)
		}
	})
}
