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

// Suspended reports whether s is a suspended company's status. It is Herald's one test of
// suspension: Company.CheckActive, SuspensionAllows' callers, publishing and the pages
// all ask it.
func (s CompanyStatus) Suspended() bool { return s == CompanySuspended }

// SuspensionAllows reports whether the members of a suspended company may still do act on
// res: read anything, export and delete the company's data (ResourceData), and, for the
// operator, manage tenants. Every other change is refused with SuspendedError.
func SuspensionAllows(res Resource, act Action) bool {
	return act != ActionWrite || res == ResourceData || res == ResourceTenants
}

// MaxNameRunes bounds names of companies and people.
const MaxNameRunes = 200

// Company is a tenant: a team that shares accounts, posts and members.
type Company struct {
	ID              CompanyID
	Name            string
	Plan            Plan
	Status          CompanyStatus
	StatusReason    string    // why the operator last changed the status, shown to a suspended company's members
	StatusChangedAt time.Time // zero until the operator changes the status
	Settings        map[string]string
	Version         int // bumped by every change
	CreatedAt       time.Time
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

// CompanyName returns the trimmed name for a company, or CodeInvalid naming field.
func CompanyName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	v := Violations{}
	checkName(v, field, name)
	return name, v.Err()
}

// CompanySummary is a company as the superadmin's tenants page shows it: its counts, and
// its usage of the plan in Usage.Month.
type CompanySummary struct {
	Company
	Members  int // members (without invitations)
	Accounts int // accounts that are not disconnected
	Posts    int // every post, drafts included
	Usage    PlanUsage
}

// CompanyChange is a superadmin's change to a company; nil fields stay as they are.
// Reason says why; it is required to suspend.
type CompanyChange struct {
	Plan   *Plan
	Status *CompanyStatus
	Reason string
}

// MaxReasonRunes bounds the reason of a status change.
const MaxReasonRunes = 500

// The audit actions of a superadmin's change to a company.
const (
	ActionPlanChanged = "company.plan_changed"
	ActionSuspended   = "company.suspended"
	ActionReactivated = "company.reactivated"
)

// CheckActive returns nil for an active company, and SuspendedError (CodeSuspended, with
// the operator's reason) for a suspended one: the check a change makes on the company it
// holds locked.
func (c Company) CheckActive() error {
	if c.Status.Suspended() {
		return SuspendedError(c.StatusReason)
	}
	return nil
}

// Apply validates ch and applies it to c at now. It returns the audit actions of what
// changed, in order (none when ch changes nothing), or CodeInvalid naming the bad fields.
// Suspending (or giving a suspended company a new reason) stores the reason for its
// members to read; reactivating clears it.
func (ch CompanyChange) Apply(c *Company, now time.Time) ([]string, error) {
	reason := strings.TrimSpace(ch.Reason)
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
	switch n := utf8.RuneCountInString(reason); {
	case !utf8.ValidString(reason) || strings.ContainsRune(reason, 0):
		v.Add("reason", "is not valid text")
	case n > MaxReasonRunes:
		v.Add("reason", "is too long (at most 500 characters)")
	case n == 0 && ch.Status != nil && *ch.Status == CompanySuspended:
		v.Add("reason", "is required to suspend a company; its members will read it")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var actions []string
	if ch.Plan != nil && *ch.Plan != c.Plan {
		c.Plan = *ch.Plan
		actions = append(actions, ActionPlanChanged)
	}
	if ch.Status != nil {
		switch {
		case *ch.Status == CompanySuspended && (c.Status != CompanySuspended || c.StatusReason != reason):
			c.Status, c.StatusReason, c.StatusChangedAt = CompanySuspended, reason, now.UTC()
			actions = append(actions, ActionSuspended)
		case *ch.Status == CompanyActive && c.Status != CompanyActive:
			c.Status, c.StatusReason, c.StatusChangedAt = CompanyActive, "", now.UTC()
			actions = append(actions, ActionReactivated)
		}
	}
	return actions, nil
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
