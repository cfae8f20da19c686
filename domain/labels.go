package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a post's labels (campaigns).
const (
	MaxLabels     = 10
	MaxLabelRunes = 40
)

// CleanLabels returns labels trimmed, with inner runs of spaces made one, without empty
// ones and without repeats (regardless of case: the first spelling stays), and adds to v a
// problem under field for each label that is too long or holds a control character, and
// when there are more than MaxLabels.
func CleanLabels(field string, labels []string, v Violations) []string {
	out := make([]string, 0, len(labels))
	seen := map[string]bool{}
	for i, l := range labels {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !utf8.ValidString(l) || strings.IndexFunc(l, unicode.IsControl) >= 0:
			v.Add(f, "holds characters a label cannot have")
			continue
		case utf8.RuneCountInString(l) > MaxLabelRunes:
			v.Add(f, fmt.Sprintf("is longer than %d characters", MaxLabelRunes))
			continue
		}
		key := strings.ToLower(l)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, l)
	}
	if len(out) > MaxLabels {
		v.Add(field, fmt.Sprintf("has %d labels; at most %d", len(out), MaxLabels))
	}
	return out
}

// HasLabel reports whether the post carries label, regardless of case.
func (p Post) HasLabel(label string) bool {
	for _, l := range p.Labels {
		if strings.EqualFold(l, label) {
			return true
		}
	}
	return false
}
