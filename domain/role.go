package domain

import "time"

// Role is what a member may do in one company.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleViewer Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleEditor, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// ParseRole returns the role named s, or CodeInvalid on field.
func ParseRole(field, s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", InvalidField(field, "must be one of owner, admin, editor, viewer")
	}
	return r, nil
}

// Resource is a kind of thing a role's permissions are about.
type Resource string

// The resources permissions are granted on. ResourceTenants is the superadmin's.
const (
	ResourcePosts     Resource = "posts"
	ResourceSchedule  Resource = "schedule"
	ResourceAccounts  Resource = "accounts"
	ResourceAnalytics Resource = "analytics"
	ResourceAI        Resource = "ai"
	ResourceMembers   Resource = "members"
	ResourceWebhooks  Resource = "webhooks"
	ResourceCompany   Resource = "company"
	ResourceBrand     Resource = "brand" // the brand voice AI captions are written in
	ResourceAudit     Resource = "audit" // the company's audit log
	ResourceData      Resource = "data"  // all of the company's data: export (read) and deletion (write)
	ResourceTenants   Resource = "tenants"
)

// CompanyResources lists the resources that belong to one company.
var CompanyResources = []Resource{ResourcePosts, ResourceSchedule, ResourceAccounts, ResourceAnalytics,
	ResourceAI, ResourceMembers, ResourceWebhooks, ResourceCompany, ResourceBrand, ResourceAudit, ResourceData}

// Action is what is done to a resource.
type Action string

// The actions: reading and changing.
const (
	ActionRead  Action = "read"
	ActionWrite Action = "write"
)

// Actions lists every action.
var Actions = []Action{ActionRead, ActionWrite}

// Membership says that a user holds a role in a company.
type Membership struct {
	CompanyID   CompanyID
	CompanyName string
	// CompanyStatus and CompanyStatusReason say whether the company is suspended, and why.
	CompanyStatus       CompanyStatus
	CompanyStatusReason string
	CompanyPlan         Plan // sets the company's JSON API rate limits, among others
	UserID              UserID
	Role                Role
	JoinedAt            time.Time
	Version             int
}

// Member is a company's view of one of its people.
type Member struct {
	User     User
	Role     Role
	JoinedAt time.Time
	Version  int // bumped by every role change
}

// InvitationLifetime is how long an invitation link works after it was made or renewed.
const InvitationLifetime = 7 * 24 * time.Hour

// Invitation asks whoever opens its link to join a company with Role. The link carries a
// random token that works once and only until ExpiresAt; Email is whom the inviter sent
// it to, shown on the confirmation, not a condition: the link is the capability.
type Invitation struct {
	ID        InvitationID
	CompanyID CompanyID
	// CompanyName is filled in where the invitee sees the invitation.
	CompanyName string
	Email       string
	Role        Role
	InvitedBy   UserID
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Expired reports whether the invitation's link no longer works at now.
func (inv Invitation) Expired(now time.Time) bool { return !now.Before(inv.ExpiresAt) }

// CheckVersion returns CodeStale when want (from If-Match; 0 means none) is not current.
func CheckVersion(want, current int) error {
	if want != 0 && want != current {
		return Errorf(CodeStale, "This was changed by someone else (now version %d); reload and try again.", current)
	}
	return nil
}

// Actor is who is acting, and in which company: every use case takes one. CompanyID is
// empty for actions that are not about a company (such as listing tenants).
type Actor struct {
	UserID       UserID
	CompanyID    CompanyID
	Role         Role
	IsSuperadmin bool
	IP           string // the address the request came from, for the audit log
	Plan         Plan   // the company's plan when acting in one, for the API's rate limits
}

// CheckRoleChange reports whether actor may give target the role to, where from is the
// target's current role ("" for a newcomer) and owners is the company's owner count.
// Only owners make or unmake owners, and the last owner can be neither demoted nor removed
// (to == "" means removal).
func CheckRoleChange(actor Role, from, to Role, owners int) error {
	if (from == RoleOwner || to == RoleOwner) && actor != RoleOwner {
		return Errorf(CodeForbidden, "Only an owner can grant or take away the owner role.")
	}
	if from == RoleOwner && to != RoleOwner && owners <= 1 {
		if to == "" {
			return Errorf(CodeConflict, "The last owner cannot leave or be removed. Make someone else an owner first.")
		}
		return Errorf(CodeConflict, "The last owner cannot be demoted. Make someone else an owner first.")
	}
	return nil
}
