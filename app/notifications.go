package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// List returns one page of the actor's notifications in the actor's company, newest
// first (only unread ones when unread), and the next page's cursor ("" on the last).
// Errors: CodeInvalid (a malformed cursor).
func (s *Notifications) List(ctx context.Context, actor domain.Actor, unread bool, p ports.Page) ([]domain.Notification, string, error) {
	if actor.CompanyID == "" {
		return nil, "", nil // in no company yet: nothing to tell
	}
	var out []domain.Notification
	var next string
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Notifications().List(ctx, actor.CompanyID, actor.UserID, unread, p)
		return err
	})
	return out, next, err
}

// Unread counts the actor's unread notifications in the actor's company.
func (s *Notifications) Unread(ctx context.Context, actor domain.Actor) (int, error) {
	if actor.CompanyID == "" {
		return 0, nil
	}
	var n int
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		n, err = tx.Notifications().Unread(ctx, actor.CompanyID, actor.UserID)
		return err
	})
	return n, err
}

// MarkRead marks the actor's notifications ids in the actor's company read, or all of
// them when all is set, and returns how many changed. Ids of another person's or company's
// notifications are ignored. Errors: CodeInvalid (neither ids nor all, both, or an id that
// is not a UUID).
func (s *Notifications) MarkRead(ctx context.Context, actor domain.Actor, ids []domain.NotificationID, all bool) (int, error) {
	switch {
	case all && len(ids) > 0:
		return 0, domain.InvalidField("ids", "give either ids or all, not both")
	case !all && len(ids) == 0:
		return 0, domain.InvalidField("ids", "give the ids to mark read, or all")
	case len(ids) > 500:
		return 0, domain.InvalidField("ids", "at most 500 at once")
	}
	for _, id := range ids {
		if !domain.IsUUID(string(id)) {
			return 0, domain.InvalidField("ids", fmt.Sprintf("%q is not a notification id", id))
		}
	}
	if all {
		ids = nil
	}
	if actor.CompanyID == "" {
		return 0, nil
	}
	var n int
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		n, err = tx.Notifications().MarkRead(ctx, actor.CompanyID, actor.UserID, ids, s.now().UTC())
		return err
	})
	return n, err
}

// Settings returns the actor's notification choices: whether each kind also comes by
// email, and whether those emails wait for a daily digest. They are the person's, in
// every company.
func (s *Notifications) Settings(ctx context.Context, actor domain.Actor) (domain.NotificationPrefs, error) {
	var p domain.NotificationPrefs
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		p, err = tx.Notifications().Prefs(ctx, actor.UserID)
		return err
	})
	return p, err
}

// SaveSettings replaces the actor's notification choices; kinds missing from p.Email keep
// their default (email on). Errors: CodeInvalid (an unknown kind, field "email.<kind>").
func (s *Notifications) SaveSettings(ctx context.Context, actor domain.Actor, p domain.NotificationPrefs) (domain.NotificationPrefs, error) {
	v := domain.Violations{}
	for k := range p.Email {
		if !k.Valid() {
			v.Add("email."+string(k), "is not a notification kind")
		}
	}
	if err := v.Err(); err != nil {
		return domain.NotificationPrefs{}, err
	}
	if p.Email == nil {
		p.Email = map[domain.NotificationKind]bool{}
	}
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.Notifications().SetPrefs(ctx, actor.UserID, p)
	})
	return p, err
}

// DigestHour is the hour of the day, in each person's time zone, their daily digest goes
// out.
const DigestHour = 8

// digestLookBack is how far back a digest gathers notifications not yet emailed: a day,
// with room for days of 25 hours and a run that was missed.
const digestLookBack = 48 * time.Hour

// DigestItem is one notification in a digest email's "items".
type DigestItem struct {
	Kind    domain.NotificationKind `json:"kind"`
	Text    string                  `json:"text"`
	Link    string                  `json:"link"`
	Company string                  `json:"company"`
}

// SendDigests queues the daily digest of every person who chose it and whose local time
// (their time zone; UTC when unset or unknown) is DigestHour: one email listing the
// notifications not yet emailed, of kinds they want by email, in companies they belong to.
// Each digest's event key holds the person's local date, so nobody gets two in one day
// however often this runs. It returns how many digests it queued, and the first error met
// after trying everyone. The hourly digest job runs it.
func (s *Notifications) SendDigests(ctx context.Context) (int, error) {
	if s.mail == nil || s.mail.templates == nil {
		return 0, nil
	}
	now := s.now().UTC()
	since := now.Add(-digestLookBack)
	var due []domain.User
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		due, err = tx.Notifications().DigestDue(ctx, since)
		return err
	}); err != nil {
		return 0, err
	}
	sent := 0
	var first error
	for _, u := range due {
		zone, err := time.LoadLocation(u.TimeZone)
		if err != nil || u.TimeZone == "" {
			zone = time.UTC
		}
		local := now.In(zone)
		if local.Hour() != DigestHour {
			continue
		}
		queued, err := s.sendDigest(ctx, u, local.Format(time.DateOnly), since)
		switch {
		case err != nil:
			if first == nil {
				first = err
			}
			s.log.WarnContext(ctx, "a daily digest failed", "user", u.ID, "err", err)
		case queued:
			sent++
		}
	}
	return sent, first
}

// sendDigest queues u's digest of day, in one transaction with marking its notifications
// emailed. It reports false when there was nothing to send or the day's digest exists.
func (s *Notifications) sendDigest(ctx context.Context, u domain.User, day string, since time.Time) (bool, error) {
	queued := false
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		notes, err := tx.Notifications().Unemailed(ctx, u.ID, since)
		if err != nil {
			return err
		}
		prefs, err := tx.Notifications().Prefs(ctx, u.ID)
		if err != nil {
			return err
		}
		if !prefs.Digest {
			return nil // turned off since DigestDue looked
		}
		names := map[domain.CompanyID]string{}
		var items []DigestItem
		var ids []domain.NotificationID
		for _, n := range notes {
			if !prefs.Emails(n.Kind) {
				continue
			}
			name, ok := names[n.CompanyID]
			if !ok {
				c, err := tx.Companies().Get(ctx, n.CompanyID)
				if err != nil {
					return err
				}
				name, names[n.CompanyID] = c.Name, c.Name
			}
			items = append(items, DigestItem{Kind: n.Kind, Text: n.Text, Link: s.mail.URL(noticeLink(n)), Company: name})
			ids = append(ids, n.ID)
		}
		if len(items) == 0 {
			return nil
		}
		list, err := json.Marshal(items)
		if err != nil {
			return err
		}
		added, err := s.mail.enqueue(ctx, tx, domain.Email{UserID: u.ID, To: u.Email, Template: domain.EmailDigest,
			EventKey: "digest:" + string(u.ID) + ":" + day, CreatedAt: s.now().UTC(),
			Data: map[string]string{"items": string(list), "name": u.Name, "count": fmt.Sprint(len(items)),
				"unsubscribe": s.mail.URL(s.mail.UnsubscribePath(u.ID, "digest"))}})
		if err != nil || !added {
			return err // today's digest went out already: these wait for tomorrow's
		}
		queued = true
		return tx.Notifications().MarkEmailed(ctx, u.ID, ids)
	})
	return queued, err
}

// noticeLink is the web app's path a stored notification leads to.
func noticeLink(n domain.Notification) string {
	switch {
	case n.PostID != "":
		return "/posts/" + string(n.PostID)
	case n.AccountID != "":
		return "/accounts"
	case n.Kind == domain.NotifyWebhookDisabled:
		return "/webhooks"
	}
	return "/"
}

// firstWords is the start of a post's text as a notification names it.
func firstWords(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(no text)"
	}
	if utf8.RuneCountInString(s) <= 60 {
		return s
	}
	r := []rune(s)[:60]
	if i := strings.LastIndexByte(string(r), ' '); i > 30 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// postSettled tells the post's author and the company's admins that it ended failed or
// only partly published (other statuses tell nobody), once per version of the post.
func (s *Notifications) postSettled(ctx context.Context, tx ports.Tx, p domain.Post) error {
	if s == nil {
		return nil
	}
	var text string
	switch p.Status() {
	case domain.PostFailed:
		text = fmt.Sprintf("The post “%s” failed to publish. Open it to see why and try again.", firstWords(p.Content))
	case domain.PostPartiallyPublished:
		text = fmt.Sprintf("The post “%s” was published on only some of its accounts. Open it to see which failed and retry them.", firstWords(p.Content))
	default:
		return nil
	}
	_, err := s.Notify(ctx, tx, Notice{Kind: domain.NotifyPostFailed, Company: p.CompanyID, PostID: p.ID, Text: text,
		Key: fmt.Sprintf("post_failed:%s:%d", p.ID, p.Version()), To: []domain.UserID{p.CreatedBy}, Audience: AudienceAdmins})
	return err
}

// targetUnknown tells the post's author and the company's admins that a target's outcome
// is unknown and needs a person, once per target and version.
func (s *Notifications) targetUnknown(ctx context.Context, tx ports.Tx, p domain.Post, t domain.Target) error {
	if s == nil || t.Status() != domain.TargetUnknown {
		return nil
	}
	text := fmt.Sprintf("Herald cannot tell whether the post “%s” reached %s. Open it, check the account, then mark it published or try again.",
		firstWords(p.Content), t.Platform.Title())
	_, err := s.Notify(ctx, tx, Notice{Kind: domain.NotifyPostUnknown, Company: p.CompanyID, PostID: p.ID, Text: text,
		Key: fmt.Sprintf("post_unknown:%s:%s:%d", p.ID, t.AccountID, p.Version()), To: []domain.UserID{p.CreatedBy}, Audience: AudienceAdmins})
	return err
}

// accountReconnect tells the company's admins that the account needs reconnecting; at
// names the change, so a later refusal after a reconnect is told again.
func (s *Notifications) accountReconnect(ctx context.Context, tx ports.Tx, a domain.Account, at time.Time) error {
	if s == nil {
		return nil
	}
	text := fmt.Sprintf("%s no longer accepts Herald's access to %s. Reconnect the account on the Accounts page so its posts can go out.",
		a.Platform.Title(), a.DisplayName)
	_, err := s.Notify(ctx, tx, Notice{Kind: domain.NotifyAccountReconnect, Company: a.CompanyID, AccountID: a.ID, Text: text,
		Key: "account_reconnect:" + string(a.ID) + ":" + at.UTC().Format(time.RFC3339Nano), Audience: AudienceAdmins, Link: "/accounts"})
	return err
}

// accountExpiring tells the company's admins that the account's access ends soon, once
// per expiry.
func (s *Notifications) accountExpiring(ctx context.Context, tx ports.Tx, a domain.Account) error {
	if s == nil {
		return nil
	}
	end := a.AccessEndsAt()
	if end.IsZero() {
		end = a.TokenExpiresAt
	}
	text := fmt.Sprintf("Herald's access to %s on %s ends on %s. Reconnect the account on the Accounts page before then.",
		a.DisplayName, a.Platform.Title(), end.UTC().Format("2 January 2006"))
	_, err := s.Notify(ctx, tx, Notice{Kind: domain.NotifyAccountExpiring, Company: a.CompanyID, AccountID: a.ID, Text: text,
		Key: "account_expiring:" + string(a.ID) + ":" + a.TokenExpiresAt.UTC().Format(time.RFC3339), Audience: AudienceAdmins, Link: "/accounts"})
	return err
}

// webhookDisabled tells the company's admins that the endpoint was disabled after
// failures, once per time it was disabled.
func (s *Notifications) webhookDisabled(ctx context.Context, tx ports.Tx, e domain.WebhookEndpoint) error {
	if s == nil {
		return nil
	}
	// The host names the endpoint: a URL's path or query may carry a consumer's secret.
	name := e.Description
	if u, err := url.Parse(e.URL); name == "" && err == nil {
		name = u.Host
	}
	text := fmt.Sprintf("Herald stopped sending events to the webhook endpoint “%s” after its deliveries kept failing. Fix the endpoint, then enable it again on its Webhooks page.", name)
	_, err := s.Notify(ctx, tx, Notice{Kind: domain.NotifyWebhookDisabled, Company: e.CompanyID, Text: text,
		Key: "webhook_disabled:" + string(e.ID) + ":" + e.UpdatedAt.UTC().Format(time.RFC3339Nano), Audience: AudienceAdmins,
		Link: "/webhooks/" + string(e.ID)})
	return err
}
