package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/authz"
	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// scripted is a CaptionGenerator that answers from a script and records what it was asked.
type scripted struct {
	mu     sync.Mutex
	asked  []ports.CaptionRequest
	answer func(n int, req ports.CaptionRequest) (ports.CaptionResult, error)
}

func (s *scripted) Generate(_ context.Context, req ports.CaptionRequest) (ports.CaptionResult, error) {
	s.mu.Lock()
	s.asked = append(s.asked, req)
	n := len(s.asked)
	s.mu.Unlock()
	return s.answer(n, req)
}

func each(req ports.CaptionRequest, caption func(domain.Platform) string, tags ...string) ports.CaptionResult {
	res := ports.CaptionResult{PromptTokens: 100, CompletionTokens: 50}
	for _, p := range req.Platforms {
		res.Suggestions = append(res.Suggestions, ports.CaptionSuggestion{Platform: p, Caption: caption(p), Hashtags: tags})
	}
	return res
}

type world struct {
	store  *postgres.DB
	authz  *authz.Enforcer
	ai     *app.AI
	gen    *scripted
	owner  domain.Actor
	viewer domain.Actor
	editor domain.Actor
	other  domain.Actor
}

func setup(t *testing.T, gen *scripted) world {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	enf, err := authz.New(ctx, db.Pool(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	company := func(name string, roles ...domain.Role) []domain.Actor {
		c := pgtest.Company(t, db, pgtest.CompanyName(name), pgtest.CompanyPlan(domain.PlanFree))
		var out []domain.Actor
		for _, r := range roles {
			out = append(out, pgtest.Member(t, db, c.ID, r))
		}
		return out
	}
	acme := company("Acme", domain.RoleOwner, domain.RoleViewer, domain.RoleEditor)
	rival := company("Rival", domain.RoleOwner)
	if err := enf.Reload(ctx, ""); err != nil {
		t.Fatal(err)
	}
	var g ports.CaptionGenerator
	if gen != nil {
		g = gen
	}
	return world{store: db, authz: enf, ai: app.NewAI(db, enf, g, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil))), gen: gen,
		owner: acme[0], viewer: acme[1], editor: acme[2], other: rival[0]}
}

func TestSuggest_FitsEveryPlatformAndUsesTheBrandVoice(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Great news everyone ", 200) // 4,000 runes
	gen := &scripted{answer: func(n int, req ports.CaptionRequest) (ports.CaptionResult, error) {
		if n == 1 {
			// LinkedIn's caption is too long, Instagram's has too many hashtags.
			return each(req, func(p domain.Platform) string {
				if p == domain.LinkedIn {
					return long
				}
				return "Launch day! #one #two"
			}, tagsN(40)...), nil
		}
		// The second answer fixes Instagram but LinkedIn is still too long: it is cut.
		return each(req, func(p domain.Platform) string {
			if p == domain.LinkedIn {
				return long
			}
			return "Launch day, fixed"
		}, "launch", "#Launch"), nil
	}}
	w := setup(t, gen)
	ctx := context.Background()
	if _, err := w.ai.SetVoice(ctx, w.owner, "Warm and plain", []string{"synergy"}, []string{"#acme"}); err != nil {
		t.Fatal(err)
	}
	s, err := w.ai.Suggest(ctx, w.editor, app.SuggestInput{Brief: "We launch today", Platforms: []domain.Platform{domain.LinkedIn, domain.Instagram, domain.TikTok}, Tone: "friendly"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Items) != 3 || s.PromptTokens != 200 || s.CompletionTokens != 100 {
		t.Fatalf("suggestions %d, tokens %d/%d", len(s.Items), s.PromptTokens, s.CompletionTokens)
	}
	for _, it := range s.Items {
		if p := domain.CaptionProblems(it.Platform, it.Caption, it.Hashtags); len(p) > 0 {
			t.Errorf("%s caption breaks its rules: %q", it.Platform, p)
		}
	}
	if li := s.Items[0]; li.Platform != domain.LinkedIn || !strings.HasSuffix(li.Caption, "…") {
		t.Errorf("the still-too-long LinkedIn caption was not cut: %q", li.Caption[len(li.Caption)-20:])
	}
	if ig := s.Items[1]; ig.Caption != "Launch day, fixed" || strings.Join(ig.Hashtags, ",") != "launch" {
		t.Errorf("instagram = %+v, want the regenerated caption with de-duplicated hashtags", ig)
	}
	first, second := gen.asked[0], gen.asked[1]
	if first.VoiceDescription != "Warm and plain" || first.AvoidWords[0] != "synergy" || first.DefaultHashtags[0] != "acme" || first.Tone != "friendly" {
		t.Errorf("the first request lacks the brand voice or tone: %+v", first)
	}
	if len(second.Platforms) != 2 || !strings.Contains(second.Fix[domain.LinkedIn], "characters long") || !strings.Contains(second.Fix[domain.Instagram], "hashtags") {
		t.Errorf("the regeneration = platforms %v, fix %v", second.Platforms, second.Fix)
	}
	if _, err := w.ai.Usage(ctx, w.viewer); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("a viewer reads AI usage: %v", err)
	}
	u, err := w.ai.Usage(ctx, w.owner)
	if err != nil || u.PromptTokens != 200 || u.CompletionTokens != 100 || u.Allowance != domain.PlanFree.Limits().AITokensPerMonth {
		t.Errorf("usage = %+v, %v", u, err)
	}
	if u, _ := w.ai.Usage(ctx, w.other); u.PromptTokens != 0 {
		t.Errorf("another company sees usage %+v", u)
	}
}

func TestSuggest_RolesInputQuotaAndNoProvider(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	none := setup(t, nil)
	if _, err := none.ai.Suggest(ctx, none.owner, app.SuggestInput{Brief: "x", Platforms: []domain.Platform{domain.LinkedIn}}); !errors.Is(err, app.ErrNoProvider) {
		t.Errorf("without a provider: %v", err)
	}
	gen := &scripted{answer: func(n int, req ports.CaptionRequest) (ports.CaptionResult, error) {
		res := each(req, func(domain.Platform) string { return "ok" })
		res.PromptTokens = 9_000 // free plan: 20,000 a month
		return res, nil
	}}
	w := setup(t, gen)
	if _, err := w.ai.Suggest(ctx, w.viewer, app.SuggestInput{Brief: "x", Platforms: []domain.Platform{domain.LinkedIn}}); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("a viewer uses AI: %v", err)
	}
	if _, err := w.ai.SetVoice(ctx, w.editor, "x", nil, nil); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("an editor sets the brand voice: %v", err)
	}
	for _, in := range []app.SuggestInput{
		{Brief: "", Platforms: []domain.Platform{domain.LinkedIn}},
		{Brief: strings.Repeat("x", app.MaxBriefRunes+1), Platforms: []domain.Platform{domain.LinkedIn}},
		{Brief: "x"},
		{Brief: "x", Platforms: []domain.Platform{"myspace"}},
		{Brief: "x", Platforms: []domain.Platform{domain.LinkedIn, domain.LinkedIn}},
		{Brief: "x", Platforms: []domain.Platform{domain.LinkedIn}, Tone: "one\ntwo"},
	} {
		if _, err := w.ai.Suggest(ctx, w.owner, in); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("Suggest(%+v) = %v, want CodeInvalid", in, err)
		}
	}
	if len(gen.asked) != 0 {
		t.Fatalf("invalid requests reached the provider %d times", len(gen.asked))
	}
	in := app.SuggestInput{Brief: "x", Platforms: []domain.Platform{domain.LinkedIn}, Tone: "friendly"}
	if _, err := w.ai.Suggest(ctx, w.owner, in); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ai.Suggest(ctx, w.owner, in); err != nil {
		t.Fatalf("second request under the allowance: %v", err)
	}
	// 18,100 used: the 1,900 left are less than a request may cost, so the third is
	// refused before it reaches the provider, until next month.
	_, err := w.ai.Suggest(ctx, w.owner, in)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeRateLimited || de.RetryAfter < 24*time.Hour || !strings.Contains(de.Message, "20,000") {
		t.Errorf("over the allowance: %v", err)
	}
	if len(gen.asked) != 2 {
		t.Errorf("the provider was asked %d times, want 2 (the third was refused before)", len(gen.asked))
	}
	if u, _ := w.ai.Usage(ctx, w.owner); u.PromptTokens+u.CompletionTokens > u.Allowance {
		t.Errorf("usage %+v is past the allowance", u)
	}
	// The rival company's allowance is its own.
	if _, err := w.ai.Suggest(ctx, w.other, in); err != nil {
		t.Errorf("another company's first request: %v", err)
	}
	// Provider failures pass through unchanged, and cost nothing.
	failing := setup(t, &scripted{answer: func(int, ports.CaptionRequest) (ports.CaptionResult, error) {
		return ports.CaptionResult{}, &domain.Error{Code: domain.CodeRateLimited, Message: "The AI service is busy.", RetryAfter: time.Second}
	}})
	if _, err := failing.ai.Suggest(ctx, failing.owner, in); domain.CodeOf(err) != domain.CodeRateLimited {
		t.Errorf("provider rate limit: %v", err)
	}
	if u, _ := failing.ai.Usage(ctx, failing.owner); u.PromptTokens != 0 {
		t.Errorf("a failed request was counted: %+v", u)
	}
}

func tagsN(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("tag%d", i))
	}
	return out
}

func TestAnalyticsZone_OwnersSetItToAValidZone(t *testing.T) {
	t.Parallel()
	w := setup(t, nil)
	ctx := context.Background()
	an := app.NewAnalytics(w.store, w.authz, nil, nil, domain.DefaultMetricsSchedule, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := an.SetZone(ctx, w.editor, "Europe/Berlin"); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("an editor sets the zone: %v", err)
	}
	if err := an.SetZone(ctx, w.owner, "Mars/Olympus"); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("an unknown zone: %v", err)
	}
	if err := an.SetZone(ctx, w.owner, "Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	if z, err := an.Zone(ctx, w.viewer); err != nil || z != "Asia/Tokyo" {
		t.Errorf("Zone = %q, %v", z, err)
	}
	if z, _ := an.Zone(ctx, w.other); z != "UTC" {
		t.Errorf("another company's zone = %q", z)
	}
}

// TestSuggest_ConcurrentRequestsNeverSpendPastTheAllowance sends 10 requests at once on the
// free plan (20,000 tokens a month) against a provider that holds every call until all
// requests have either reached it or been refused: the tokens reserved at once and the
// tokens recorded never pass the allowance, and the refused requests say when to retry.
// A failed call gives its whole reservation back.
func TestSuggest_ConcurrentRequestsNeverSpendPastTheAllowance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 10
	release := make(chan struct{})
	var entered atomic.Int64
	gen := &scripted{answer: func(_ int, req ports.CaptionRequest) (ports.CaptionResult, error) {
		entered.Add(1)
		<-release
		res := each(req, func(domain.Platform) string { return "ok" })
		res.PromptTokens, res.CompletionTokens = 3_000, 1_000 // within what a request may cost
		return res, nil
	}}
	w := setup(t, gen)
	in := app.SuggestInput{Brief: "Our spring sale starts Monday", Platforms: []domain.Platform{domain.LinkedIn}}
	errs := make(chan error, n)
	var refused atomic.Int64
	for range n {
		go func() {
			_, err := w.ai.Suggest(ctx, w.owner, in)
			if err != nil {
				refused.Add(1)
			}
			errs <- err
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for entered.Load()+refused.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d requests at the provider, %d refused, of %d", entered.Load(), refused.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	atProvider := entered.Load()
	close(release)
	var ok int
	for range n {
		err := <-errs
		var de *domain.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &de) && de.Code == domain.CodeRateLimited && de.RetryAfter > 0:
		default:
			t.Errorf("a concurrent request: %v, want success or rate_limited with a retry time", err)
		}
	}
	if ok == 0 || ok == n || int64(ok) != atProvider {
		t.Errorf("%d of %d requests succeeded, %d reached the provider: want some refused, and only the admitted ones at the provider", ok, n, atProvider)
	}
	u, err := w.ai.Usage(ctx, w.owner)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.PromptTokens + u.CompletionTokens; got > u.Allowance || got != int64(ok)*4_000 {
		t.Errorf("recorded %d tokens for %d answered requests; allowance %d", got, ok, u.Allowance)
	}
	// Sequential requests go on until the rest is too small for one, never past it.
	for range n {
		if _, err := w.ai.Suggest(ctx, w.owner, in); err != nil {
			break
		}
	}
	if u, _ := w.ai.Usage(ctx, w.owner); u.PromptTokens+u.CompletionTokens > u.Allowance {
		t.Errorf("sequential requests recorded %d tokens, past the allowance %d", u.PromptTokens+u.CompletionTokens, u.Allowance)
	}

	// A failed call gives its reservation back: the next request has the whole allowance.
	var calls atomic.Int64
	failing := setup(t, &scripted{answer: func(_ int, req ports.CaptionRequest) (ports.CaptionResult, error) {
		if calls.Add(1) <= 3 {
			return ports.CaptionResult{}, &domain.Error{Code: domain.CodeUnavailable, Message: "The AI service is down."}
		}
		return each(req, func(domain.Platform) string { return "ok" }), nil
	}})
	for range 3 {
		if _, err := failing.ai.Suggest(ctx, failing.owner, in); domain.CodeOf(err) != domain.CodeUnavailable {
			t.Fatalf("failing provider: %v", err)
		}
	}
	if _, err := failing.ai.Suggest(ctx, failing.owner, in); err != nil {
		t.Errorf("after three failed calls (their reservations given back): %v", err)
	}
	var held int
	if err := failing.store.Pool().QueryRow(ctx, `SELECT count(*) FROM ai_reservations WHERE company_id = $1`, failing.owner.CompanyID).Scan(&held); err != nil || held != 0 {
		t.Errorf("reservations left after every request settled: %d (%v)", held, err)
	}
}
