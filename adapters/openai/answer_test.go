package openai

import (
	"strings"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/heraldhq/herald/domain"
)

func TestReadAnswer(t *testing.T) {
	t.Parallel()
	asked := []domain.Platform{domain.LinkedIn, domain.TikTok}
	for _, tc := range []struct {
		name, content string
		problem       string // "" means readable
	}{
		{"Plain", `{"suggestions":[{"platform":"tiktok","caption":"b","hashtags":[]},{"platform":"linkedin","caption":"a","hashtags":["x"]}]}`, ""},
		{"Fenced", "```json\n" + captions("linkedin", "tiktok") + "\n```", ""},
		{"Prose", "Here {you} go: " + captions("linkedin", "tiktok") + " Enjoy!", ""},
		{"TitleCaseAndNoHashtags", `{"suggestions":[{"platform":"LinkedIn","caption":"a"},{"platform":" TikTok ","caption":"b","hashtags":null}]}`, ""},
		{"NotJSON", "Sorry, I can't.", "no JSON object"},
		{"MissingPlatform", captions("linkedin"), "no suggestion for tiktok"},
		{"UnknownPlatform", captions("linkedin", "tiktok", "myspace"), "not asked for"},
		{"NotAskedPlatform", captions("linkedin", "tiktok", "facebook"), "not asked for"},
		{"Duplicate", captions("linkedin", "tiktok", "linkedin"), "more than one"},
		{"NumberCaption", `{"suggestions":[{"platform":"linkedin","caption":1},{"platform":"tiktok","caption":"b"}]}`, "not all strings"},
		{"NullCaption", `{"suggestions":[{"platform":"linkedin","caption":null},{"platform":"tiktok","caption":"b"}]}`, "no caption"},
		{"NumberHashtag", `{"suggestions":[{"platform":"linkedin","caption":"a","hashtags":[1]},{"platform":"tiktok","caption":"b"}]}`, "not all strings"},
		{"NullHashtag", `{"suggestions":[{"platform":"linkedin","caption":"a","hashtags":[null]},{"platform":"tiktok","caption":"b"}]}`, "not all strings"},
		{"NoSuggestions", `{"suggestions":null}`, `no "suggestions"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := goopenai.ChatCompletionResponse{Choices: []goopenai.ChatCompletionChoice{{
				Message: goopenai.ChatCompletionMessage{Role: "assistant", Content: tc.content},
			}}}
			got, problem := readAnswer(resp, asked)
			if tc.problem == "" {
				if problem != "" {
					t.Fatalf("readAnswer problem = %q, want none", problem)
				}
				if len(got) != 2 || got[0].Platform != domain.LinkedIn || got[1].Platform != domain.TikTok {
					t.Errorf("readAnswer = %+v, want linkedin then tiktok", got)
				}
				return
			}
			if !strings.Contains(problem, tc.problem) {
				t.Errorf("readAnswer problem = %q, want %q", problem, tc.problem)
			}
		})
	}

	t.Run("NoChoices", func(t *testing.T) {
		t.Parallel()
		if _, problem := readAnswer(goopenai.ChatCompletionResponse{}, asked); problem == "" {
			t.Error("readAnswer(no choices) has no problem")
		}
	})
}
