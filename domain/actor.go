package domain

// Actor is who is acting, and in which company: every use case takes one. CompanyID is
// empty for actions that are not about a company (such as listing tenants).
type Actor struct {
	UserID       UserID
	CompanyID    CompanyID
	Role         Role
	IsSuperadmin bool
	IP           string // the address the request came from, for the audit log
	Plan         Plan   // the company's plan when acting in one, for the API's rate limits
	// ViaAPI: the request came through the JSON API with a bearer token (a personal API
	// token or a login session), not the web app; companies may require approval for it.
	ViaAPI bool
	// Passkey: the person signed in with a passkey, which proves possession and the person
	// (user verification) at once, so it meets a company's two-factor requirement.
	Passkey bool
}
