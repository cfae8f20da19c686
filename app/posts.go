package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Posts holds the use cases of writing and scheduling posts. Scheduling enqueues the
// publish job in the same transaction that schedules the post, so a post is scheduled if
// and only if its job exists; every edit bumps the post's version, which makes an
// enqueued job stale.
type Posts struct {
	store ports.Store
	authz ports.Authorizer
	probe ports.MediaProbe // nil: media files are not looked at before scheduling
	now   func() time.Time
	log   *slog.Logger
	// Notify tells people of approval steps; set after construction (Notifications is built
	// later). nil: nobody is told.
	Notify *Notifications
}

// NewPosts returns the post use cases; now is time.Now outside tests. probe, when not nil,
// looks at a post's media files before it is scheduled to a platform that fetches them.
func NewPosts(store ports.Store, authz ports.Authorizer, probe ports.MediaProbe, now func() time.Time, log *slog.Logger) *Posts {
	return &Posts{store: store, authz: authz, probe: probe, now: now, log: log}
}

// List returns one page of the actor's company's posts matching f, newest first.
// Errors: CodeForbidden; CodeInvalid (cursor).
func (s *Posts) List(ctx context.Context, actor domain.Actor, f ports.PostFilter, page ports.Page) ([]domain.Post, string, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return nil, "", err
	}
	var out []domain.Post
	var next string
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Posts().List(ctx, actor.CompanyID, f, page)
		return err
	})
	return out, next, err
}

// Get returns the actor's company's post.
// Errors: CodeForbidden; CodeNotFound (also another company's post).
func (s *Posts) Get(ctx context.Context, actor domain.Actor, id domain.PostID) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		p, err = tx.Posts().Get(ctx, actor.CompanyID, id)
		return err
	})
	return p, err
}

// Create stores a draft written by the actor.
// Errors: CodeForbidden; CodeInvalid naming every bad field.
func (s *Posts) Create(ctx context.Context, actor domain.Actor, in domain.PostInput) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) (err error) {
		p, err = s.createTx(ctx, tx, actor, in)
		return err
	})
	return p, err
}

// createTx stores, in tx, a draft written by the actor, with its audit entry.
func (s *Posts) createTx(ctx context.Context, tx ports.Tx, actor domain.Actor, in domain.PostInput) (domain.Post, error) {
	accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
	if err != nil {
		return domain.Post{}, err
	}
	p, err := domain.NewPost(actor.CompanyID, actor.UserID, in, accounts, s.now())
	if err != nil {
		return domain.Post{}, err
	}
	if _, err := libraryOf(ctx, tx, p); err != nil {
		return domain.Post{}, err
	}
	if err := tx.Posts().Create(ctx, &p); err != nil {
		return domain.Post{}, err
	}
	return p, s.audit(ctx, tx, actor, "post.created", p)
}

// CreateScheduled stores a post written by the actor and schedules it for at (zero: now)
// in one transaction, so a schedule that is refused leaves nothing behind: no draft is
// stored unless the post is scheduled too.
// Errors: those of Create and of Schedule.
func (s *Posts) CreateScheduled(ctx context.Context, actor domain.Actor, in domain.PostInput, at time.Time) (domain.Post, error) {
	for _, res := range []domain.Resource{domain.ResourcePosts, domain.ResourceSchedule} {
		if err := s.authz.Can(ctx, actor, res, domain.ActionWrite); err != nil {
			return domain.Post{}, err
		}
	}
	var media map[string]domain.MediaInfo
	if s.probe != nil {
		var preview domain.Post
		err := s.store.Read(ctx, func(tx ports.Tx) error {
			accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
			if err != nil {
				return err
			}
			preview, _ = domain.NewPost(actor.CompanyID, actor.UserID, in, accounts, s.now()) // invalid input is reported in the transaction
			return nil
		})
		if err != nil {
			return domain.Post{}, err
		}
		if media, err = s.probeMedia(ctx, preview); err != nil {
			return domain.Post{}, err
		}
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		draft, err := s.createTx(ctx, tx, actor, in)
		if err != nil {
			return err
		}
		p, err = s.changeTx(ctx, tx, actor, draft.ID, 0, postSchedule, media, func(p *domain.Post, _ []domain.Account) (bool, error) {
			return true, p.Schedule(at, s.now())
		})
		return err
	})
	return p, err
}

// Update replaces the post's content, media, accounts and variants; ifMatch, when not 0,
// is the version the caller last saw. A scheduled post stays scheduled at its time, after
// its new content passed every platform's rules; its old publish job becomes stale.
// Errors: CodeForbidden; CodeNotFound; CodeStale; CodeConflict (publishing or published);
// CodeInvalid.
func (s *Posts) Update(ctx context.Context, actor domain.Actor, id domain.PostID, in domain.PostInput, ifMatch int) (domain.Post, error) {
	media, err := s.mediaForEdit(ctx, actor, id, in)
	if err != nil {
		return domain.Post{}, err
	}
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	can := s.canApprove(ctx, actor)
	var p domain.Post
	err = s.store.InTx(ctx, func(tx ports.Tx) error {
		policy, err := approvalPolicy(ctx, tx, actor.CompanyID)
		if err != nil {
			return err
		}
		sentBack := false
		p, err = s.changeTx(ctx, tx, actor, id, ifMatch, postUpdate, media, func(p *domain.Post, accounts []domain.Account) (bool, error) {
			if err := p.Edit(in, accounts, s.now()); err != nil {
				return false, err
			}
			// An editor who needs approval sends an approved, scheduled or reviewed post
			// back to review: its publish job, if any, is stale (the version changed).
			if len(policy) > 0 && policy.Requires(actor, can, *p) {
				sentBack = p.SendBack(actor.UserID, s.now())
			}
			return p.Status() == domain.PostScheduled, nil
		})
		if err != nil || !sentBack {
			return err
		}
		if err := s.audit(ctx, tx, actor, "post.submitted", p); err != nil {
			return err
		}
		return s.submitted(ctx, tx, actor, p)
	})
	return p, err
}

// Delete removes the post; its publish job, if any, becomes stale. A post that had not
// gone out gives its place in the month's scheduled posts back; one that went out keeps it.
// Errors: CodeForbidden; CodeNotFound; CodeStale; CodeConflict (while publishing).
func (s *Posts) Delete(ctx context.Context, actor domain.Actor, id domain.PostID, ifMatch int) error {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx ports.Tx) error {
		p, err := lockVersion(ctx, tx, actor.CompanyID, id, ifMatch)
		if err != nil {
			return err
		}
		if err := p.CheckDelete(); err != nil {
			return err
		}
		if p.Status() != domain.PostPublishing && !p.Status().WentOut() {
			if err := tx.PlanUsage().UncountPost(ctx, actor.CompanyID, id); err != nil {
				return err
			}
		}
		if err := tx.Posts().Delete(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "post.deleted", p)
	})
}

// Schedule schedules the post for at and enqueues its publish job in the same
// transaction. A zero at means now for a draft or a scheduled post. For a failed post (a
// retry) it means the post's own time while that is still ahead; once that time has
// passed Herald does not guess: it answers CodeConflict asking to publish now (PublishNow)
// or to give a new time. Every target is checked against its platform's rules first, and
// the post is counted toward the plan's scheduled posts in the month of its time (see
// domain.PlanLimits: once per post and month, so rescheduling within the month is free).
// Errors: CodeForbidden (role); CodeSuspended (a suspended company); CodeLimit (the month's scheduled
// posts are used up); CodeNotFound; CodeStale; CodeConflict (publishing or published, or
// a retry whose time has passed); CodeInvalid (time in the past, a rule broken, an account
// that needs reconnecting).
func (s *Posts) Schedule(ctx context.Context, actor domain.Actor, id domain.PostID, at time.Time, ifMatch int) (domain.Post, error) {
	return s.schedule(ctx, actor, id, at, false, ifMatch)
}

// PublishNow schedules the post to go out now, whatever its own time, a failed post
// included; otherwise it is Schedule, with the same errors.
func (s *Posts) PublishNow(ctx context.Context, actor domain.Actor, id domain.PostID, ifMatch int) (domain.Post, error) {
	return s.schedule(ctx, actor, id, time.Time{}, true, ifMatch)
}

func (s *Posts) schedule(ctx context.Context, actor domain.Actor, id domain.PostID, at time.Time, now bool, ifMatch int) (domain.Post, error) {
	media, err := s.mediaForSchedule(ctx, actor, id)
	if err != nil {
		return domain.Post{}, err
	}
	return s.change(ctx, actor, postSchedule, id, ifMatch, media, func(p *domain.Post, _ []domain.Account) (bool, error) {
		when := at
		if when.IsZero() && !now && p.Status() == domain.PostFailed {
			if when, err = retryTime(*p, s.now()); err != nil {
				return false, err
			}
		}
		return true, p.Schedule(when, s.now())
	})
}

// retryTime is when a failed post goes out again when nobody said when: its own time,
// while that is ahead of now. A post whose time has passed (or that never had one) returns
// CodeConflict: publishing it late without asking could surprise its readers and its author.
func retryTime(p domain.Post, now time.Time) (time.Time, error) {
	if at := p.ScheduledFor(); at.After(now) {
		return at, nil
	}
	if p.ScheduledFor().IsZero() {
		return time.Time{}, domain.Errorf(domain.CodeConflict, "This post has no time of its own to keep: choose to publish it now or give it a new time.")
	}
	return time.Time{}, domain.Errorf(domain.CodeConflict, "This post was due %s, which has passed: choose to publish it now or give it a new time.",
		p.ScheduledFor().UTC().Format("2 Jan 2006 at 15:04 UTC"))
}

// Unschedule takes a scheduled post back to draft; its publish job becomes stale and its
// place in the month's scheduled posts is given back.
// Errors: CodeForbidden; CodeNotFound; CodeStale; CodeConflict (not scheduled).
func (s *Posts) Unschedule(ctx context.Context, actor domain.Actor, id domain.PostID, ifMatch int) (domain.Post, error) {
	return s.change(ctx, actor, postUnschedule, id, ifMatch, nil, func(p *domain.Post, _ []domain.Account) (bool, error) {
		return false, p.Unschedule(s.now())
	})
}

// ResolveTarget records a person's answer for a target whose outcome is unknown: it was
// published (at externalURL, optional), or it was not, and it is published again now.
// Errors: CodeForbidden; CodeNotFound (post or target); CodeStale; CodeConflict (the target
// is not unknown); CodeInvalid (externalURL).
func (s *Posts) ResolveTarget(ctx context.Context, actor domain.Actor, id domain.PostID, account domain.AccountID, published bool, externalURL string, ifMatch int) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if p, err = lockVersion(ctx, tx, actor.CompanyID, id, ifMatch); err != nil {
			return err
		}
		again, err := p.ResolveUnknown(account, published, externalURL, s.now())
		if err != nil {
			return err
		}
		if again {
			if err := tx.Jobs().PublishTargets(ctx, p.CompanyID, p.ID, p.Version(), []domain.AccountID{account}); err != nil {
				return err
			}
		}
		if err := tx.Posts().Update(ctx, &p); err != nil {
			return err
		}
		if !again {
			if err := emitPost(ctx, tx, p, s.now()); err != nil {
				return err
			}
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "post.target_resolved",
			Subject: string(p.ID), Details: map[string]string{"account": string(account), "published": fmt.Sprint(published)}, At: s.now()})
	})
	return p, err
}

// postChange is one kind of change to a post, as change and changeTx carry it out.
type postChange struct {
	resource domain.Resource // the resource the actor needs write permission on
	gate     bool            // a post the actor needs approval for is refused (CodeApprovalRequired)
	audit    string          // the audit log's action
	count    bool            // a post to publish is counted toward the plan's month
	notify   bool            // webhook subscribers are told the post's new state
}

// The kinds of change to a post that go through change.
var (
	postUpdate     = postChange{resource: domain.ResourcePosts, audit: "post.updated"}
	postSchedule   = postChange{resource: domain.ResourceSchedule, audit: "post.scheduled", count: true, notify: true, gate: true}
	postUnschedule = postChange{resource: domain.ResourceSchedule, audit: "post.unscheduled"}
)

// change runs one change of a post in a transaction: permission on kind.resource, the post
// locked, its version checked against ifMatch, edit applied (it reports whether the post
// is now due to be published), then, for a post to publish, every rule checked (media
// against what was learned of each file before the transaction), the post counted toward
// the plan's month when kind.count is set, and its publish job enqueued for its time, the
// post saved, its webhook event written when kind.notify is set, and the change audited.
// A post that ends up a draft is no longer counted.
func (s *Posts) change(ctx context.Context, actor domain.Actor, kind postChange, id domain.PostID, ifMatch int,
	media map[string]domain.MediaInfo, edit func(p *domain.Post, accounts []domain.Account) (bool, error)) (domain.Post, error) {
	if err := s.authz.Can(ctx, actor, kind.resource, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		p, err = s.changeTx(ctx, tx, actor, id, ifMatch, kind, media, edit)
		return err
	})
	return p, err
}

// changeTx is change's work inside the caller's transaction, permission already checked.
func (s *Posts) changeTx(ctx context.Context, tx ports.Tx, actor domain.Actor, id domain.PostID, ifMatch int, kind postChange,
	media map[string]domain.MediaInfo, edit func(p *domain.Post, accounts []domain.Account) (bool, error)) (domain.Post, error) {
	var company domain.Company
	var err error
	if kind.count { // the company first, as every limit check does, so locks are taken in one order
		if company, err = tx.PlanUsage().Lock(ctx, actor.CompanyID); err != nil {
			return domain.Post{}, err
		}
	}
	p, err := lockVersion(ctx, tx, actor.CompanyID, id, ifMatch)
	if err != nil {
		return domain.Post{}, err
	}
	if kind.gate {
		if err := s.checkApproval(ctx, tx, actor, p); err != nil {
			return domain.Post{}, err
		}
	}
	accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
	if err != nil {
		return domain.Post{}, err
	}
	publish, err := edit(&p, accounts)
	if err != nil {
		return domain.Post{}, err
	}
	library, err := libraryOf(ctx, tx, p)
	if err != nil {
		return domain.Post{}, err
	}
	if publish {
		if err := s.checkPublishable(ctx, tx, actor, p, accounts, library); err != nil {
			return domain.Post{}, err
		}
		if err := s.checkMedia(p, media); err != nil {
			return domain.Post{}, err
		}
		// Library files were read when they were uploaded: their stored facts are checked,
		// with no network call.
		if err := p.CheckLibraryMedia(library); err != nil {
			return domain.Post{}, err
		}
		if kind.count {
			if err := s.countPost(ctx, tx, company, p); err != nil {
				return domain.Post{}, err
			}
		}
		if err := tx.Jobs().PublishPost(ctx, p.CompanyID, p.ID, p.Version(), p.ScheduledFor()); err != nil {
			return domain.Post{}, err
		}
	}
	if p.Status().Waiting() {
		if err := tx.PlanUsage().UncountPost(ctx, actor.CompanyID, p.ID); err != nil {
			return domain.Post{}, err
		}
	}
	if err := tx.Posts().Update(ctx, &p); err != nil {
		return domain.Post{}, err
	}
	if kind.notify {
		if err := emitPost(ctx, tx, p, s.now()); err != nil {
			return domain.Post{}, err
		}
	}
	return p, s.audit(ctx, tx, actor, kind.audit, p)
}

// countPost counts the scheduled post in the month of its time, unless it already counts
// there, or returns CodeLimit when the company's plan has no place left that month.
func (s *Posts) countPost(ctx context.Context, tx ports.Tx, company domain.Company, p domain.Post) error {
	month := domain.MonthOf(p.ScheduledFor())
	counted, ok, err := tx.PlanUsage().PostMonth(ctx, company.ID, p.ID)
	if err != nil || (ok && counted.Equal(month)) {
		return err
	}
	u, err := tx.PlanUsage().Of(ctx, company.ID, month)
	if err != nil {
		return err
	}
	if err := company.Plan.CheckScheduledPosts(u.ScheduledPosts, month); err != nil {
		return err
	}
	return tx.PlanUsage().CountPost(ctx, company.ID, p.ID, month, s.now())
}

// mediaForSchedule looks at the media files of the post about to be scheduled, when a
// platform it goes to fetches them. It runs before the transaction: no row stays locked
// while remote servers answer.
func (s *Posts) mediaForSchedule(ctx context.Context, actor domain.Actor, id domain.PostID) (map[string]domain.MediaInfo, error) {
	if s.probe == nil {
		return nil, nil
	}
	if err := s.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return nil, err
	}
	var p domain.Post
	if err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		p, err = tx.Posts().Get(ctx, actor.CompanyID, id)
		return err
	}); err != nil {
		return nil, err
	}
	return s.probeMedia(ctx, p)
}

// mediaForEdit looks at the media files of an edit that keeps a post scheduled; drafts are
// saved without any network call.
func (s *Posts) mediaForEdit(ctx context.Context, actor domain.Actor, id domain.PostID, in domain.PostInput) (map[string]domain.MediaInfo, error) {
	if s.probe == nil {
		return nil, nil
	}
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return nil, err
	}
	var preview domain.Post
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		current, err := tx.Posts().Get(ctx, actor.CompanyID, id)
		if err != nil || current.Status() != domain.PostScheduled {
			return err
		}
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		preview, _ = domain.NewPost(actor.CompanyID, actor.UserID, in, accounts, s.now()) // invalid input is reported in the transaction
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.probeMedia(ctx, preview)
}

// probeMedia looks at each of the post's media files, four at a time, within 20 seconds in
// all. A file that cannot be fetched is CodeInvalid naming it (media_urls[i]).
func (s *Posts) probeMedia(ctx context.Context, p domain.Post) (map[string]domain.MediaInfo, error) {
	if !p.NeedsMediaCheck() {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	infos := make([]domain.MediaInfo, len(p.MediaURLs))
	errs := make([]error, len(p.MediaURLs))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, u := range p.MediaURLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			infos[i], errs[i] = s.probe.Probe(ctx, u)
		}()
	}
	wg.Wait()
	out := make(map[string]domain.MediaInfo, len(infos))
	v := domain.Violations{}
	for i, err := range errs {
		switch {
		case err == nil:
			out[p.MediaURLs[i]] = infos[i]
		case domain.CodeOf(err) == domain.CodeInvalid:
			v.Add(fmt.Sprintf("media_urls[%d]", i), domain.MessageOf(err))
		default:
			return nil, err
		}
	}
	return out, v.Err()
}

// checkMedia checks the post's media against what was learned of it before the
// transaction. A file that was not looked at means the post changed meanwhile.
func (s *Posts) checkMedia(p domain.Post, media map[string]domain.MediaInfo) error {
	if s.probe == nil || !p.NeedsMediaCheck() {
		return nil
	}
	for _, u := range p.MediaURLs {
		if _, ok := media[u]; !ok {
			return domain.Errorf(domain.CodeConflict, "The post's media changed while Herald was checking it; try again.")
		}
	}
	return p.CheckMedia(media)
}

// libraryOf returns the post's library files, or CodeInvalid naming each one the
// company's library does not hold.
func libraryOf(ctx context.Context, tx ports.Tx, p domain.Post) (map[domain.MediaID]domain.Media, error) {
	ids := p.AllMediaIDs()
	if len(ids) == 0 {
		return nil, nil
	}
	library, err := tx.Media().GetMany(ctx, p.CompanyID, ids)
	if err != nil {
		return nil, err
	}
	return library, p.CheckLibrary(library)
}

// lockVersion locks the company's post and checks it is the version ifMatch names (0: any).
func lockVersion(ctx context.Context, tx ports.Tx, company domain.CompanyID, id domain.PostID, ifMatch int) (domain.Post, error) {
	p, err := tx.Posts().Lock(ctx, company, id)
	if err != nil {
		return domain.Post{}, err
	}
	return p, domain.CheckVersion(ifMatch, p.Version())
}

// checkPublishable returns why p cannot go out: a suspended company, an account that is
// gone or needs reconnecting, or a platform rule broken.
func (s *Posts) checkPublishable(ctx context.Context, tx ports.Tx, actor domain.Actor, p domain.Post, accounts []domain.Account,
	library map[domain.MediaID]domain.Media) error {
	c, err := tx.Companies().Get(ctx, actor.CompanyID)
	if err != nil {
		return err
	}
	if err := c.CheckActive(); err != nil {
		return err
	}
	return publishable(p, accounts, library)
}

// publishable returns why p cannot go out on the company's accounts: an account that is
// gone or needs reconnecting, or a platform rule broken.
func publishable(p domain.Post, accounts []domain.Account, library map[domain.MediaID]domain.Media) error {
	v := domain.Violations{}
	byID := map[domain.AccountID]domain.Account{}
	for _, a := range accounts {
		byID[a.ID] = a
	}
	for _, t := range p.Targets {
		a, ok := byID[t.AccountID]
		switch {
		case !ok:
			v.Add("targets."+string(t.AccountID), "this account was disconnected; remove it from the post or connect it again")
		case a.Status == domain.AccountReauthRequired:
			v.Add("targets."+string(t.AccountID), a.DisplayName+" ("+a.Platform.Title()+") must be reconnected before Herald can publish to it")
		}
	}
	if err := joinViolations(v.Err(), p.CheckRules(accounts, library)); err != nil {
		return err
	}
	return nil
}

func (s *Posts) audit(ctx context.Context, tx ports.Tx, actor domain.Actor, action string, p domain.Post) error {
	d := map[string]string{"status": string(p.Status())}
	if !p.ScheduledFor().IsZero() {
		d["scheduled_for"] = p.ScheduledFor().Format(time.RFC3339)
	}
	return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: action,
		Subject: string(p.ID), Details: d, At: s.now()})
}

// Duplicated is a new draft copied from a post, with what the copy left out.
type Duplicated struct {
	Post domain.Post
	// DroppedAccounts are the original's accounts left out: disconnected since.
	DroppedAccounts []domain.Account
	// DroppedMedia are the original's library files left out: deleted since.
	DroppedMedia []domain.MediaID
}

// Duplicate stores a new draft written by the actor from the company's post id, whatever
// its status: its content, media, variants and the accounts still connected, never its
// time, results or versions (domain.Post.DuplicateInput).
// Errors: CodeForbidden; CodeSuspended; CodeNotFound (also another company's post);
// CodeConflict (none of its accounts is still connected).
func (s *Posts) Duplicate(ctx context.Context, actor domain.Actor, id domain.PostID) (Duplicated, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return Duplicated{}, err
	}
	var out Duplicated
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		orig, err := tx.Posts().Get(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		library := map[domain.MediaID]domain.Media{}
		if ids := orig.AllMediaIDs(); len(ids) > 0 {
			if library, err = tx.Media().GetMany(ctx, actor.CompanyID, ids); err != nil {
				return err
			}
		}
		in, dropped, droppedMedia := orig.DuplicateInput(accounts, func(m domain.MediaID) bool { _, ok := library[m]; return ok })
		out = Duplicated{DroppedMedia: droppedMedia}
		for _, a := range dropped {
			acct, err := tx.Accounts().Get(ctx, actor.CompanyID, a)
			if err != nil {
				return err
			}
			out.DroppedAccounts = append(out.DroppedAccounts, acct)
		}
		if len(in.AccountIDs) == 0 {
			return domain.Errorf(domain.CodeConflict, "None of this post's accounts is still connected, so a copy would go nowhere; connect an account and write the post anew.")
		}
		if out.Post, err = s.createTx(ctx, tx, actor, in); err != nil {
			return err
		}
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "post.duplicated",
			Subject: string(out.Post.ID), Details: map[string]string{"from": string(orig.ID)}, At: s.now()})
	})
	if err != nil {
		return Duplicated{}, err
	}
	return out, nil
}
