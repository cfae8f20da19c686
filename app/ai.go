package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Limits of an AI request.
const (
	MaxBriefRunes = 2000
	maxStyleRunes = 40
)

// Settings keys of the brand voice in companies.settings.
const (
	settingVoice    = "brand.voice"
	settingAvoid    = "brand.avoid_words"
	settingHashtags = "brand.default_hashtags"
)

// AI holds the AI-assist use cases: captions per platform from a brief, in the company's
// brand voice, within each platform's rules and the plan's monthly token allowance.
type AI struct {
	store ports.Store
	authz ports.Authorizer
	gen   ports.CaptionGenerator // nil: no AI provider is configured
	now   func() time.Time
	log   *slog.Logger
}

// NewAI returns the AI use cases; gen is nil when no provider is configured.
func NewAI(store ports.Store, authz ports.Authorizer, gen ports.CaptionGenerator, now func() time.Time, log *slog.Logger) *AI {
	return &AI{store: store, authz: authz, gen: gen, now: now, log: log}
}

// ErrNoProvider is the answer of every AI request when no provider is configured.
var ErrNoProvider = &domain.Error{Code: domain.CodeUnavailable, Message: "No AI provider is configured on this Herald. " +
	"An operator sets OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server, such as Ollama or vLLM) and HERALD_AI_MODEL."}

// Configured reports whether an AI provider is configured.
func (a *AI) Configured() bool { return a.gen != nil }

// SuggestInput is what a person asks the AI for.
type SuggestInput struct {
	Brief     string
	Platforms []domain.Platform
	Tone      string
	Language  string
}

// Suggestions are captions that fit their platforms, and what they cost.
type Suggestions struct {
	Items            []ports.CaptionSuggestion
	PromptTokens     int64
	CompletionTokens int64
}

// Suggest writes one caption per platform from the brief, in the company's brand voice.
// Every caption is checked against its platform's text rules: a caption that breaks them
// is asked for again once, with what broke named, and is cut to fit as a last resort, so
// none is ever returned broken. The tokens used are counted against the company's month.
// Errors: CodeForbidden; CodeInvalid (fields); CodeUnavailable (no provider, or it failed);
// CodeRateLimited (the plan's monthly allowance is spent, or the provider's limit).
func (a *AI) Suggest(ctx context.Context, actor domain.Actor, in SuggestInput) (Suggestions, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAI, domain.ActionWrite); err != nil {
		return Suggestions{}, err
	}
	if a.gen == nil {
		return Suggestions{}, ErrNoProvider
	}
	req, err := checkSuggest(in)
	if err != nil {
		return Suggestions{}, err
	}
	now := a.now()
	month := domain.MonthOf(now)
	var plan domain.Plan
	err = a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		plan = c.Plan
		voice := voiceOf(c.Settings)
		req.VoiceDescription, req.AvoidWords, req.DefaultHashtags = voice.Description, voice.AvoidWords, voice.DefaultHashtags
		return nil
	})
	if err != nil {
		return Suggestions{}, err
	}
	// Reserve the most this request can cost before calling the provider, so concurrent
	// requests cannot all pass the check and spend past the allowance; settle with what it
	// really cost afterwards, giving the rest back.
	need := estimateTokens(req)
	var id string
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		var used, reserved int64
		var err error
		id, used, reserved, err = tx.AIUsage().Reserve(ctx, actor.CompanyID, month, need, plan.Limits().AITokensPerMonth, now, now.Add(aiReservationTTL))
		if err != nil || id != "" {
			return err
		}
		return plan.CheckAIRoom(used, reserved, need, month, now)
	})
	if err != nil {
		return Suggestions{}, err
	}
	out, err := a.generate(ctx, req)
	// Settled even when the caller went away: the provider may have counted the tokens.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if uerr := a.store.InTx(sctx, func(tx ports.Tx) error {
		return tx.AIUsage().Settle(sctx, actor.CompanyID, id, month, out.PromptTokens, out.CompletionTokens)
	}); uerr != nil {
		if err == nil {
			err = uerr
		}
		a.log.ErrorContext(ctx, "settle AI tokens; the reservation expires by itself", "company", actor.CompanyID, "err", uerr)
	}
	return out, err
}

// Reservations of AI tokens: how long one outlives a request that never settled it (a
// crash), and the estimate of a request's most tokens.
const (
	aiReservationTTL = 10 * time.Minute
	// aiPromptOverhead is the instructions and the answer's JSON schema around what the
	// person typed; aiPerPlatform is one caption with its hashtags.
	aiPromptOverhead = 1_500
	aiPerPlatform    = 1_000
)

// estimateTokens is the most tokens req may cost: a token covers at least one byte of
// text, so the bytes sent bound the prompt; and a second request may ask again for
// captions that broke their platform's rules.
func estimateTokens(req ports.CaptionRequest) int64 {
	n := len(req.Brief) + len(req.Tone) + len(req.Language) + len(req.VoiceDescription)
	for _, w := range append(append([]string(nil), req.AvoidWords...), req.DefaultHashtags...) {
		n += len(w) + 1
	}
	return 2 * int64(aiPromptOverhead+n+aiPerPlatform*len(req.Platforms))
}

// generate asks for captions, asks again once for those that break their platform's rules
// (naming what broke), and cuts what still does not fit.
func (a *AI) generate(ctx context.Context, req ports.CaptionRequest) (Suggestions, error) {
	var out Suggestions
	res, err := a.gen.Generate(ctx, req)
	out.PromptTokens, out.CompletionTokens = int64(res.PromptTokens), int64(res.CompletionTokens)
	if err != nil {
		return out, err
	}
	byPlatform := map[domain.Platform]ports.CaptionSuggestion{}
	fix := map[domain.Platform]string{}
	for _, s := range res.Suggestions {
		s.Hashtags = domain.CleanHashtags(s.Hashtags)
		byPlatform[s.Platform] = s
		if problems := domain.CaptionProblems(s.Platform, s.Caption, s.Hashtags); len(problems) > 0 {
			fix[s.Platform] = "the caption with its hashtags " + strings.Join(problems, "; ")
		}
	}
	if len(fix) > 0 {
		again := req
		again.Platforms, again.Fix = nil, fix
		for _, p := range req.Platforms {
			if _, ok := fix[p]; ok {
				again.Platforms = append(again.Platforms, p)
			}
		}
		res, err := a.gen.Generate(ctx, again)
		out.PromptTokens += int64(res.PromptTokens)
		out.CompletionTokens += int64(res.CompletionTokens)
		if err == nil {
			for _, s := range res.Suggestions {
				if _, asked := fix[s.Platform]; asked {
					s.Hashtags = domain.CleanHashtags(s.Hashtags)
					byPlatform[s.Platform] = s
				}
			}
		} else {
			a.log.WarnContext(ctx, "asking the AI again for captions that broke the rules failed; cutting them to fit", "err", err)
		}
	}
	for _, p := range req.Platforms {
		s := byPlatform[p]
		s.Platform = p
		s.Caption, s.Hashtags = domain.FitCaption(p, s.Caption, s.Hashtags)
		out.Items = append(out.Items, s)
	}
	return out, nil
}

func checkSuggest(in SuggestInput) (ports.CaptionRequest, error) {
	v := domain.Violations{}
	req := ports.CaptionRequest{Brief: strings.TrimSpace(in.Brief), Tone: strings.TrimSpace(in.Tone), Language: strings.TrimSpace(in.Language)}
	switch n := utf8.RuneCountInString(req.Brief); {
	case n == 0:
		v.Add("brief", "say in a few words what the post is about")
	case n > MaxBriefRunes:
		v.Add("brief", fmt.Sprintf("is %d characters long; at most %d", n, MaxBriefRunes))
	}
	for field, s := range map[string]string{"tone": req.Tone, "language": req.Language} {
		if utf8.RuneCountInString(s) > maxStyleRunes || strings.ContainsAny(s, "\n\r") {
			v.Add(field, fmt.Sprintf("must be a few words on one line (at most %d characters)", maxStyleRunes))
		}
	}
	if len(in.Platforms) == 0 {
		v.Add("platforms", "choose at least one platform")
	}
	for i, p := range in.Platforms {
		if _, err := domain.ParsePlatform(string(p)); err != nil {
			v.Add(fmt.Sprintf("platforms[%d]", i), "is not a platform Herald knows")
			continue
		}
		if slices.Contains(req.Platforms, p) {
			v.Add(fmt.Sprintf("platforms[%d]", i), "names the same platform twice")
			continue
		}
		req.Platforms = append(req.Platforms, p)
	}
	return req, v.Err()
}

// Voice returns the company's brand voice. Errors: CodeForbidden.
func (a *AI) Voice(ctx context.Context, actor domain.Actor) (domain.BrandVoice, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceBrand, domain.ActionRead); err != nil {
		return domain.BrandVoice{}, err
	}
	var v domain.BrandVoice
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		v = voiceOf(c.Settings)
		return err
	})
	return v, err
}

// SetVoice stores the company's brand voice (owners and admins).
// Errors: CodeForbidden; CodeInvalid.
func (a *AI) SetVoice(ctx context.Context, actor domain.Actor, description string, avoid, hashtags []string) (domain.BrandVoice, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceBrand, domain.ActionWrite); err != nil {
		return domain.BrandVoice{}, err
	}
	v, err := domain.NewBrandVoice(description, avoid, hashtags)
	if err != nil {
		return domain.BrandVoice{}, err
	}
	err = a.store.InTx(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Lock(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		settings := copySettings(c.Settings)
		putVoice(settings, v)
		if err := tx.Companies().SetSettings(ctx, actor.CompanyID, settings); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, voiceChanged(actor, a.now()))
	})
	return v, err
}

// copySettings returns a copy of a company's settings to change.
func copySettings(settings map[string]string) map[string]string {
	out := make(map[string]string, len(settings)+3)
	for k, v := range settings {
		out[k] = v
	}
	return out
}

// putVoice writes the brand voice into a company's settings, where voiceOf reads it.
func putVoice(settings map[string]string, v domain.BrandVoice) {
	settings[settingVoice] = v.Description
	settings[settingAvoid] = strings.Join(v.AvoidWords, "\n")
	settings[settingHashtags] = strings.Join(v.DefaultHashtags, "\n")
}

// voiceChanged is the audit entry of a change of the actor's company's brand voice.
func voiceChanged(actor domain.Actor, at time.Time) domain.AuditEntry {
	return domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "brand.voice_changed",
		Subject: string(actor.CompanyID), At: at}
}

func voiceOf(settings map[string]string) domain.BrandVoice {
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	return domain.BrandVoice{Description: settings[settingVoice], AvoidWords: split(settings[settingAvoid]), DefaultHashtags: split(settings[settingHashtags])}
}

// Usage is a company's AI tokens this month against its plan's allowance.
type Usage struct {
	Month            time.Time
	PromptTokens     int64
	CompletionTokens int64
	Allowance        int64
}

// Usage returns the company's AI usage this month. Errors: CodeForbidden.
func (a *AI) Usage(ctx context.Context, actor domain.Actor) (Usage, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAI, domain.ActionRead); err != nil {
		return Usage{}, err
	}
	u := Usage{Month: domain.MonthOf(a.now())}
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		c, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		u.Allowance = c.Plan.Limits().AITokensPerMonth
		u.PromptTokens, u.CompletionTokens, err = tx.AIUsage().Get(ctx, actor.CompanyID, u.Month)
		return err
	})
	return u, err
}
