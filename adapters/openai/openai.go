package openai

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var _ ports.CaptionGenerator = (*Generator)(nil)

// Generator implements ports.CaptionGenerator. It is safe for concurrent use.
type Generator struct {
	client     *goopenai.Client
	model      string
	timeout    time.Duration
	maxRetries int
	// noSchema is set once the server has rejected response_format json_schema; later
	// calls go straight to JSON in text.
	noSchema atomic.Bool
	// backoff is the wait before retry n (0-based) when the server names none.
	backoff func(n int) time.Duration
}

// New returns a Generator for cfg, with the defaults Config documents for zero fields.
func New(cfg Config) *Generator {
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	cc := goopenai.DefaultConfig(cfg.APIKey)
	cc.BaseURL = base
	cc.HTTPClient = retryAfterRecorder{hc}
	g := &Generator{
		client:     goopenai.NewClientWithConfig(cc),
		model:      cfg.Model,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		backoff:    exponentialBackoff,
	}
	if g.model == "" {
		g.model = DefaultModel
	}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
	}
	switch {
	case g.maxRetries == 0:
		g.maxRetries = DefaultMaxRetries
	case g.maxRetries < 0:
		g.maxRetries = 0
	}
	return g
}

// answer is the JSON the model is asked for; its schema is sent as response_format.
type answer struct {
	Suggestions []answerSuggestion `json:"suggestions"`
}

type answerSuggestion struct {
	Platform string   `json:"platform" description:"the platform id, as given"`
	Caption  string   `json:"caption" description:"the caption text, without hashtags"`
	Hashtags []string `json:"hashtags" description:"hashtags without the # sign"`
}

// schemaFor returns the schema of answer with the platform ids limited to platforms. It is
// generated afresh for every request: go-openai's Definition.MarshalJSON writes to the
// definitions it marshals, so a shared schema would race between concurrent calls. The
// suggestion's schema is inline or a $ref into $defs (go-openai's way for named structs).
func schemaFor(platforms []domain.Platform) (*jsonschema.Definition, error) {
	top, err := jsonschema.GenerateSchemaForType(answer{})
	if err != nil {
		return nil, fmt.Errorf("openai: answer schema: %w", err)
	}
	enum := make([]string, 0, len(platforms))
	for _, p := range platforms {
		enum = append(enum, string(p))
	}
	limit := func(item jsonschema.Definition) jsonschema.Definition {
		item.Properties = copyProps(item.Properties)
		platform := item.Properties["platform"]
		platform.Enum = enum
		item.Properties["platform"] = platform
		return item
	}
	list := top.Properties["suggestions"]
	if name, ok := strings.CutPrefix(list.Items.Ref, "#/$defs/"); ok {
		top.Defs[name] = limit(top.Defs[name])
	} else {
		item := limit(*list.Items)
		list.Items = &item
		top.Properties["suggestions"] = list
	}
	return top, nil
}

func copyProps(m map[string]jsonschema.Definition) map[string]jsonschema.Definition {
	c := make(map[string]jsonschema.Definition, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Generate asks the model for one caption per requested platform. Errors: CodeBadRequest
// for a request without platforms or with an unknown one; CodeRateLimited (with
// RetryAfter) and CodeUnavailable as ports.CaptionGenerator documents.
func (g *Generator) Generate(ctx context.Context, req ports.CaptionRequest) (ports.CaptionResult, error) {
	platforms, err := askedPlatforms(req.Platforms)
	if err != nil {
		return ports.CaptionResult{}, err
	}
	system, user, err := renderPrompt(req, platforms)
	if err != nil {
		return ports.CaptionResult{}, &domain.Error{Code: domain.CodeInternal, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()

	var result ports.CaptionResult
	messages := []goopenai.ChatCompletionMessage{
		{Role: goopenai.ChatMessageRoleSystem, Content: system},
		{Role: goopenai.ChatMessageRoleUser, Content: user},
	}
	invalidRetries := 1
	for {
		useSchema := !g.noSchema.Load()
		chat := goopenai.ChatCompletionRequest{Model: g.model, Messages: messages}
		if useSchema {
			schema, err := schemaFor(platforms)
			if err != nil {
				return result, &domain.Error{Code: domain.CodeInternal, Err: err}
			}
			chat.ResponseFormat = &goopenai.ChatCompletionResponseFormat{
				Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
				JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{
					Name: "captions", Description: "One caption per platform", Schema: schema, Strict: true,
				},
			}
		}
		resp, err := g.complete(ctx, chat, &result)
		if err != nil && useSchema && isSchemaRejection(err) {
			// Ask again without response_format; the prompt describes the shape too.
			chat.ResponseFormat = nil
			resp, err = g.complete(ctx, chat, &result)
			if !isStatus(err, http.StatusBadRequest) {
				g.noSchema.Store(true)
			}
		}
		if err != nil {
			return result, classify(err)
		}
		suggestions, problem := readAnswer(resp, platforms)
		if problem == "" {
			result.Suggestions = suggestions
			return result, nil
		}
		if invalidRetries == 0 {
			return result, &domain.Error{Code: domain.CodeUnavailable,
				Message: "The AI service gave an answer Herald could not read.",
				Err:     fmt.Errorf("openai: unreadable answer (%s), %s", problem, PromptVersion)}
		}
		invalidRetries--
		messages = append(messages[:2:2], goopenai.ChatCompletionMessage{
			Role: goopenai.ChatMessageRoleUser,
			Content: "Your previous answer could not be used: " + problem +
				". Answer again with the JSON object only, exactly one suggestion for each platform asked for.",
		})
	}
}

// askedPlatforms returns the requested platforms without repeats, or CodeBadRequest.
func askedPlatforms(in []domain.Platform) ([]domain.Platform, error) {
	if len(in) == 0 {
		return nil, domain.Errorf(domain.CodeBadRequest, "Choose at least one platform for the AI to write for.")
	}
	var out []domain.Platform
	seen := map[domain.Platform]bool{}
	for _, p := range in {
		if _, ok := domain.PlatformRules[p]; !ok {
			return nil, domain.Errorf(domain.CodeBadRequest, "Herald does not know a platform called %q.", string(p))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}
