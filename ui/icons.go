package ui

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"sync"
	"unicode"

	"github.com/heraldhq/herald/domain"
)

// The icons pages draw inline (so they take the text's colour and need no request each):
// Lucide's line icons (static/icons/lucide, ISC), Simple Icons' platform logos
// (static/icons/simple-icons, CC0) and Herald's own lettermarks for the platforms Simple
// Icons does not carry (static/icons/herald). VERSIONS.md records where each came from.
var icons = sync.OnceValues(func() (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	for dir, attrs := range map[string]string{
		"static/icons/lucide":       `fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"`,
		"static/icons/simple-icons": `fill="currentColor"`,
		"static/icons/herald":       `fill="currentColor"`,
	} {
		names, err := fs.Glob(files, path.Join(dir, "*.svg"))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			src, err := fs.ReadFile(files, name)
			if err != nil {
				return nil, err
			}
			inner, err := svgInner(string(src))
			if err != nil {
				return nil, fmt.Errorf("ui: icon %s: %w", name, err)
			}
			key := strings.TrimSuffix(path.Base(name), ".svg")
			if dir != "static/icons/lucide" {
				key = "platform-" + key
			}
			// The markup is the vendored file's own drawing, embedded at build time.
			out[key] = template.HTML(`<svg class="icon" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" ` + attrs + `>` + inner + `</svg>`)
		}
	}
	return out, nil
})

// svgInner returns the drawing inside an SVG file's root element, without its title (the
// page names what an icon stands for, or hides it as decoration).
func svgInner(src string) (string, error) {
	start := strings.Index(src, "<svg")
	if start < 0 {
		return "", fmt.Errorf("no <svg> element")
	}
	open := strings.Index(src[start:], ">")
	end := strings.LastIndex(src, "</svg>")
	if open < 0 || end < start+open {
		return "", fmt.Errorf("no complete <svg> element")
	}
	inner := src[start+open+1 : end]
	if i := strings.Index(inner, "<title>"); i >= 0 {
		if j := strings.Index(inner, "</title>"); j > i {
			inner = inner[:i] + inner[j+len("</title>"):]
		}
	}
	return strings.TrimSpace(inner), nil
}

// icon returns the inline SVG of a named icon ({{icon "calendar"}}), decorative
// (aria-hidden) with the class "icon"; platform logos are "platform-linkedin" and so on.
// An unknown name is an error, so a typo breaks the page's render in tests.
func icon(name string) (template.HTML, error) {
	all, err := icons()
	if err != nil {
		return "", err
	}
	svg, ok := all[name]
	if !ok {
		return "", fmt.Errorf("ui: no icon named %q", name)
	}
	return svg, nil
}

// avatarData is what the avatar template draws for an account.
type avatarData struct {
	Name     string // the account's display name
	Initials string // one or two letters of it
	Platform domain.Platform
}

// avatarOf reads the name and platform of anything that names an account: a
// domain.Account (DisplayName), a post's target label (Name), or any struct with one of
// those fields and a Platform.
func avatarOf(v any) (avatarData, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return avatarData{}, fmt.Errorf("ui: avatar of a %T: want an account", v)
	}
	var a avatarData
	for _, f := range []string{"DisplayName", "Name", "AccountName"} {
		if fv := rv.FieldByName(f); fv.IsValid() && fv.Kind() == reflect.String && fv.String() != "" {
			a.Name = fv.String()
			break
		}
	}
	p := rv.FieldByName("Platform")
	if !p.IsValid() || p.Type() != reflect.TypeOf(domain.Platform("")) {
		return avatarData{}, fmt.Errorf("ui: avatar of a %T: it has no Platform", v)
	}
	a.Platform = p.Interface().(domain.Platform)
	if a.Name == "" {
		a.Name = a.Platform.Title() + " account"
	}
	a.Initials = initials(a.Name)
	return a, nil
}

// initials returns the first letter of the first two words of name, upper-cased ("Hedda
// Goods" is "HG", "@north-desk" is "ND"), or "?" when it has no letter or digit.
func initials(name string) string {
	var out []rune
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		out = append(out, unicode.ToUpper([]rune(w)[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
