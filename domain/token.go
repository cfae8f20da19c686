package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// TokenKind tells a browser or login session from a personal API token.
type TokenKind string

// The kinds of tokens.
const (
	TokenSession  TokenKind = "session"
	TokenPersonal TokenKind = "personal"
)

// SessionLifetime is how long a login lasts.
const SessionLifetime = 14 * 24 * time.Hour

// MaxTokenLifetime bounds a personal API token's life.
const MaxTokenLifetime = 366 * 24 * time.Hour

// Token is a bearer credential. Only its hash is stored; the secret is shown once.
type Token struct {
	ID        TokenID
	UserID    UserID
	Kind      TokenKind
	Name      string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// NewPersonalToken returns a personal token named name that expires at expires (zero: in
// one year), or CodeInvalid naming the field.
func NewPersonalToken(user UserID, name string, expires, now time.Time) (Token, error) {
	t := Token{UserID: user, Kind: TokenPersonal, Name: strings.TrimSpace(name), ExpiresAt: expires.UTC(), CreatedAt: now.UTC()}
	if expires.IsZero() {
		t.ExpiresAt = now.UTC().Add(365 * 24 * time.Hour)
	}
	v := Violations{}
	switch n := utf8.RuneCountInString(t.Name); {
	case n == 0:
		v.Add("name", "is required")
	case n > 100:
		v.Add("name", "is too long (at most 100 characters)")
	}
	switch {
	case !t.ExpiresAt.After(now):
		v.Add("expires_at", "must be in the future")
	case t.ExpiresAt.Sub(now) > MaxTokenLifetime:
		v.Add("expires_at", "must be within one year")
	}
	if err := v.Err(); err != nil {
		return Token{}, err
	}
	return t, nil
}

// Session is what a valid bearer token or cookie resolves to.
type Session struct {
	Token Token
	User  User
}
