// Package policies embeds Herald's Casbin access model and its role-to-permission policy.
// Role assignments are not here: they are the memberships in PostgreSQL.
package policies

import _ "embed"

// Model is the Casbin model (RBAC with domains, plus superadmins).
//
//go:embed model.conf
var Model string

// Policy is the role-to-permission policy in Casbin's CSV form, shared by every company.
//
//go:embed policy.csv
var Policy string
