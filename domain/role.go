package domain

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
