package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

type suggestionJSON struct {
	Platform domain.Platform `json:"platform"`
	Caption  string          `json:"caption"`
	Hashtags []string        `json:"hashtags"`
}

// suggestCaptions handles POST /ai/captions.
func (a *API) suggestCaptions(c echo.Context) error {
	var in struct {
		Brief     string            `json:"brief"`
		Platforms []domain.Platform `json:"platforms"`
		Tone      string            `json:"tone"`
		Language  string            `json:"language"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	s, err := a.ai.Suggest(c.Request().Context(), actor(c), app.SuggestInput{Brief: in.Brief, Platforms: in.Platforms, Tone: in.Tone, Language: in.Language})
	if err != nil {
		return err
	}
	out := struct {
		Suggestions []suggestionJSON `json:"suggestions"`
		Usage       struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}{Suggestions: make([]suggestionJSON, 0, len(s.Items))}
	for _, it := range s.Items {
		out.Suggestions = append(out.Suggestions, suggestionJSON{Platform: it.Platform, Caption: it.Caption, Hashtags: orEmpty(it.Hashtags)})
	}
	out.Usage.PromptTokens, out.Usage.CompletionTokens = s.PromptTokens, s.CompletionTokens
	return c.JSON(http.StatusOK, out)
}
