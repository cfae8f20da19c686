package app

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Notifications tells people of events: in the app (the bell) and, per their choices,
// by email, one by one or in a daily digest. Use cases call Notify in the transaction of
// the change, so a notification exists if and only if the change commits.
type Notifications struct {
	store ports.Store
	authz ports.Authorizer
	mail  *Mail
	now   func() time.Time
	log   *slog.Logger
}

// Audience picks a notice's recipients among the company's members when it names none.
type Audience int

// The audiences.
const (
	AudienceNamed     Audience = iota // only Notice.To
	AudienceApprovers                 // owners, admins and members granted the approver permission
	AudienceAdmins                    // owners and admins
)

// Notice is one event to tell people of.
type Notice struct {
	Kind      domain.NotificationKind
	Company   domain.CompanyID
	PostID    domain.PostID
	AccountID domain.AccountID
	// Text is the sentence the bell and the email show.
	Text string
	// Key names the event: each person is told of one key once, however often Notify runs.
	Key string
	// To are people to tell (members of Company only; others are skipped), besides Audience's.
	To       []domain.UserID
	Audience Audience
	// Except is who caused the event: never told of their own action.
	Except domain.UserID
	// Link is the web app's path the notification leads to ("" for the post's page when
	// PostID is set, else the start page).
	Link string
}

// Notify stores the notice for each recipient on tx and queues the emails they chose. It
// returns the notifications it stored (none for people already told of n.Key).
func (s *Notifications) Notify(ctx context.Context, tx ports.Tx, n Notice) ([]domain.Notification, error) {
	members, err := tx.Memberships().Members(ctx, n.Company)
	if err != nil {
		return nil, err
	}
	company, err := tx.Companies().Get(ctx, n.Company)
	if err != nil {
		return nil, err
	}
	link := n.Link
	switch {
	case link != "":
	case n.PostID != "":
		link = "/posts/" + string(n.PostID)
	default:
		link = "/"
	}
	now := s.now().UTC()
	var out []domain.Notification
	for _, m := range members {
		if m.User.ID == n.Except {
			continue
		}
		chosen := slices.Contains(n.To, m.User.ID)
		switch n.Audience {
		case AudienceApprovers:
			chosen = chosen || domain.CanApprove(m.Role, m.Approver)
		case AudienceAdmins:
			chosen = chosen || m.Role == domain.RoleOwner || m.Role == domain.RoleAdmin
		}
		if !chosen {
			continue
		}
		note := domain.Notification{CompanyID: n.Company, UserID: m.User.ID, Kind: n.Kind, PostID: n.PostID, AccountID: n.AccountID,
			Text: n.Text, EventKey: n.Key, CreatedAt: now}
		added, err := tx.Notifications().Add(ctx, &note)
		if err != nil {
			return nil, err
		}
		if !added {
			continue
		}
		out = append(out, note)
		if !m.User.Verified() || s.mail == nil {
			continue
		}
		prefs, err := tx.Notifications().Prefs(ctx, m.User.ID)
		if err != nil {
			return nil, err
		}
		if !prefs.Emails(n.Kind) || prefs.Digest {
			continue // a digest picks it up
		}
		err = s.mail.queue(ctx, tx, domain.Email{CompanyID: n.Company, UserID: m.User.ID, To: m.User.Email,
			Template: domain.EmailNotification, EventKey: "notification:" + string(note.ID), CreatedAt: now,
			Data: map[string]string{"kind": string(n.Kind), "text": n.Text, "link": s.mail.URL(link), "company": company.Name,
				"name": m.User.Name, "unsubscribe": s.mail.URL(s.mail.UnsubscribePath(m.User.ID, n.Kind))}})
		if err != nil {
			return nil, err
		}
		if err := tx.Notifications().MarkEmailed(ctx, m.User.ID, []domain.NotificationID{note.ID}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
