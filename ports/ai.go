package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// CaptionRequest asks for one caption per platform from a short brief.
type CaptionRequest struct {
	Brief     string
	Platforms []domain.Platform
	Tone      string // such as "friendly", "formal"; "" lets the model choose
	Language  string // such as "en", "German"; "" means the brief's language
	// Voice is the company's brand voice: how it sounds, words it avoids, hashtags it uses.
	VoiceDescription string
	AvoidWords       []string
	DefaultHashtags  []string
	// Fix names, per platform, what broke its rules in the previous answer, so the model can
	// correct it (a regeneration); empty on the first request.
	Fix map[domain.Platform]string
}

// CaptionSuggestion is one platform's caption. Hashtags come separately, without '#'.
type CaptionSuggestion struct {
	Platform domain.Platform
	Caption  string
	Hashtags []string
}

// CaptionResult is the generator's answer and the tokens it cost.
type CaptionResult struct {
	Suggestions      []CaptionSuggestion
	PromptTokens     int
	CompletionTokens int
}

// CaptionGenerator writes captions with a language model. Errors: CodeRateLimited (the
// provider's limit, with RetryAfter) and CodeUnavailable (down, timed out, or an answer
// that cannot be read) after its own retries within the request's deadline. Messages never
// carry keys or the provider's raw answers.
type CaptionGenerator interface {
	Generate(ctx context.Context, req CaptionRequest) (CaptionResult, error)
}

// AIUsage keeps the AI tokens each company used per month.
type AIUsage interface {
	// Add counts one request's tokens in the company's month (the first day, UTC).
	Add(ctx context.Context, company domain.CompanyID, month time.Time, prompt, completion int64) error
	// Get returns the tokens the company used in month; zero when none.
	Get(ctx context.Context, company domain.CompanyID, month time.Time) (prompt, completion int64, err error)
	// Reserve holds tokens of the company's month for one request until expires, only while
	// the month's used tokens, the unexpired reservations and tokens together stay within
	// allowance (domain.Unlimited: always). Concurrent calls for one company are serialized,
	// so they can never reserve more than the allowance between them. It returns the
	// reservation's id, or "" when there is no room, with the used and reserved tokens it saw.
	Reserve(ctx context.Context, company domain.CompanyID, month time.Time, tokens, allowance int64, now, expires time.Time) (id string, used, reserved int64, err error)
	// Settle ends reservation id and counts the request's real tokens (zero for a failed
	// request gives the whole reservation back). An expired or unknown id still counts the tokens.
	Settle(ctx context.Context, company domain.CompanyID, id string, month time.Time, prompt, completion int64) error
}
