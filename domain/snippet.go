package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SnippetID identifies a saved snippet of a company.
type SnippetID string

// Limits of a company's snippets.
const (
	// MaxSnippetNameRunes bounds a snippet's name, shown in the composer's list.
	MaxSnippetNameRunes = 80
	// MaxSnippetContentRunes bounds a snippet's text: half of Herald's post limit is more
	// than any hashtag group or signature needs.
	MaxSnippetContentRunes = 5_000
	// MaxSnippets bounds how many snippets one company keeps, so the composer's list
	// stays a list a person can search.
	MaxSnippets = 500
)

// Snippet is saved text (a signature, a call to action, a group of hashtags) the members
// of a company insert into posts. Its name is unique in the company whatever its case.
type Snippet struct {
	ID        SnippetID
	CompanyID CompanyID
	Name      string
	Content   string
	CreatedBy UserID // empty once that person is gone
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SnippetInput is what a person writes: a snippet's name and text.
type SnippetInput struct {
	Name    string
	Content string
}

// Check returns the input cleaned (trimmed, line breaks as "\n"), or CodeInvalid naming
// every bad field: an empty or over-long name or text, a name on several lines, text that
// is not UTF-8.
func (in SnippetInput) Check() (SnippetInput, error) {
	v := Violations{}
	name := strings.TrimSpace(in.Name)
	content := strings.TrimSpace(strings.ReplaceAll(in.Content, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		v.Add("name", "is not valid UTF-8 text")
	case n == 0:
		v.Add("name", "is empty: name the snippet so it can be found")
	case n > MaxSnippetNameRunes:
		v.Add("name", fmt.Sprintf("is %d characters long; at most %d", n, MaxSnippetNameRunes))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		v.Add("name", "must be one line without control characters")
	}
	switch n := utf8.RuneCountInString(content); {
	case !utf8.ValidString(content):
		v.Add("content", "is not valid UTF-8 text")
	case n == 0:
		v.Add("content", "is empty: write the text to insert")
	case n > MaxSnippetContentRunes:
		v.Add("content", fmt.Sprintf("is %s characters long; at most %s", thousands(n), thousands(MaxSnippetContentRunes)))
	}
	return SnippetInput{Name: name, Content: content}, v.Err()
}

// NewSnippet returns the company's new snippet written by author at now, or CodeInvalid
// naming every bad field.
func NewSnippet(company CompanyID, author UserID, in SnippetInput, now time.Time) (Snippet, error) {
	in, err := in.Check()
	if err != nil {
		return Snippet{}, err
	}
	return Snippet{CompanyID: company, Name: in.Name, Content: in.Content, CreatedBy: author, Version: 1,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC()}, nil
}

// Edit replaces the snippet's name and text at now and bumps its version, or returns
// CodeInvalid naming every bad field (the snippet is then unchanged).
func (s *Snippet) Edit(in SnippetInput, now time.Time) error {
	in, err := in.Check()
	if err != nil {
		return err
	}
	s.Name, s.Content, s.UpdatedAt = in.Name, in.Content, now.UTC()
	s.Version++
	return nil
}

// CheckSnippetCount returns CodeConflict when a company that has n snippets cannot save
// another.
func CheckSnippetCount(n int) error {
	if n >= MaxSnippets {
		return Errorf(CodeConflict, "This company has %d snippets, the most Herald keeps; delete one you no longer use first.", n)
	}
	return nil
}
