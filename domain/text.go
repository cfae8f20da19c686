package domain

import (
	"strings"
	"unicode/utf8"
)

// Problems of text that Herald refuses in every field, at the edge (API bodies, forms).
const (
	ProblemNUL     = "must not contain a NUL character (\\u0000)"
	ProblemEncoded = "must be valid UTF-8 text"
)

// TextProblem says what makes s unfit to be stored as text: a NUL character, which
// PostgreSQL cannot store, or bytes that are not UTF-8. It returns "" when s is fine.
func TextProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return ProblemNUL
	case !utf8.ValidString(s):
		return ProblemEncoded
	}
	return ""
}

// BadText returns CodeInvalid carrying v's fields with a message naming them, so a page
// that shows only the message still says which field to fix; nil when v is empty.
func BadText(v Violations) error {
	if len(v) == 0 {
		return nil
	}
	names := SortedFields(v)
	return &Error{Code: CodeInvalid, Fields: map[string]string(v), Message: "Please correct " + strings.Join(names, ", ") +
		": text must be valid UTF-8 without NUL characters."}
}

// Excerpt returns the first n characters of s on one line (runs of white space become one
// space), with an ellipsis when it was cut.
func Excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return strings.TrimSpace(string(r[:n])) + "…"
	}
	return s
}
