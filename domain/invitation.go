package domain

import "time"

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
