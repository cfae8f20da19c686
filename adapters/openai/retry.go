package openai

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// defaultRetryAfter is the RetryAfter of a 429 that named no wait of its own.
const defaultRetryAfter = 30 * time.Second

// retryAfterRecorder wraps the HTTP client to keep the last response's Retry-After header
// for the call that made it (go-openai does not expose headers on errors).
type retryAfterRecorder struct{ client *http.Client }

type recorderKey struct{}

// callHeaders holds what one complete call learnt from the responses' headers.
type callHeaders struct{ retryAfter atomic.Int64 } // nanoseconds; <0: none

func (r retryAfterRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.client.Do(req)
	if h, ok := req.Context().Value(recorderKey{}).(*callHeaders); ok {
		d := time.Duration(-1)
		if resp != nil {
			if v, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				d = v
			}
		}
		h.retryAfter.Store(int64(d))
	}
	return resp, err
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && s < 1e6 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// exponentialBackoff waits 0.5 s, 1 s, 2 s, ... up to 8 s, with up to 25% jitter.
func exponentialBackoff(n int) time.Duration {
	d := min(500*time.Millisecond<<min(n, 4), 8*time.Second)
	return d + rand.N(d/4+1)
}

// upstreamError is an upstream failure after the retries, with the last Retry-After.
type upstreamError struct {
	err        error
	retryAfter time.Duration // <0: none named
}

func (e *upstreamError) Error() string { return e.err.Error() }
func (e *upstreamError) Unwrap() error { return e.err }

// complete sends req, retrying 429, 5xx and network errors with backoff (Retry-After when
// the server names one) while the deadline allows, and adds the usage to result.
func (g *Generator) complete(ctx context.Context, req goopenai.ChatCompletionRequest, result *ports.CaptionResult) (goopenai.ChatCompletionResponse, error) {
	h := &callHeaders{}
	ctx = context.WithValue(ctx, recorderKey{}, h)
	for attempt := 0; ; attempt++ {
		h.retryAfter.Store(-1)
		resp, err := g.client.CreateChatCompletion(ctx, req)
		if err == nil {
			result.PromptTokens += resp.Usage.PromptTokens
			result.CompletionTokens += resp.Usage.CompletionTokens
			return resp, nil
		}
		retryAfter := time.Duration(h.retryAfter.Load())
		fail := &upstreamError{err: err, retryAfter: retryAfter}
		if !retryable(ctx, err) || attempt >= g.maxRetries {
			return resp, fail
		}
		wait := g.backoff(attempt)
		if retryAfter >= 0 {
			wait = retryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return resp, fail
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, fail
		case <-t.C:
		}
	}
}

func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if status, _ := statusOf(err); status != 0 {
		return status == http.StatusTooManyRequests || status >= 500
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// statusOf returns the HTTP status of an upstream error response and the provider's error
// type, or 0 when no response came.
func statusOf(err error) (int, string) {
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.HTTPStatusCode, apiErr.Type
	case errors.As(err, &reqErr):
		return reqErr.HTTPStatusCode, ""
	}
	return 0, ""
}

func isStatus(err error, status int) bool {
	s, _ := statusOf(err)
	return err != nil && s == status
}

// isSchemaRejection reports whether err is a 400 refusing response_format json_schema.
func isSchemaRejection(err error) bool {
	if !isStatus(err, http.StatusBadRequest) {
		return false
	}
	var text string
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	switch {
	case errors.As(err, &apiErr):
		text = apiErr.Message + " " + apiErr.Type + " " + fmt.Sprint(apiErr.Code)
		if apiErr.Param != nil {
			text += " " + *apiErr.Param
		}
	case errors.As(err, &reqErr):
		text = string(reqErr.Body)
	}
	text = strings.ToLower(text)
	for _, marker := range []string{"response_format", "json_schema", "not supported", "unsupported", "structured output"} {
		if strings.Contains(text, marker) {
			return true
		}
	}
	return false
}

// classify turns an upstream failure into Herald's error. Causes carry the status and the
// provider's error type only: never the key, the request or the provider's raw answer.
func classify(err error) error {
	status, typ := statusOf(err)
	retryAfter := time.Duration(-1)
	var ue *upstreamError
	if errors.As(err, &ue) {
		retryAfter = ue.retryAfter
	}
	cause := fmt.Errorf("openai: status %d, type %q, %s", status, typ, PromptVersion)
	switch {
	case status == http.StatusTooManyRequests:
		if retryAfter < 0 {
			retryAfter = defaultRetryAfter
		}
		return &domain.Error{Code: domain.CodeRateLimited, RetryAfter: retryAfter, Err: cause,
			Message: "The AI service is busy right now; try again in " + humanWait(retryAfter) + "."}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &domain.Error{Code: domain.CodeUnavailable, Err: cause,
			Message: "The AI service refused Herald's API key; the operator needs to check OPENAI_API_KEY."}
	case status == http.StatusNotFound:
		return &domain.Error{Code: domain.CodeUnavailable, Err: cause,
			Message: "The AI service does not offer the model or address Herald is set up with; the operator needs to check HERALD_AI_MODEL and OPENAI_BASE_URL."}
	case status >= 400 && status < 500:
		return &domain.Error{Code: domain.CodeUnavailable, Err: cause,
			Message: "The AI service could not handle Herald's request; please try again later."}
	case status == 0:
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			cause = fmt.Errorf("openai: %w", context.DeadlineExceeded)
		case errors.Is(err, context.Canceled):
			cause = fmt.Errorf("openai: %w", context.Canceled)
		default:
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				cause = fmt.Errorf("openai: network: %w", urlErr.Err)
			} else {
				cause = errors.New("openai: the response could not be decoded")
			}
		}
	}
	return &domain.Error{Code: domain.CodeUnavailable, Err: cause,
		Message: "The AI service is not available right now; try again in a minute."}
}

// humanWait says d the way a person would: "a few seconds", "40 seconds", "3 minutes".
func humanWait(d time.Duration) string {
	switch s := int((d + time.Second - 1) / time.Second); {
	case s <= 5:
		return "a few seconds"
	case s < 90:
		return strconv.Itoa(s) + " seconds"
	default:
		return strconv.Itoa((s+59)/60) + " minutes"
	}
}
