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
