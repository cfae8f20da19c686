package domain

import (
	"net/mail"
	"strings"
	"time"
)

// MinPasswordRunes and MaxPasswordBytes bound passwords; the upper bound keeps hashing cheap
// to refuse.
const (
	MinPasswordRunes = 12
	MaxPasswordBytes = 1024
)

// User is a person who can sign in and belong to several companies.
type User struct {
	ID           UserID
	Email        string
	Name         string
	IsSuperadmin bool
	TimeZone     string // IANA name times are shown in; "" until chosen (the browser's is used)
	CreatedAt    time.Time
	// EmailVerifiedAt is when the person proved the address is theirs; zero until then. An
	// unverified person cannot accept invitations and gets no notification emails.
	EmailVerifiedAt time.Time
}

// Verified reports whether the person's email address is verified.
func (u User) Verified() bool { return !u.EmailVerifiedAt.IsZero() }

// NormalizeEmail returns email trimmed and lower-cased: emails are case-insensitive.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CheckEmail adds a problem for field when email is not one plain address.
func CheckEmail(v Violations, field, email string) {
	switch {
	case email == "":
		v.Add(field, "is required")
	case len(email) > 254:
		v.Add(field, "is too long")
	default:
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
			v.Add(field, "is not a valid email address")
		}
	}
}

// NewUser returns a user with a normalized email, or CodeInvalid naming every bad field.
// The password is checked here but never stored in User.
func NewUser(email, name, password string, now time.Time) (User, error) {
	u := User{Email: NormalizeEmail(email), Name: strings.TrimSpace(name), CreatedAt: now.UTC()}
	v := Violations{}
	CheckEmail(v, "email", u.Email)
	checkName(v, "name", u.Name)
	CheckPassword(v, "password", password)
	if err := v.Err(); err != nil {
		return User{}, err
	}
	return u, nil
}
