package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// MaxBulkPosts is the most posts one bulk request (CreateMany) may carry.
const MaxBulkPosts = 1000

// BulkPost is one post of a bulk request: what POST /posts takes and, when Schedule is
// set, the time to schedule it for (zero: now), as POST /posts/:id/schedule takes it.
type BulkPost struct {
	Input    domain.PostInput
	Schedule bool
	At       time.Time
}

// BulkResult is what became of one BulkPost: the post as saved (a draft, or scheduled
// with its publish job), or Err, a *domain.Error saying why nothing of it was saved.
type BulkResult struct {
	Post domain.Post
	Err  error
}

// CreateMany saves the actor's posts as Create followed by Schedule would save each one,
// checked by the same rules (fields, accounts of the company, library files, platform
// rules, media, approval, the plan's scheduled posts counted across the request), but in
// one transaction with set-based writes: every valid post is stored with its targets, its
// audit entries and, when it is to be scheduled, its place in the month and its
// publish_post job (one InsertManyTx), so a post is scheduled if and only if its job
// exists. An invalid item stores nothing of itself and answers its problem in its result;
// the other items do not depend on it. A fault of Herald's own rolls back everything.
// Errors of the whole request: CodeForbidden (role, or CodeSuspended); CodeInvalid (no
// posts, or more than MaxBulkPosts); internal faults.
func (s *Posts) CreateMany(ctx context.Context, actor domain.Actor, items []BulkPost) ([]BulkResult, error) {
	return s.createMany(ctx, actor, items, true)
}

// CheckMany answers what CreateMany would answer for items, checked by the same rules
// against the company as it is now, and saves nothing: a preview (the CSV import's).
// The Post of a valid item has no ID. Errors: those of CreateMany.
func (s *Posts) CheckMany(ctx context.Context, actor domain.Actor, items []BulkPost) ([]BulkResult, error) {
	return s.createMany(ctx, actor, items, false)
}

func (s *Posts) createMany(ctx context.Context, actor domain.Actor, items []BulkPost, save bool) ([]BulkResult, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionWrite); err != nil {
		return nil, err
	}
	switch {
	case len(items) == 0:
		return nil, domain.InvalidField("posts", "is empty: send at least one post")
	case len(items) > MaxBulkPosts:
		return nil, domain.InvalidField("posts", fmt.Sprintf("has %d posts; at most %d in one request", len(items), MaxBulkPosts))
	}
	scheduling := false
	for _, it := range items {
		scheduling = scheduling || it.Schedule
	}
	var scheduleErr error // why the actor may not schedule, told to each item that asks to
	if scheduling {
		scheduleErr = s.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite)
	}
	media, err := s.probeBulk(ctx, actor, items)
	if err != nil {
		return nil, err
	}
	can := s.canApprove(ctx, actor)
	now := s.now()
	var results []BulkResult
	err = s.store.InTx(ctx, func(tx ports.Tx) error {
		results = make([]BulkResult, len(items))
		var company domain.Company
		var err error
		if scheduling { // the company first, as every limit check does, so locks are taken in one order
			company, err = tx.PlanUsage().Lock(ctx, actor.CompanyID)
		} else {
			company, err = tx.Companies().Get(ctx, actor.CompanyID)
		}
		if err != nil {
			return err
		}
		if err := company.CheckActive(); err != nil {
			return err
		}
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		posts := make([]domain.Post, len(items))
		var ids []domain.MediaID
		for i, it := range items {
			if posts[i], results[i].Err = domain.NewPost(actor.CompanyID, actor.UserID, it.Input, accounts, now); results[i].Err == nil {
				ids = append(ids, posts[i].AllMediaIDs()...)
			}
		}
		library := map[domain.MediaID]domain.Media{}
		if len(ids) > 0 {
			if library, err = tx.Media().GetMany(ctx, actor.CompanyID, ids); err != nil {
				return err
			}
		}
		policy := approvalPolicyOf(company.Settings)
		counted := map[time.Time]int{} // month -> scheduled posts counted, this request's included
		var saved, due []*domain.Post
		var months []time.Time
		for i, it := range items {
			if results[i].Err != nil {
				continue
			}
			p := &posts[i]
			if err := p.CheckLibrary(library); err != nil {
				results[i].Err = err
				continue
			}
			if it.Schedule {
				month, err := s.scheduleNew(ctx, tx, actor, company, p, it.At, now, scheduleErr, policy, can, accounts, library, media[i], counted)
				if err != nil {
					if domain.CodeOf(err) == domain.CodeInternal {
						return err
					}
					results[i].Err = err
					continue
				}
				counted[month]++
				due = append(due, p)
				months = append(months, month)
			}
			saved = append(saved, p)
		}
		if !save {
			for i := range items {
				if results[i].Err == nil {
					results[i].Post = posts[i]
				}
			}
			return nil
		}
		if err := tx.Posts().CreateMany(ctx, saved); err != nil {
			return err
		}
		entries := make([]domain.AuditEntry, 0, len(saved)+len(due))
		for _, p := range saved {
			created := map[string]string{"status": string(domain.PostDraft)}
			entries = append(entries, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "post.created",
				Subject: string(p.ID), Details: created, At: now})
			if p.Status() == domain.PostScheduled {
				entries = append(entries, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "post.scheduled",
					Subject: string(p.ID), Details: map[string]string{"status": string(p.Status()), "scheduled_for": p.ScheduledFor().Format(time.RFC3339)}, At: now})
			}
		}
		if err := tx.Audit().RecordMany(ctx, entries); err != nil {
			return err
		}
		if len(due) > 0 {
			dueIDs := make([]domain.PostID, len(due))
			jobs := make([]ports.PostDue, len(due))
			for i, p := range due {
				dueIDs[i] = p.ID
				jobs[i] = ports.PostDue{Post: p.ID, Version: p.Version(), At: p.ScheduledFor()}
			}
			if err := tx.PlanUsage().CountPosts(ctx, actor.CompanyID, dueIDs, months, now); err != nil {
				return err
			}
			if err := tx.Jobs().PublishPosts(ctx, actor.CompanyID, jobs); err != nil {
				return err
			}
			if err := emitScheduled(ctx, tx, actor.CompanyID, due, now); err != nil {
				return err
			}
		}
		for i := range items {
			if results[i].Err == nil {
				results[i].Post = posts[i]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// scheduleNew schedules the new post p for at, as Schedule would once it was saved as a
// draft, and returns the month it counts in. counted holds the scheduled posts counted
// per month so far, this request's included. A problem of the post is a CodeInvalid,
// CodeConflict, CodeApprovalRequired, CodeForbidden or CodeLimit error; anything else is
// a fault that ends the request.
func (s *Posts) scheduleNew(ctx context.Context, tx ports.Tx, actor domain.Actor, company domain.Company, p *domain.Post, at, now time.Time,
	scheduleErr error, policy domain.ApprovalPolicy, can bool, accounts []domain.Account, library map[domain.MediaID]domain.Media,
	media bulkMedia, counted map[time.Time]int) (time.Time, error) {
	if scheduleErr != nil {
		return time.Time{}, scheduleErr
	}
	if len(policy) > 0 && policy.Requires(actor, can, *p) {
		return time.Time{}, domain.ErrApprovalRequired()
	}
	if err := p.Schedule(at, now); err != nil {
		return time.Time{}, err
	}
	if err := publishable(*p, accounts, library); err != nil {
		return time.Time{}, err
	}
	if media.err != nil {
		return time.Time{}, media.err
	}
	if err := s.checkMedia(*p, media.infos); err != nil {
		return time.Time{}, err
	}
	if err := p.CheckLibraryMedia(library); err != nil {
		return time.Time{}, err
	}
	month := domain.MonthOf(p.ScheduledFor())
	n, ok := counted[month]
	if !ok {
		u, err := tx.PlanUsage().Of(ctx, company.ID, month)
		if err != nil {
			return time.Time{}, err
		}
		n = u.ScheduledPosts
		counted[month] = n
	}
	if err := company.Plan.CheckScheduledPosts(n, month); err != nil {
		return time.Time{}, err
	}
	return month, nil
}

// emitScheduled writes a post.scheduled event for each post, as scheduling them one by
// one would, reading the subscribed endpoints once.
func emitScheduled(ctx context.Context, tx ports.Tx, company domain.CompanyID, due []*domain.Post, now time.Time) error {
	endpoints, err := tx.Webhooks().Subscribed(ctx, company, domain.EventPostScheduled)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	for _, p := range due {
		if _, err := addEvent(ctx, tx, domain.WebhookEvent{CompanyID: company, Type: domain.EventPostScheduled, At: now.UTC(), Data: postEventData(*p)}, endpoints); err != nil {
			return err
		}
	}
	return nil
}

// bulkMedia is what was learned, before the transaction, of one item's media files: infos
// by URL, or err, the item's problem with them.
type bulkMedia struct {
	infos map[string]domain.MediaInfo
	err   error
}

// probeBulk looks at the media files of every item to be scheduled to a platform that
// fetches them, each distinct URL once, eight at a time, within 30 seconds in all; it
// runs before the transaction, so no row stays locked while remote servers answer. The
// result is indexed as items; a file that cannot be fetched is its item's CodeInvalid
// naming it (media_urls[i]).
func (s *Posts) probeBulk(ctx context.Context, actor domain.Actor, items []BulkPost) ([]bulkMedia, error) {
	out := make([]bulkMedia, len(items))
	if s.probe == nil {
		return out, nil
	}
	previews := make([]domain.Post, len(items))
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		for i, it := range items {
			if it.Schedule {
				previews[i], _ = domain.NewPost(actor.CompanyID, actor.UserID, it.Input, accounts, s.now()) // invalid input is reported in the transaction
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	type answer struct {
		info domain.MediaInfo
		err  error
	}
	answers := map[string]*answer{}
	for _, p := range previews {
		if p.NeedsMediaCheck() {
			for _, u := range p.MediaURLs {
				answers[u] = &answer{}
			}
		}
	}
	if len(answers) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for u, a := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a.info, a.err = s.probe.Probe(ctx, u)
		}()
	}
	wg.Wait()
	for i, p := range previews {
		if !p.NeedsMediaCheck() {
			continue
		}
		infos := make(map[string]domain.MediaInfo, len(p.MediaURLs))
		v := domain.Violations{}
		for j, u := range p.MediaURLs {
			a := answers[u]
			switch {
			case a.err == nil:
				infos[u] = a.info
			case domain.CodeOf(a.err) == domain.CodeInvalid:
				v.Add(fmt.Sprintf("media_urls[%d]", j), domain.MessageOf(a.err))
			case out[i].err == nil:
				out[i].err = a.err
			}
		}
		if out[i].err == nil {
			out[i].err = v.Err()
		}
		out[i].infos = infos
	}
	return out, nil
}
