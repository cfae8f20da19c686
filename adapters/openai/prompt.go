package openai

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

//go:embed prompt.tmpl
var promptText string

// PromptVersion names the prompt in prompt.tmpl, from its first line ("{{/* prompt v1 */}}"),
// so logs can tell which prompt wrote a caption.
var PromptVersion = promptVersion(promptText)

var promptTemplate = template.Must(template.New("prompt").
	Funcs(template.FuncMap{"join": strings.Join}).
	Parse(promptText))

func promptVersion(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "{{/*"), "*/ -}}"))
	if !strings.HasPrefix(v, "prompt v") {
		panic("openai: prompt.tmpl must start with a version line such as {{/* prompt v1 */ -}}")
	}
	return v
}

type promptPlatform struct {
	ID, Title             string
	MaxRunes, MaxHashtags int
	Fix                   string
}

type promptData struct {
	ports.CaptionRequest
	Platforms []promptPlatform
}

// renderPrompt returns the system and user messages for req, whose platforms are known.
func renderPrompt(req ports.CaptionRequest, platforms []domain.Platform) (system, user string, err error) {
	data := promptData{CaptionRequest: req}
	for _, p := range platforms {
		r := domain.PlatformRules[p]
		data.Platforms = append(data.Platforms, promptPlatform{
			ID: string(p), Title: p.Title(), MaxRunes: r.MaxRunes, MaxHashtags: r.MaxHashtags,
			Fix: strings.TrimRight(strings.TrimSpace(req.Fix[p]), "."),
		})
	}
	var sys, usr strings.Builder
	if err := promptTemplate.ExecuteTemplate(&sys, "system", data); err != nil {
		return "", "", fmt.Errorf("openai: prompt: %w", err)
	}
	if err := promptTemplate.ExecuteTemplate(&usr, "user", data); err != nil {
		return "", "", fmt.Errorf("openai: prompt: %w", err)
	}
	return sys.String(), usr.String(), nil
}
