package openai

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestRenderPrompt(t *testing.T) {
	t.Parallel()
	req := ports.CaptionRequest{
		Brief:            "Acme Rockets 2.0 launches on Monday.",
		Platforms:        []domain.Platform{domain.Instagram, domain.LinkedIn},
		Tone:             "playful",
		Language:         "German",
		VoiceDescription: "Warm, concrete, never salesy.",
		AvoidWords:       []string{"synergy", "disrupt"},
		DefaultHashtags:  []string{"acme", "rockets"},
		Fix:              map[domain.Platform]string{domain.Instagram: "has 34 hashtags; Instagram allows 30."},
	}
	system, user, err := renderPrompt(req, req.Platforms)
	if err != nil {
		t.Fatalf("renderPrompt: %v", err)
	}
	for _, want := range []string{
		req.Brief, "Tone: playful", "Language: German", "Warm, concrete, never salesy.",
		"synergy, disrupt", "acme, rockets",
		"instagram (Instagram): at most 2200 characters, at most 30 hashtags",
		"linkedin (LinkedIn): at most 3000 characters, no hashtag limit",
		"Your previous Instagram caption broke the rules: has 34 hashtags; Instagram allows 30. Correct",
		"exactly one suggestion for each of: instagram, linkedin",
	} {
		if !strings.Contains(user, want) {
			t.Errorf("user prompt lacks %q:\n%s", want, user)
		}
	}
	if strings.Count(user, "previous") != 1 {
		t.Errorf("user prompt has a Fix line for a platform without one:\n%s", user)
	}
	for _, want := range []string{"Unicode code points", "without the '#'", `{"suggestions":[{"platform":`} {
		if !strings.Contains(system, want) {
			t.Errorf("system prompt lacks %q:\n%s", want, system)
		}
	}
	if strings.Contains(system+user, "{{") {
		t.Errorf("prompt has template text left:\n%s\n%s", system, user)
	}

	t.Run("WithoutVoiceOrTone", func(t *testing.T) {
		t.Parallel()
		_, user, err := renderPrompt(ports.CaptionRequest{Brief: "b"}, []domain.Platform{domain.TikTok})
		if err != nil {
			t.Fatalf("renderPrompt: %v", err)
		}
		for _, want := range []string{"your choice", "the language of the brief", "none given"} {
			if !strings.Contains(user, want) {
				t.Errorf("user prompt lacks %q:\n%s", want, user)
			}
		}
	})
}

func TestPromptVersion(t *testing.T) {
	t.Parallel()
	if PromptVersion != "prompt v1" {
		t.Errorf("PromptVersion = %q, want the first line of prompt.tmpl, prompt v1", PromptVersion)
	}
}
