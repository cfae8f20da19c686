package ports

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Notifications keeps people's in-app notifications and their email choices.
type Notifications interface {
	// Add stores n and sets its ID, unless the person already has a notification with its
	// EventKey: then it changes nothing and reports false.
	Add(ctx context.Context, n *domain.Notification) (bool, error)
	// List returns one page of the person's notifications in company, newest first (only
	// unread ones when unread), and the next page's cursor ("" on the last). A malformed
	// cursor is CodeInvalid.
	List(ctx context.Context, company domain.CompanyID, user domain.UserID, unread bool, p Page) ([]domain.Notification, string, error)
	// Unread counts the person's unread notifications in company.
	Unread(ctx context.Context, company domain.CompanyID, user domain.UserID) (int, error)
	// MarkRead marks the person's notifications ids in company read at now (all of them when
	// ids is nil) and returns how many changed; ids of others are ignored.
	MarkRead(ctx context.Context, company domain.CompanyID, user domain.UserID, ids []domain.NotificationID, now time.Time) (int, error)
	// MarkEmailed records that an email was decided for the person's notifications ids.
	MarkEmailed(ctx context.Context, user domain.UserID, ids []domain.NotificationID) error
	// Prefs returns the person's choices (defaults when they never chose).
	Prefs(ctx context.Context, user domain.UserID) (domain.NotificationPrefs, error)
	// SetPrefs replaces the person's choices.
	SetPrefs(ctx context.Context, user domain.UserID, p domain.NotificationPrefs) error
	// DigestDue returns the people with verified addresses and the daily digest on who have
	// notifications not yet emailed, created at or after since, in companies they still
	// belong to.
	DigestDue(ctx context.Context, since time.Time) ([]domain.User, error)
	// Unemailed returns the person's notifications not yet emailed, created at or after
	// since, in companies they still belong to, oldest first (at most 500).
	Unemailed(ctx context.Context, user domain.UserID, since time.Time) ([]domain.Notification, error)
}

// Emails keeps the email outbox.
type Emails interface {
	// Add stores e with its data sealed (sealed; e.Data is not stored) and sets e.ID and
	// e.Status pending, unless an email with e.EventKey exists: then it changes nothing and
	// reports false.
	Add(ctx context.Context, e *domain.Email, sealed []byte) (bool, error)
	// Lock returns the email with its sealed data, locked until the transaction ends, or
	// CodeNotFound. e.Data is left empty.
	Lock(ctx context.Context, id domain.EmailID) (domain.Email, []byte, error)
	// Finish records what became of the email: its status, attempts, error and sent time.
	Finish(ctx context.Context, e domain.Email) error
	// List returns one page of the company's emails (company "" with user: the person's),
	// newest first, without data, and the next page's cursor.
	List(ctx context.Context, company domain.CompanyID, user domain.UserID, p Page) ([]domain.Email, string, error)
}

// Mailer hands a message to the mail server.
type Mailer interface {
	// Send delivers msg. A refusal for good (the server rejected the recipient or the
	// message with a 5xx reply) is a *domain.Error with CodeInvalid, not worth retrying; any
	// other error is.
	Send(ctx context.Context, msg MailMessage) error
}

// MailMessage is one rendered email.
type MailMessage struct {
	MessageID string // <id@host>, the same on every attempt, so receivers can drop repeats
	To        string
	Subject   string
	Text      string
	HTML      string
	// Unsubscribe is the address of a one-click unsubscribe (RFC 8058), or "".
	Unsubscribe string
}

// MailTemplates renders the emails' templates, kept in the repository per language.
type MailTemplates interface {
	// Render fills template with data in lang ("" or an unknown language: English) and
	// returns the subject, the plain text and the HTML. An unknown template is an error.
	Render(template, lang string, data map[string]string) (subject, text, html string, err error)
}
