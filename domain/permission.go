package domain

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
	ResourceMedia     Resource = "media" // the media library: see and use (read), upload and change one's own files (write)
	// ResourceLibrary is every member's library files: changing and deleting others' (write).
	ResourceLibrary Resource = "library"
	// ResourceSnippets is the company's saved snippets: see and insert (read), write, change
	// and delete them (write).
	ResourceSnippets Resource = "snippets"
	// ResourceApprovals is deciding on posts submitted for approval (write); owners, admins
	// and members granted the approver permission hold it.
	ResourceApprovals Resource = "approvals"
	// ResourceReviews is the company's review links for clients: see (read), create and
	// revoke (write).
	ResourceReviews Resource = "reviews"
	ResourceTenants Resource = "tenants"
)

// CompanyResources lists the resources that belong to one company.
var CompanyResources = []Resource{ResourcePosts, ResourceSchedule, ResourceAccounts, ResourceAnalytics,
	ResourceAI, ResourceMembers, ResourceWebhooks, ResourceCompany, ResourceBrand, ResourceAudit, ResourceData, ResourceMedia, ResourceLibrary,
	ResourceSnippets, ResourceApprovals, ResourceReviews}

// Action is what is done to a resource.
type Action string

// The actions: reading and changing.
const (
	ActionRead  Action = "read"
	ActionWrite Action = "write"
)

// Actions lists every action.
var Actions = []Action{ActionRead, ActionWrite}
