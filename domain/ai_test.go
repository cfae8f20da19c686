package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
)

func TestCleanHashtags(t *testing.T) {
	t.Parallel()
	got := domain.CleanHashtags([]string{"#Go", "go", " #golang ", "", "#", "two words", "café", "#CAFÉ", "ok!"})
	if want := []string{"Go", "golang", "café", "ok"}; !slices.Equal(got, want) {
		t.Errorf("CleanHashtags = %q, want %q", got, want)
	}
}

func TestNewBrandVoice(t *testing.T) {
	t.Parallel()
	v, err := domain.NewBrandVoice("  warm ", []string{"synergy", "Synergy", " "}, []string{"#acme", "acme"})
	if err != nil || v.Description != "warm" || !slices.Equal(v.AvoidWords, []string{"synergy"}) || !slices.Equal(v.DefaultHashtags, []string{"acme"}) {
		t.Errorf("NewBrandVoice = %+v, %v", v, err)
	}
	_, err = domain.NewBrandVoice(strings.Repeat("x", domain.MaxVoiceRunes+1), make([]string, 0), nil)
	if _, ok := domain.FieldsOf(err)["voice"]; !ok {
		t.Errorf("a long voice: %v", err)
	}
}

func TestFitCaption(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("word ", 1000) // 5,000 runes
	for _, tc := range []struct {
		name     string
		platform domain.Platform
		caption  string
		tags     []string
	}{
		{"fits already", domain.LinkedIn, "Short and sweet", []string{"acme"}},
		{"too long for LinkedIn", domain.LinkedIn, words, []string{"acme", "launch"}},
		{"too long for Instagram with tags", domain.Instagram, words, []string{"a", "b", "c"}},
		{"too many hashtags for Instagram", domain.Instagram, "Hi #one #two", tagsN(40)},
		{"one endless word", domain.TikTok, strings.Repeat("é", 3000), nil},
	} {
		caption, tags := domain.FitCaption(tc.platform, tc.caption, tc.tags)
		if p := domain.CaptionProblems(tc.platform, caption, tags); len(p) != 0 {
			t.Errorf("%s: still breaks the rules: %q", tc.name, p)
		}
		if domain.CaptionProblems(tc.platform, tc.caption, tc.tags) == nil && (caption != strings.TrimSpace(tc.caption) || !slices.Equal(tags, tc.tags)) {
			t.Errorf("%s: a fitting caption was changed", tc.name)
		}
		if caption != strings.TrimSpace(tc.caption) && !strings.HasSuffix(caption, "…") {
			t.Errorf("%s: a cut caption does not end with …: %q", tc.name, caption[max(0, len(caption)-20):])
		}
		if tc.name == "too long for LinkedIn" && (strings.HasSuffix(strings.TrimSuffix(caption, "…"), "wor") || len(tags) != 2) {
			t.Errorf("%s: cut inside a word or lost hashtags: %q %v", tc.name, caption[len(caption)-10:], tags)
		}
	}
}

func tagsN(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "t"+strings.Repeat("x", i%3)+string(rune('a'+i%26)))
	}
	return domain.CleanHashtags(out)
}
