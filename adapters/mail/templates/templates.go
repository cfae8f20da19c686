// Package templates renders Herald's emails from templates kept in this repository, one
// directory per language (en is the fallback). Each email is a file <name>.tmpl defining
// "subject" and "text" (text/template) and "html" (html/template, escaped), with the
// shared pieces of _layout.tmpl. It implements ports.MailTemplates.
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

//go:embed */*.tmpl
var files embed.FS

// Fallback is the language used when an email has no template in the one asked for.
const Fallback = "en"

// Item is one entry of a digest's "items" data (a JSON list).
type Item struct {
	Kind    string `json:"kind"`
	Text    string `json:"text"`
	Link    string `json:"link"`
	Company string `json:"company"`
}

type pair struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Set is every email template in every language, parsed once.
type Set struct {
	byLang map[string]map[string]pair
}

var _ ports.MailTemplates = (*Set)(nil)

var funcs = map[string]any{
	// items decodes a digest's list.
	"items": func(raw string) ([]Item, error) {
		var out []Item
		if raw == "" {
			return out, nil
		}
		err := json.Unmarshal([]byte(raw), &out)
		return out, err
	},
	// kindTitle names a notification kind as the settings page does.
	"kindTitle": func(kind string) string { return domain.NotificationKind(kind).Title() },
}

// New parses every template; it fails when one does not parse or misses a part.
func New() (*Set, error) {
	s := &Set{byLang: map[string]map[string]pair{}}
	langs, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, err
	}
	for _, l := range langs {
		if !l.IsDir() {
			continue
		}
		lang := l.Name()
		layout, err := fs.ReadFile(files, path.Join(lang, "_layout.tmpl"))
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", lang, err)
		}
		entries, err := fs.ReadDir(files, lang)
		if err != nil {
			return nil, err
		}
		s.byLang[lang] = map[string]pair{}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".tmpl")
			if !ok || strings.HasPrefix(name, "_") {
				continue
			}
			body, err := fs.ReadFile(files, path.Join(lang, e.Name()))
			if err != nil {
				return nil, err
			}
			text, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=zero").Parse(string(layout) + string(body))
			if err != nil {
				return nil, fmt.Errorf("templates: %s/%s: %w", lang, name, err)
			}
			html, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=zero").Parse(string(layout) + string(body))
			if err != nil {
				return nil, fmt.Errorf("templates: %s/%s: %w", lang, name, err)
			}
			for _, part := range []string{"subject", "text", "html"} {
				if text.Lookup(part) == nil {
					return nil, fmt.Errorf("templates: %s/%s defines no %q", lang, name, part)
				}
			}
			s.byLang[lang][name] = pair{text: text, html: html}
		}
	}
	if len(s.byLang[Fallback]) == 0 {
		return nil, fmt.Errorf("templates: no %s templates", Fallback)
	}
	return s, nil
}

// MustNew is New for the program's start, where a broken template is a bug.
func MustNew() *Set {
	s, err := New()
	if err != nil {
		panic(err)
	}
	return s
}

// Names lists the templates of the fallback language.
func (s *Set) Names() []string {
	var out []string
	for n := range s.byLang[Fallback] {
		out = append(out, n)
	}
	return out
}

// Render implements ports.MailTemplates.
func (s *Set) Render(name, lang string, data map[string]string) (subject, text, html string, err error) {
	p, ok := s.byLang[lang][name]
	if !ok {
		p, ok = s.byLang[Fallback][name]
	}
	if !ok {
		return "", "", "", fmt.Errorf("templates: no email template %q", name)
	}
	if data == nil {
		data = map[string]string{}
	}
	var b bytes.Buffer
	if err := p.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s subject: %w", name, err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ") // one line, whatever the template's layout
	b.Reset()
	if err := p.text.ExecuteTemplate(&b, "text", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s text: %w", name, err)
	}
	text = strings.TrimSpace(b.String()) + "\n"
	b.Reset()
	if err := p.html.ExecuteTemplate(&b, "html", data); err != nil {
		return "", "", "", fmt.Errorf("templates: %s html: %w", name, err)
	}
	return subject, text, b.String(), nil
}
