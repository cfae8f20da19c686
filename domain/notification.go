package domain

import "time"

// NotificationKind is what a notification is about; each person chooses per kind whether
// it also comes by email.
type NotificationKind string

// The notification kinds.
const (
	NotifyApprovalRequested NotificationKind = "approval_requested" // a post waits for the reader's approval
	NotifyApprovalDecided   NotificationKind = "approval_decided"   // the reader's post was approved, rejected or sent back
	NotifyMentioned         NotificationKind = "mentioned"          // someone @mentioned the reader in a post's comments
	NotifyReviewFeedback    NotificationKind = "review_feedback"    // a client approved or commented through a review link
	NotifyPostFailed        NotificationKind = "post_failed"        // a post failed or was only partly published
	NotifyPostUnknown       NotificationKind = "post_unknown"       // a post's outcome on a platform is unknown
	NotifyAccountReconnect  NotificationKind = "account_reconnect"  // an account needs reconnecting
	NotifyAccountExpiring   NotificationKind = "account_expiring"   // an account's access will expire soon
	NotifyWebhookDisabled   NotificationKind = "webhook_disabled"   // a webhook endpoint was disabled after failures
)

// NotificationKinds lists every kind, in the order the settings page shows them.
var NotificationKinds = []NotificationKind{NotifyApprovalRequested, NotifyApprovalDecided, NotifyMentioned,
	NotifyReviewFeedback, NotifyPostFailed, NotifyPostUnknown, NotifyAccountReconnect, NotifyAccountExpiring,
	NotifyWebhookDisabled}

// Valid reports whether k is a known kind.
func (k NotificationKind) Valid() bool {
	for _, x := range NotificationKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Title is the kind as a person reads it in settings.
func (k NotificationKind) Title() string {
	switch k {
	case NotifyApprovalRequested:
		return "A post waits for my approval"
	case NotifyApprovalDecided:
		return "My post was approved, rejected or sent back"
	case NotifyMentioned:
		return "Someone mentions me in a comment"
	case NotifyReviewFeedback:
		return "A client answers through a review link"
	case NotifyPostFailed:
		return "A post failed or was only partly published"
	case NotifyPostUnknown:
		return "A post's outcome is unknown"
	case NotifyAccountReconnect:
		return "An account needs reconnecting"
	case NotifyAccountExpiring:
		return "An account's access will expire soon"
	case NotifyWebhookDisabled:
		return "A webhook endpoint was disabled"
	}
	return string(k)
}

// NotificationID identifies one notification.
type NotificationID string

// Notification tells one person of one event in one company. EventKey names the event:
// a person gets at most one notification per key (sent once per event).
type Notification struct {
	ID        NotificationID
	CompanyID CompanyID
	UserID    UserID
	Kind      NotificationKind
	PostID    PostID    // "" when about no post
	AccountID AccountID // "" when about no account
	Text      string    // one sentence, plain text
	EventKey  string
	ReadAt    time.Time // zero while unread
	CreatedAt time.Time
}

// NotificationPrefs are one person's choices: whether each kind also comes by email
// (kinds missing from Email do), and whether those emails wait for a daily digest.
type NotificationPrefs struct {
	Email  map[NotificationKind]bool
	Digest bool
}

// Emails reports whether the person wants kind by email.
func (p NotificationPrefs) Emails(kind NotificationKind) bool {
	on, set := p.Email[kind]
	return !set || on
}
