package openai

import (
	"encoding/json"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// rawAnswer decodes the answer with pointers, so a missing or null field is told apart
// from an empty one; a number where a string belongs fails to decode.
type rawAnswer struct {
	Suggestions *[]struct {
		Platform *string   `json:"platform"`
		Caption  *string   `json:"caption"`
		Hashtags []*string `json:"hashtags"`
	} `json:"suggestions"`
}

// readAnswer returns the suggestions of resp in the order of platforms, or a problem
// written for the model (it never quotes the answer, since problems also reach the log).
func readAnswer(resp goopenai.ChatCompletionResponse, platforms []domain.Platform) ([]ports.CaptionSuggestion, string) {
	if len(resp.Choices) == 0 {
		return nil, "it had no message"
	}
	msg := resp.Choices[0].Message
	if msg.Refusal != "" {
		return nil, "it was a refusal"
	}
	object, ok := findJSONObject(msg.Content)
	if !ok {
		if resp.Choices[0].FinishReason == goopenai.FinishReasonLength {
			return nil, "it was cut off before the JSON object ended"
		}
		return nil, `it held no JSON object with "suggestions"`
	}
	var a rawAnswer
	if err := json.Unmarshal(object, &a); err != nil {
		return nil, "its fields were not all strings in the shape asked for"
	}
	if a.Suggestions == nil {
		return nil, `it had no "suggestions" array`
	}
	asked := make(map[string]domain.Platform, len(platforms))
	for _, p := range platforms {
		asked[string(p)] = p
		asked[strings.ToLower(p.Title())] = p
	}
	got := make(map[domain.Platform]ports.CaptionSuggestion, len(platforms))
	for _, s := range *a.Suggestions {
		if s.Platform == nil {
			return nil, "a suggestion had no platform"
		}
		p, ok := asked[strings.ToLower(strings.TrimSpace(*s.Platform))]
		if !ok {
			return nil, "a suggestion named a platform that was not asked for"
		}
		if _, dup := got[p]; dup {
			return nil, "it had more than one suggestion for " + string(p)
		}
		if s.Caption == nil || strings.TrimSpace(*s.Caption) == "" {
			return nil, "the suggestion for " + string(p) + " had no caption"
		}
		suggestion := ports.CaptionSuggestion{Platform: p, Caption: *s.Caption}
		for _, tag := range s.Hashtags {
			if tag == nil {
				return nil, "the hashtags for " + string(p) + " were not all strings"
			}
			if t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(*tag), "#")); t != "" {
				suggestion.Hashtags = append(suggestion.Hashtags, t)
			}
		}
		got[p] = suggestion
	}
	out := make([]ports.CaptionSuggestion, 0, len(platforms))
	for _, p := range platforms {
		s, ok := got[p]
		if !ok {
			return nil, "it had no suggestion for " + string(p)
		}
		out = append(out, s)
	}
	return out, ""
}

// findJSONObject returns the first JSON object in text that has a "suggestions" member,
// so an answer wrapped in ``` fences or surrounded by prose still reads.
func findJSONObject(text string) (json.RawMessage, bool) {
	for i := strings.IndexByte(text, '{'); i >= 0; {
		var members map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		if dec.Decode(&members) == nil {
			if _, ok := members["suggestions"]; ok {
				end := i + int(dec.InputOffset())
				return json.RawMessage(text[i:end]), true
			}
		}
		next := strings.IndexByte(text[i+1:], '{')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return nil, false
}
