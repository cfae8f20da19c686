package domain

import "time"

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
	// Approver: the member may approve posts whatever the role (owners and admins always may).
	Approver bool
	JoinedAt time.Time
	Version  int
}

// Member is a company's view of one of its people.
type Member struct {
	User     User
	Role     Role
	Approver bool // may approve posts whatever the role
	JoinedAt time.Time
	Version  int // bumped by every role change
}

// CanApprove reports whether a member with role and the approver grant may approve posts.
func CanApprove(role Role, approver bool) bool {
	return role == RoleOwner || role == RoleAdmin || approver
}
