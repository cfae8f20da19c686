package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Mail keeps the email outbox: use cases queue emails in the transaction of the change
// that causes them (queue), and the send_email job delivers each (Deliver).
type Mail struct {
	store     ports.Store
	authz     ports.Authorizer // who may read the company's emails (emails.go)
	cipher    ports.TokenCipher
	templates ports.MailTemplates
	mailer    ports.Mailer // nil: no SMTP server configured; emails are recorded as unsent
	// appURL turns a path of the web app into an absolute address for emails.
	appURL func(path string) string
	key    []byte // signs unsubscribe links
	now    func() time.Time
	log    *slog.Logger
}

// MaxEmailAttempts is how many times one email is tried before it counts as failed; the
// send_email job is retried as often.
const MaxEmailAttempts = 10

// Enabled reports whether an SMTP server is configured; without one, emails are recorded
// as unsent and the pages say which would have gone out.
func (m *Mail) Enabled() bool { return m.mailer != nil }

// URL returns the absolute address of the web app's path, for links in emails.
func (m *Mail) URL(path string) string { return m.appURL(path) }

func emailAAD(key string) []byte { return []byte("email:" + key) }

// queue stores e in the outbox on tx and enqueues its delivery, unless an email for
// e.EventKey exists (then nothing happens: never two emails for one event). e.Subject is
// rendered from the template.
func (m *Mail) queue(ctx context.Context, tx ports.Tx, e domain.Email) error {
	_, err := m.enqueue(ctx, tx, e)
	return err
}

// enqueue is queue, reporting whether the email was stored (false: one for e.EventKey
// exists, or email is off).
func (m *Mail) enqueue(ctx context.Context, tx ports.Tx, e domain.Email) (bool, error) {
	if m == nil || m.templates == nil {
		return false, nil
	}
	e.To = domain.NormalizeEmail(e.To)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = m.now().UTC()
	}
	subject, _, _, err := m.templates.Render(e.Template, "", e.Data)
	if err != nil {
		return false, fmt.Errorf("app: render email %s: %w", e.Template, err)
	}
	e.Subject = subject
	plain, err := json.Marshal(e.Data)
	if err != nil {
		return false, err
	}
	sealed, err := m.cipher.Seal(plain, emailAAD(e.EventKey))
	if err != nil {
		return false, fmt.Errorf("app: seal email: %w", err)
	}
	added, err := tx.Emails().Add(ctx, &e, sealed)
	if err != nil || !added {
		return false, err
	}
	return true, tx.Jobs().SendEmail(ctx, e.ID)
}

// Deliver sends the outbox's email id once: an email already sent, failed or recorded as
// unsent is left alone. Without an SMTP server it is recorded as unsent. A refusal for good
// fails it; any other error is returned so the job is retried, and the last attempt
// (attempt MaxEmailAttempts) records it as failed.
func (m *Mail) Deliver(ctx context.Context, id domain.EmailID, attempt int) error {
	var msg ports.MailMessage
	var e domain.Email
	err := m.store.InTx(ctx, func(tx ports.Tx) error {
		var sealed []byte
		var err error
		e, sealed, err = tx.Emails().Lock(ctx, id)
		if err != nil {
			return err
		}
		if e.Status != domain.EmailPending {
			return errDone
		}
		if m.mailer == nil {
			e.Status, e.Error = domain.EmailUnsent, "No SMTP server is configured (HERALD_SMTP_URL)."
			return tx.Emails().Finish(ctx, e)
		}
		plain, err := m.cipher.Open(sealed, emailAAD(e.EventKey))
		if err != nil {
			return fmt.Errorf("app: open email %s: %w", id, err)
		}
		if err := json.Unmarshal(plain, &e.Data); err != nil {
			return fmt.Errorf("app: email %s data: %w", id, err)
		}
		subject, text, html, err := m.templates.Render(e.Template, "", e.Data)
		if err != nil {
			return fmt.Errorf("app: render email %s: %w", id, err)
		}
		msg = ports.MailMessage{MessageID: "<" + string(e.ID) + "@herald>", To: e.To, Subject: subject, Text: text, HTML: html,
			Unsubscribe: e.Data["unsubscribe"]}
		return nil
	})
	if errors.Is(err, errDone) || (err == nil && m.mailer == nil) {
		return nil
	}
	if domain.CodeOf(err) == domain.CodeNotFound {
		return nil // the person or company was deleted with their emails
	}
	if err != nil {
		return err
	}
	sendErr := m.mailer.Send(ctx, msg)
	e.Attempts++
	switch {
	case sendErr == nil:
		e.Status, e.SentAt, e.Error = domain.EmailSent, m.now().UTC(), ""
	case domain.CodeOf(sendErr) == domain.CodeInvalid || attempt >= MaxEmailAttempts:
		e.Status, e.Error = domain.EmailFailed, domain.MessageOf(sendErr)
		m.log.Warn("email failed", "email", e.ID, "template", e.Template, "error", sendErr)
	default:
		e.Error = domain.MessageOf(sendErr)
	}
	if err := m.store.InTx(ctx, func(tx ports.Tx) error { return tx.Emails().Finish(ctx, e) }); err != nil {
		return err
	}
	if e.Status == domain.EmailPending {
		return sendErr
	}
	return nil
}

var errDone = errors.New("already done")

// UnsubscribePath returns the web app's path that turns off emails of kind for user
// (kind "digest": the daily digest), signed so nobody else can forge it; it never expires.
func (m *Mail) UnsubscribePath(user domain.UserID, kind domain.NotificationKind) string {
	payload := string(user) + "|" + string(kind)
	return "/unsubscribe/" + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + m.sign(payload)
}

// CheckUnsubscribe returns the person and kind a path's token from UnsubscribePath names,
// or false when it was not made by this Herald.
func (m *Mail) CheckUnsubscribe(token string) (domain.UserID, domain.NotificationKind, bool) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(m.sign(string(raw)))) {
		return "", "", false
	}
	user, kind, ok := strings.Cut(string(raw), "|")
	if !ok || !domain.IsUUID(user) || (!domain.NotificationKind(kind).Valid() && kind != "digest") {
		return "", "", false
	}
	return domain.UserID(user), domain.NotificationKind(kind), true
}

func (m *Mail) sign(payload string) string {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte("unsubscribe\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// MailConfig configures email.
type MailConfig struct {
	// Mailer hands messages to the SMTP server; nil: none is configured, and emails are
	// recorded as unsent (the pages say which would have gone out).
	Mailer ports.Mailer
	// Templates render the emails; nil turns email off entirely (nothing is queued).
	Templates ports.MailTemplates
	// AppURL makes a web app's path absolute for links in emails; nil keeps the path.
	AppURL func(path string) string
	// SigningKey signs unsubscribe links; at least 32 bytes when Templates is set.
	SigningKey []byte
}
