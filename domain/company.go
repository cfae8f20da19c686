package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CompanyStatus says whether a company may publish.
type CompanyStatus string

// The statuses of a company. A suspended company can sign in and read, not publish.
const (
	CompanyActive    CompanyStatus = "active"
	CompanySuspended CompanyStatus = "suspended"
)

// Valid reports whether s is a known status.
func (s CompanyStatus) Valid() bool { return s == CompanyActive || s == CompanySuspended }

// MaxNameRunes bounds names of companies and people.
const MaxNameRunes = 200

// Company is a tenant: a team that shares accounts, posts and members.
type Company struct {
	ID        CompanyID
	Name      string
	Plan      Plan
	Status    CompanyStatus
	Settings  map[string]string
	Version   int // bumped by every change
	CreatedAt time.Time
}

// NewCompany returns an active company on the free plan, or CodeInvalid naming the field.
func NewCompany(name string, now time.Time) (Company, error) {
	c := Company{Name: strings.TrimSpace(name), Plan: PlanFree, Status: CompanyActive, Settings: map[string]string{}, CreatedAt: now.UTC()}
	v := Violations{}
	checkName(v, "company", c.Name)
	if err := v.Err(); err != nil {
		return Company{}, err
	}
	return c, nil
}

// CompanySummary is a company as the superadmin's tenant list shows it.
type CompanySummary struct {
	Company
	Members  int
	Accounts int
	Posts    int
}

// CompanyChange is a superadmin's change to a company; nil fields stay as they are.
type CompanyChange struct {
	Plan   *Plan
	Status *CompanyStatus
}

// Apply validates ch and applies it to c, or returns CodeInvalid naming the bad fields.
func (ch CompanyChange) Apply(c *Company) error {
	v := Violations{}
	if ch.Plan != nil && !ch.Plan.Valid() {
		v.Add("plan", "must be one of free, pro, business")
	}
	if ch.Status != nil && !ch.Status.Valid() {
		v.Add("status", "must be active or suspended")
	}
	if ch.Plan == nil && ch.Status == nil {
		v.Add("plan", "give a plan or a status to change")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if ch.Plan != nil {
		c.Plan = *ch.Plan
	}
	if ch.Status != nil {
		c.Status = *ch.Status
	}
	return nil
}

func checkName(v Violations, field, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add(field, "is required")
	case n > MaxNameRunes:
		v.Add(field, "is too long (at most 200 characters)")
	case !utf8.ValidString(name):
		v.Add(field, "is not valid text")
	case strings.ContainsAny(name, "\x00\r\n"):
		v.Add(field, "must be one line of text")
	}
}
