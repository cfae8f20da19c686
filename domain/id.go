package domain

// CompanyID identifies a company (a tenant). IDs are UUID strings; distinct types keep a
// company id from being passed where a user id belongs.
type CompanyID string

// UserID identifies a person who can sign in.
type UserID string

// TokenID identifies an API token or a session.
type TokenID string

// InvitationID identifies a pending invitation to join a company.
type InvitationID string

// AccountID identifies a connected social account of a company.
type AccountID string

// PostID identifies a post.
type PostID string

// MediaID identifies a file in a company's media library.
type MediaID string

// IsUUID reports whether s is a UUID in its text form (8-4-4-4-12 hex digits), so a
// malformed id is refused as input before it reaches the database.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
