package httpapi

import (
	"time"

	"github.com/heraldhq/herald/domain"
)

// The wire shapes of the API (openapi.json, components.schemas). This is the one mapping
// from domain values to JSON.

type userJSON struct {
	ID           domain.UserID `json:"id"`
	Email        string        `json:"email"`
	Name         string        `json:"name"`
	IsSuperadmin bool          `json:"is_superadmin"`
	TimeZone     string        `json:"time_zone"` // "" until chosen: the browser's zone is used
	// EmailVerified: the person proved the address is theirs (needed to accept invitations).
	EmailVerified bool `json:"email_verified"`
}

func toUser(u domain.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, IsSuperadmin: u.IsSuperadmin, TimeZone: u.TimeZone, EmailVerified: u.Verified()}
}

type companyJSON struct {
	ID           domain.CompanyID `json:"id"`
	Name         string           `json:"name"`
	Plan         domain.Plan      `json:"plan"`
	Status       string           `json:"status"`
	StatusReason string           `json:"status_reason"`
	Version      int              `json:"version"`
	CreatedAt    string           `json:"created_at"`
}

func toCompany(c domain.Company) companyJSON {
	return companyJSON{ID: c.ID, Name: c.Name, Plan: c.Plan, Status: string(c.Status), StatusReason: c.StatusReason, Version: c.Version, CreatedAt: rfc3339(c.CreatedAt)}
}

// companySummaryJSON is a company in the superadmin's list (openapi.json, CompanySummary):
// its counts, plus the month's usage of the plan and the plan's limits (null: unlimited).
type companySummaryJSON struct {
	companyJSON
	Members  int        `json:"members"`
	Accounts int        `json:"accounts"`
	Posts    int        `json:"posts"`
	Usage    usageJSON  `json:"usage"`
	Limits   limitsJSON `json:"limits"`
}

type usageJSON struct {
	Month          string `json:"month"` // "2026-11"
	Accounts       int    `json:"accounts"`
	Members        int    `json:"members"` // members and open invitations
	ScheduledPosts int    `json:"scheduled_posts"`
	AITokens       int64  `json:"ai_tokens"`
}

type limitsJSON struct {
	SocialAccounts         *int   `json:"social_accounts"`
	Members                *int   `json:"members"`
	ScheduledPostsPerMonth *int   `json:"scheduled_posts_per_month"`
	AITokensPerMonth       *int64 `json:"ai_tokens_per_month"`
	// The plan's JSON API requests a minute, before HERALD_API_RATE_LIMIT scales them.
	APIRequestsPerMinute      int `json:"api_requests_per_minute"`
	APITokenRequestsPerMinute int `json:"api_token_requests_per_minute"`
}

func limit[T int | int64](n T) *T {
	if n == domain.Unlimited {
		return nil
	}
	return &n
}

func toCompanySummary(s domain.CompanySummary) companySummaryJSON {
	return companySummaryJSON{companyJSON: toCompany(s.Company), Members: s.Members, Accounts: s.Accounts, Posts: s.Posts,
		Usage: toUsage(s.Usage), Limits: toLimits(s.Plan.Limits())}
}

func toUsage(u domain.PlanUsage) usageJSON {
	return usageJSON{Month: u.Month.Format("2006-01"), Accounts: u.Accounts, Members: u.Members, ScheduledPosts: u.ScheduledPosts, AITokens: u.AITokens}
}

func toLimits(l domain.PlanLimits) limitsJSON {
	return limitsJSON{SocialAccounts: limit(l.SocialAccounts), Members: limit(l.Members),
		ScheduledPostsPerMonth: limit(l.ScheduledPostsPerMonth), AITokensPerMonth: limit(l.AITokensPerMonth),
		APIRequestsPerMinute: l.APIRequestsPerMinute, APITokenRequestsPerMinute: l.APITokenRequestsPerMinute}
}

type membershipJSON struct {
	CompanyID   domain.CompanyID `json:"company_id"`
	CompanyName string           `json:"company_name"`
	Role        domain.Role      `json:"role"`
}

// memberJSON is a member, or an invitation (user_id and joined_at null, status "invited").
type memberJSON struct {
	UserID   *domain.UserID `json:"user_id"`
	Email    string         `json:"email"`
	Name     string         `json:"name"`
	Role     domain.Role    `json:"role"`
	Approver bool           `json:"approver"` // may approve posts (owners and admins always may)
	JoinedAt *string        `json:"joined_at"`
	Status   string         `json:"status"`
	Version  int            `json:"version,omitempty"`
}

func toMember(m domain.Member) memberJSON {
	id, joined := m.User.ID, rfc3339(m.JoinedAt)
	return memberJSON{UserID: &id, Email: m.User.Email, Name: m.User.Name, Role: m.Role, Approver: m.Approver, JoinedAt: &joined, Status: "active", Version: m.Version}
}

func toInvitedMember(inv domain.Invitation) memberJSON {
	return memberJSON{Email: inv.Email, Role: inv.Role, Status: "invited"}
}

// invitationJSON is an invitation; AcceptURL carries its token and is set only in the
// answer that made the link (never kept for an Idempotency-Key replay).
type invitationJSON struct {
	ID        domain.InvitationID `json:"id"`
	Email     string              `json:"email"`
	Role      domain.Role         `json:"role"`
	ExpiresAt string              `json:"expires_at"`
	AcceptURL string              `json:"accept_url,omitempty"`
}

func toInvitation(inv domain.Invitation, acceptURL string) invitationJSON {
	return invitationJSON{ID: inv.ID, Email: inv.Email, Role: inv.Role, ExpiresAt: rfc3339(inv.ExpiresAt), AcceptURL: acceptURL}
}

type tokenJSON struct {
	ID        domain.TokenID `json:"id"`
	Name      string         `json:"name"`
	Token     string         `json:"token,omitempty"`
	ExpiresAt string         `json:"expires_at"`
	CreatedAt string         `json:"created_at"`
}

func toToken(t domain.Token, secret string) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Token: secret, ExpiresAt: rfc3339(t.ExpiresAt), CreatedAt: rfc3339(t.CreatedAt)}
}

type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](items []T, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	l := list[T]{Items: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// rfc3339 writes t in UTC, as openapi.json promises of every time.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
