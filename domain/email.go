package domain

import "time"

// EmailID identifies one email in the outbox.
type EmailID string

// EmailStatus says what became of an email.
type EmailStatus string

// The email statuses.
const (
	EmailPending EmailStatus = "pending" // waiting for its send_email job
	EmailSent    EmailStatus = "sent"    // the SMTP server accepted it
	EmailFailed  EmailStatus = "failed"  // refused for good, or given up after retries
	EmailUnsent  EmailStatus = "unsent"  // no SMTP server is configured: it would have gone out
)

// The email templates: each has a text and an HTML version per language in the repository.
const (
	EmailInvitation    = "invitation"     // Data: company, inviter, role, link, expires
	EmailVerify        = "verify_email"   // Data: name, link, expires
	EmailPasswordReset = "password_reset" // Data: name, link, expires
	EmailNotification  = "notification"   // Data: kind, text, link, unsubscribe, company, name
	EmailDigest        = "digest"         // Data: items (JSON list of {kind,text,link,company}), unsubscribe, name
)

// Email is one message in the outbox. Data fills its template; it may hold a single-use
// link, so it is stored sealed and never shown. EventKey names the event it is about: a
// second email for one key is never stored (never sent twice for one event).
type Email struct {
	ID        EmailID
	CompanyID CompanyID // "" for email about the person (verification, reset)
	UserID    UserID    // "" for someone without an account yet (an invitation)
	To        string    // normalized address
	Template  string
	Subject   string
	EventKey  string
	Data      map[string]string
	Status    EmailStatus
	Attempts  int
	Error     string // why it failed, for a person; never holds the data
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
}
