package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// setPrefs stores a person's notification choices.
func setPrefs(t *testing.T, h *harness, user domain.UserID, p domain.NotificationPrefs) {
	t.Helper()
	if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error { return tx.Notifications().SetPrefs(h.Ctx, user, p) }); err != nil {
		t.Fatal(err)
	}
}

// told counts the notifications of kind the person has in the harness company.
func (h *harness) told(kind domain.NotificationKind, user domain.UserID) int {
	h.T.Helper()
	return h.Count(`SELECT count(*) FROM notifications WHERE company_id = $1 AND user_id = $2 AND kind = $3`, h.Owner.CompanyID, user, kind)
}

// emailed counts the one-by-one notification emails queued for the person.
func (h *harness) emailed(user domain.UserID) int {
	h.T.Helper()
	return h.Count(`SELECT count(*) FROM emails WHERE user_id = $1 AND template = 'notification'`, user)
}

// TestNotifyPostFailed_AuthorAndAdminsOnceWithTheEmailsTheyChose: a post that fails
// tells its author (an editor) and the company's admins once, however often its job runs;
// an email is queued for each verified person who wants that kind one by one, none for an
// unverified one, one who turned the kind off, or one who reads a digest.
func TestNotifyPostFailed_AuthorAndAdminsOnceWithTheEmailsTheyChose(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	author := h.Member(t, h.Owner.CompanyID, domain.RoleEditor)
	bystander := h.Member(t, h.Owner.CompanyID, domain.RoleEditor)
	unverified := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin, pgtest.Unverified())
	off := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin)
	digest := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin)
	setPrefs(t, h, off.UserID, domain.NotificationPrefs{Email: map[domain.NotificationKind]bool{domain.NotifyPostFailed: false}})
	setPrefs(t, h, digest.UserID, domain.NotificationPrefs{Digest: true})

	_, j := h.App.Claim(t, author, h.Account.ID, "Spring launch: our new espresso machine is here, and it is fast")
	h.Net.Mu.Lock()
	h.Net.Script = func(int, string) error { return domain.Errorf(domain.CodeInvalid, "Sandbox rejected this post.") }
	h.Net.Mu.Unlock()
	for i := 0; i < 2; i++ { // River runs a job at least once: the second run must tell nobody again
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatalf("PublishTarget: %v", err)
		}
	}
	if p := h.Get(j.Post); p.Status() != domain.PostFailed {
		t.Fatalf("post is %s, want failed", p.Status())
	}
	for _, who := range []domain.Actor{h.Owner, author, unverified, off, digest} {
		if n := h.told(domain.NotifyPostFailed, who.UserID); n != 1 {
			t.Errorf("%s (%s) has %d post_failed notifications, want 1", who.UserID, who.Role, n)
		}
	}
	if n := h.told(domain.NotifyPostFailed, bystander.UserID); n != 0 {
		t.Errorf("an editor who did not write the post was told %d times", n)
	}
	for who, want := range map[domain.Actor]int{h.Owner: 1, author: 1, unverified: 0, off: 0, digest: 0} {
		if n := h.emailed(who.UserID); n != want {
			t.Errorf("%s (%s): %d emails queued, want %d", who.UserID, who.Role, n, want)
		}
	}
	list, _, err := h.Notifications.List(h.Ctx, author, true, ports.Page{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("the author's unread list = %+v, %v", list, err)
	}
	if n := list[0]; n.PostID != j.Post || !strings.Contains(n.Text, "Spring launch: our new espresso machine") || !strings.Contains(n.Text, "failed") {
		t.Errorf("notification = %+v", n)
	}
}

// TestNotifyPostUnknown_OncePerTarget: a target whose outcome cannot be known tells the
// author and admins once.
func TestNotifyPostUnknown_OncePerTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Net.Mu.Lock()
	h.Net.CanLookup = false // the network cannot say whether the interrupted attempt reached it
	h.Net.Mu.Unlock()
	j := h.Crashed(t, "Interrupted while publishing", false)
	for i := 0; i < 2; i++ {
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatalf("PublishTarget: %v", err)
		}
	}
	if tg := h.Get(j.Post).Targets[0]; tg.Status() != domain.TargetUnknown {
		t.Fatalf("target is %s, want unknown", tg.Status())
	}
	if n := h.told(domain.NotifyPostUnknown, h.Owner.UserID); n != 1 {
		t.Errorf("post_unknown notifications = %d, want 1", n)
	}
}

// TestNotifyAccountReconnect_AdminsOnce: an account whose grant is gone tells the admins
// once, however many of its posts fail on it.
func TestNotifyAccountReconnect_AdminsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	editor := h.Member(t, h.Owner.CompanyID, domain.RoleEditor)
	_, j1 := h.App.Claim(t, h.Owner, h.Account.ID, "first")
	_, j2 := h.App.Claim(t, h.Owner, h.Account.ID, "second")
	h.Net.Mu.Lock()
	h.Net.AccessToken, h.Net.RefreshToken = "gone", "gone"
	h.Net.Mu.Unlock()
	for _, j := range []app.TargetJob{j1, j2, j1} {
		if err := h.Publishing.PublishTarget(h.Ctx, j); err != nil {
			t.Fatalf("PublishTarget: %v", err)
		}
	}
	if n := h.told(domain.NotifyAccountReconnect, h.Owner.UserID); n != 1 {
		t.Errorf("account_reconnect notifications = %d, want 1", n)
	}
	if n := h.told(domain.NotifyAccountReconnect, editor.UserID); n != 0 {
		t.Errorf("an editor was told %d times of an account to reconnect", n)
	}
	var got domain.Notification
	if err := h.DB.Read(h.Ctx, func(tx ports.Tx) error {
		list, _, err := tx.Notifications().List(h.Ctx, h.Owner.CompanyID, h.Owner.UserID, false, ports.Page{Limit: 50})
		for _, n := range list {
			if n.Kind == domain.NotifyAccountReconnect {
				got = n
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.AccountID != h.Account.ID || !strings.Contains(got.Text, "Reconnect") {
		t.Errorf("notification = %+v", got)
	}
}

// TestNotifyAccountExpiring_OncePerExpiry: an account whose access ends within the warning
// window tells the admins once per expiry.
func TestNotifyAccountExpiring_OncePerExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Clock.Set(time.Now())
	h.Net.Mu.Lock()
	h.Net.OmitRefresh, h.Net.TokenLife = true, 10*24*time.Hour
	h.Net.Mu.Unlock()
	acct := h.ConnectAs("no-refresh")
	h.Clock.Advance(4 * 24 * time.Hour)
	for i := 0; i < 2; i++ {
		if _, err := h.Credentials.WarnExpiring(h.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	n := h.Count(`SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'account_expiring' AND account_id = $2`, h.Owner.UserID, acct.ID)
	if n != 1 {
		t.Errorf("account_expiring notifications = %d, want 1", n)
	}
}

// TestNotifyWebhookDisabled_AdminsOnce: an endpoint disabled after failures tells the
// admins once, naming the endpoint by its host only.
func TestNotifyWebhookDisabled_AdminsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rcv := apptest.NewReceiver(t, apptest.Status(http.StatusGone))
	e, _ := h.Endpoint(rcv.URL+"/hook?token=s3cret", domain.EventPostPublished)
	d, err := h.Webhooks.SendTest(h.Ctx, h.Owner, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		_, _ = h.Webhooks.Deliver(h.Ctx, h.Owner.CompanyID, d.ID, 1)
	}
	if got := h.EndpointNow(e.ID); got.Status != domain.WebhookDisabled {
		t.Fatalf("endpoint is %s, want disabled", got.Status)
	}
	if n := h.told(domain.NotifyWebhookDisabled, h.Owner.UserID); n != 1 {
		t.Errorf("webhook_disabled notifications = %d, want 1", n)
	}
	if n := h.Count(`SELECT count(*) FROM notifications WHERE text LIKE '%s3cret%'`); n != 0 {
		t.Error("the notification shows the endpoint's query string")
	}
}

// TestNotifications_MarkReadChecksInputAndIgnoresOthers: neither ids nor all, both, or a
// malformed id are CodeInvalid; another company's or person's ids change nothing.
func TestNotifications_MarkReadChecksInputAndIgnoresOthers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	rival := h.newCompany("Rival", domain.RoleOwner)
	admin := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin)
	note := func(company domain.CompanyID, user domain.UserID, key string) domain.NotificationID {
		var out []domain.Notification
		if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
			var err error
			out, err = h.Notifications.Notify(h.Ctx, tx, app.Notice{Kind: domain.NotifyMentioned, Company: company, Text: "x", Key: key, To: []domain.UserID{user}})
			return err
		}); err != nil || len(out) != 1 {
			t.Fatalf("Notify: %v, %d", err, len(out))
		}
		return out[0].ID
	}
	mine := note(h.Owner.CompanyID, h.Owner.UserID, "a")
	theirs := note(rival.CompanyID, rival.UserID, "b")
	colleague := note(h.Owner.CompanyID, admin.UserID, "c")
	for name, call := range map[string]func() error{
		"neither": func() error { _, err := h.Notifications.MarkRead(h.Ctx, h.Owner, nil, false); return err },
		"both": func() error {
			_, err := h.Notifications.MarkRead(h.Ctx, h.Owner, []domain.NotificationID{mine}, true)
			return err
		},
		"bad id": func() error {
			_, err := h.Notifications.MarkRead(h.Ctx, h.Owner, []domain.NotificationID{"nope"}, false)
			return err
		},
	} {
		if got := domain.CodeOf(call()); got != domain.CodeInvalid {
			t.Errorf("%s: code %q, want invalid", name, got)
		}
	}
	n, err := h.Notifications.MarkRead(h.Ctx, h.Owner, []domain.NotificationID{theirs, colleague}, false)
	if err != nil || n != 0 {
		t.Errorf("marking others' notifications changed %d (%v)", n, err)
	}
	if n, _ := h.Notifications.Unread(h.Ctx, rival); n != 1 {
		t.Errorf("the rival's unread = %d, want 1", n)
	}
	if n, err := h.Notifications.MarkRead(h.Ctx, h.Owner, []domain.NotificationID{mine}, false); err != nil || n != 1 {
		t.Errorf("marking my own = %d, %v", n, err)
	}
	if n, _ := h.Notifications.Unread(h.Ctx, h.Owner); n != 0 {
		t.Errorf("unread after marking = %d", n)
	}
	if _, err := h.Notifications.SaveSettings(h.Ctx, h.Owner, domain.NotificationPrefs{Email: map[domain.NotificationKind]bool{"nonsense": true}}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("an unknown kind in the settings: %v", err)
	}
}

// TestSendDigests_OnePerPersonPerLocalDayOfWantedKinds drives the digest with a stopped
// clock: at 08:xx UTC only the UTC reader gets a digest (the New York reader's 08:00 comes
// five hours later), with the kinds they want and not yet emailed; a second run the same
// hour or later that day sends nothing more; an unverified reader and one without the
// digest get none.
func TestSendDigests_OnePerPersonPerLocalDayOfWantedKinds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, app.PublishingConfig{}, false)
	day := time.Date(2026, 12, 4, 8, 10, 0, 0, time.UTC)
	h.Clock.Set(day.Add(-3 * time.Hour))
	utc := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin)
	york := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin)
	unverified := h.Member(t, h.Owner.CompanyID, domain.RoleAdmin, pgtest.Unverified())
	for _, who := range []domain.Actor{utc, york, unverified} {
		setPrefs(t, h, who.UserID, domain.NotificationPrefs{Digest: true, Email: map[domain.NotificationKind]bool{domain.NotifyAccountExpiring: false}})
	}
	if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error { return tx.Users().SetTimeZone(h.Ctx, york.UserID, "America/New_York") }); err != nil {
		t.Fatal(err)
	}
	tell := func(kind domain.NotificationKind, key string) {
		t.Helper()
		if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
			_, err := h.Notifications.Notify(h.Ctx, tx, app.Notice{Kind: kind, Company: h.Owner.CompanyID, Text: "About " + key + ".", Key: key,
				Audience: app.AudienceAdmins, Link: "/accounts"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	tell(domain.NotifyAccountReconnect, "one")
	tell(domain.NotifyWebhookDisabled, "two")
	tell(domain.NotifyAccountExpiring, "unwanted")
	digests := func(user domain.UserID) int {
		t.Helper()
		return h.Count(`SELECT count(*) FROM emails WHERE user_id = $1 AND template = 'digest'`, user)
	}
	run := func(at time.Time, want int) {
		t.Helper()
		h.Clock.Set(at)
		if n, err := h.Notifications.SendDigests(h.Ctx); err != nil || n != want {
			t.Fatalf("SendDigests at %s = %d, %v; want %d", at.Format(time.RFC3339), n, err, want)
		}
	}
	run(day.Add(-time.Hour), 0) // 07:10 UTC: nobody's digest hour
	run(day, 1)
	if digests(utc.UserID) != 1 || digests(york.UserID) != 0 || digests(unverified.UserID) != 0 {
		t.Errorf("digests after 08:10 UTC: utc %d, york %d, unverified %d; want 1, 0, 0", digests(utc.UserID), digests(york.UserID), digests(unverified.UserID))
	}
	if s := h.Count(`SELECT count(*) FROM emails WHERE user_id = $1 AND subject = 'Your Herald digest: 2 new' AND event_key = $2`,
		utc.UserID, "digest:"+string(utc.UserID)+":2026-12-04"); s != 1 {
		t.Error("the digest does not hold exactly the two wanted kinds, or its key is not the person's day")
	}
	if n := h.Count(`SELECT count(*) FROM notifications WHERE user_id = $1 AND emailed`, utc.UserID); n != 2 {
		t.Errorf("%d of the UTC reader's notifications are marked emailed, want the 2 in the digest", n)
	}
	// Later the same day (a new notification meanwhile): no second digest today.
	tell(domain.NotifyPostFailed, "three")
	run(day.Add(20*time.Minute), 0)
	run(day.Add(5*time.Hour), 1) // 08:10 in New York
	if digests(york.UserID) != 1 || digests(utc.UserID) != 1 {
		t.Errorf("digests after 13:10 UTC: utc %d, york %d; want 1, 1", digests(utc.UserID), digests(york.UserID))
	}
	// The next morning the UTC reader gets what came after yesterday's digest.
	run(day.Add(24*time.Hour), 1)
	if s := h.Count(`SELECT count(*) FROM emails WHERE user_id = $1 AND subject = 'Your Herald digest: 1 new'`, utc.UserID); s != 1 {
		t.Error("the next day's digest does not hold the one notification left")
	}
	if h.Count(`SELECT count(*) FROM emails WHERE template = 'notification' AND user_id IN ($1, $2, $3)`, utc.UserID, york.UserID, unverified.UserID) != 0 {
		t.Error("a digest reader got an email one by one")
	}
}
