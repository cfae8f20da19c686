package app

import (
	"context"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Emails returns one page of the actor's company's emails, newest first, without their
// data (links stay sealed), and the next page's cursor. Errors: CodeForbidden (not an
// owner or admin), CodeNotFound (no company), CodeInvalid (cursor).
func (m *Mail) Emails(ctx context.Context, actor domain.Actor, page ports.Page) ([]domain.Email, string, error) {
	if err := m.authz.Can(ctx, actor, domain.ResourceAudit, domain.ActionRead); err != nil {
		return nil, "", err
	}
	if actor.CompanyID == "" {
		return nil, "", domain.Errorf(domain.CodeNotFound, "You are not a member of any company.")
	}
	var out []domain.Email
	var next string
	err := m.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Emails().List(ctx, actor.CompanyID, "", page)
		return err
	})
	return out, next, err
}

// UnsubscribeKind is what an unsubscribe token of UnsubscribePath turns off: a kind of
// notification, or the daily digest (Digest).
type UnsubscribeKind struct {
	Kind   domain.NotificationKind
	Digest bool
}

// Title names what the token turns off, as the settings page does.
func (k UnsubscribeKind) Title() string {
	if k.Digest {
		return "the daily digest"
	}
	return k.Kind.Title()
}

// Unsubscribing returns what token (from UnsubscribePath) turns off, without changing
// anything. CodeNotFound when the token was not made by this Herald or names a person
// who no longer exists.
func (m *Mail) Unsubscribing(ctx context.Context, token string) (UnsubscribeKind, error) {
	var k UnsubscribeKind
	err := m.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		k, _, err = m.unsubscribeTarget(ctx, tx, token)
		return err
	})
	return k, err
}

// Unsubscribe turns off the emails token names for its person: one kind of notification
// email, or (for the digest) the daily digest, after which the kinds they chose come one
// by one again. Repeating it changes nothing. Errors as Unsubscribing.
func (m *Mail) Unsubscribe(ctx context.Context, token string) (UnsubscribeKind, error) {
	var k UnsubscribeKind
	err := m.store.InTx(ctx, func(tx ports.Tx) error {
		var user domain.UserID
		var err error
		if k, user, err = m.unsubscribeTarget(ctx, tx, token); err != nil {
			return err
		}
		prefs, err := tx.Notifications().Prefs(ctx, user)
		if err != nil {
			return err
		}
		if k.Digest {
			prefs.Digest = false
		} else {
			email := map[domain.NotificationKind]bool{}
			for kind, on := range prefs.Email {
				email[kind] = on
			}
			email[k.Kind] = false
			prefs.Email = email
		}
		return tx.Notifications().SetPrefs(ctx, user, prefs)
	})
	if err == nil {
		m.log.Info("unsubscribed from email", "kind", k.Kind, "digest", k.Digest)
	}
	return k, err
}

var errBadUnsubscribe = domain.Errorf(domain.CodeNotFound, "This link may have been cut short when it was copied, or it was not made by this Herald. Use the link in the email itself, or choose your emails in your notification settings.")

func (m *Mail) unsubscribeTarget(ctx context.Context, tx ports.Tx, token string) (UnsubscribeKind, domain.UserID, error) {
	if m == nil || len(m.key) == 0 {
		return UnsubscribeKind{}, "", errBadUnsubscribe
	}
	user, kind, ok := m.CheckUnsubscribe(token)
	if !ok {
		return UnsubscribeKind{}, "", errBadUnsubscribe
	}
	if _, err := tx.Users().Get(ctx, user); err != nil {
		if domain.CodeOf(err) == domain.CodeNotFound {
			return UnsubscribeKind{}, "", errBadUnsubscribe
		}
		return UnsubscribeKind{}, "", err
	}
	if kind == "digest" {
		return UnsubscribeKind{Digest: true}, user, nil
	}
	return UnsubscribeKind{Kind: kind}, user, nil
}
