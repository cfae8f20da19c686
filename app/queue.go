package app

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// maxQueueItems bounds how many upcoming queued posts the queue shows.
const maxQueueItems = 500

// Queue holds the use cases of a company's posting queue: its weekly times, and posts
// scheduled at the next free one. Every change that takes a time locks the company's
// queue first, so two posts added at once never take the same time.
type Queue struct {
	store ports.Store
	authz ports.Authorizer
	posts *Posts
	now   func() time.Time
}

// NewQueue returns the queue use cases, scheduling through posts.
func NewQueue(store ports.Store, authz ports.Authorizer, posts *Posts, now func() time.Time) *Queue {
	return &Queue{store: store, authz: authz, posts: posts, now: now}
}

// QueueView is the queue as its page and the API show it: the zone its times are in, its
// weekly slots and version, and the upcoming queued posts, earliest first.
type QueueView struct {
	Zone    string
	Loc     *time.Location
	Slots   []domain.QueueSlot
	Version int
	Items   []domain.Post
}

// Get returns the actor's company's queue with its upcoming queued posts.
// Errors: CodeForbidden.
func (q *Queue) Get(ctx context.Context, actor domain.Actor) (QueueView, error) {
	if err := q.authz.Can(ctx, actor, domain.ResourcePosts, domain.ActionRead); err != nil {
		return QueueView{}, err
	}
	var v QueueView
	err := q.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		v, err = q.view(ctx, tx, actor.CompanyID)
		return err
	})
	return v, err
}

func (q *Queue) view(ctx context.Context, tx ports.Tx, company domain.CompanyID) (QueueView, error) {
	zone, loc, err := companyLoc(ctx, tx, company)
	if err != nil {
		return QueueView{}, err
	}
	queue, err := tx.Queues().Get(ctx, company)
	if err != nil {
		return QueueView{}, err
	}
	v := QueueView{Zone: zone, Loc: loc, Slots: queue.Slots, Version: queue.Version, Items: []domain.Post{}}
	ids, err := tx.Queues().Queued(ctx, company, q.now(), maxQueueItems)
	if err != nil {
		return QueueView{}, err
	}
	for _, id := range ids {
		p, err := tx.Posts().Get(ctx, company, id)
		if domain.CodeOf(err) == domain.CodeNotFound {
			continue // deleted since the list was read
		}
		if err != nil {
			return QueueView{}, err
		}
		v.Items = append(v.Items, p)
	}
	return v, nil
}

// companyLoc returns the company's time zone name and location (UTC until set, or when
// the stored name no longer loads).
func companyLoc(ctx context.Context, tx ports.Tx, company domain.CompanyID) (string, *time.Location, error) {
	c, err := tx.Companies().Get(ctx, company)
	if err != nil {
		return "", nil, err
	}
	zone := zoneOf(c.Settings)
	loc, err := LoadZone(zone)
	if err != nil {
		return "UTC", time.UTC, nil
	}
	return zone, loc, nil
}

// Save replaces the queue's weekly slots; ifMatch, when not 0, is the version the caller
// last saw. Posts already queued keep their times.
// Errors: CodeForbidden; CodeStale; CodeInvalid naming every bad slot; CodeSuspended.
func (q *Queue) Save(ctx context.Context, actor domain.Actor, in []domain.QueueSlotInput, ifMatch int) (QueueView, error) {
	if err := q.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return QueueView{}, err
	}
	var v QueueView
	err := q.store.InTx(ctx, func(tx ports.Tx) error {
		if err := checkActive(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		queue, err := tx.Queues().Lock(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, queue.Version); err != nil {
			return err
		}
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		slots, err := domain.NewQueueSlots(in, accounts)
		if err != nil {
			return err
		}
		queue.Slots, queue.Version = slots, queue.Version+1
		if err := tx.Queues().Save(ctx, queue); err != nil {
			return err
		}
		if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP, Action: "queue.updated",
			Subject: string(actor.CompanyID), Details: map[string]string{"slots": strconv.Itoa(len(slots))}, At: q.now()}); err != nil {
			return err
		}
		v, err = q.view(ctx, tx, actor.CompanyID)
		return err
	})
	return v, err
}

// postQueue is scheduling a post at a time the queue chose.
var postQueue = postChange{resource: domain.ResourceSchedule, audit: "post.queued", count: true, notify: true, gate: true}

// Add schedules the post at the next free time of the queue for all its accounts, as
// Schedule does (rules checked, plan counted, publish job enqueued, webhook written), and
// marks it queued; ifMatch, when not 0, is the post's version the caller last saw. A post
// already queued is moved to the next free time after now other than its own.
// Errors: those of Posts.Schedule, and CodeConflict when no time is free in the next
// domain.QueueHorizonWeeks weeks.
func (q *Queue) Add(ctx context.Context, actor domain.Actor, id domain.PostID, ifMatch int) (domain.Post, error) {
	media, err := q.posts.mediaForSchedule(ctx, actor, id)
	if err != nil {
		return domain.Post{}, err
	}
	if err := q.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return domain.Post{}, err
	}
	var p domain.Post
	err = q.store.InTx(ctx, func(tx ports.Tx) (err error) {
		p, err = q.addTx(ctx, tx, actor, id, ifMatch, media)
		return err
	})
	return p, err
}

// CreateQueued stores a post written by the actor and adds it to the queue in one
// transaction, so a refused add leaves no draft behind.
// Errors: those of Posts.Create and of Add.
func (q *Queue) CreateQueued(ctx context.Context, actor domain.Actor, in domain.PostInput) (domain.Post, error) {
	for _, res := range []domain.Resource{domain.ResourcePosts, domain.ResourceSchedule} {
		if err := q.authz.Can(ctx, actor, res, domain.ActionWrite); err != nil {
			return domain.Post{}, err
		}
	}
	var media map[string]domain.MediaInfo
	if q.posts.probe != nil {
		var preview domain.Post
		err := q.store.Read(ctx, func(tx ports.Tx) error {
			accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
			if err != nil {
				return err
			}
			preview, _ = domain.NewPost(actor.CompanyID, actor.UserID, in, accounts, q.now()) // invalid input is reported in the transaction
			return nil
		})
		if err != nil {
			return domain.Post{}, err
		}
		if media, err = q.posts.probeMedia(ctx, preview); err != nil {
			return domain.Post{}, err
		}
	}
	var p domain.Post
	err := q.store.InTx(ctx, func(tx ports.Tx) error {
		if err := checkActive(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		draft, err := q.posts.createTx(ctx, tx, actor, in)
		if err != nil {
			return err
		}
		p, err = q.addTx(ctx, tx, actor, draft.ID, 0, media)
		return err
	})
	return p, err
}

// addTx is Add's work inside the caller's transaction, permission already checked.
func (q *Queue) addTx(ctx context.Context, tx ports.Tx, actor domain.Actor, id domain.PostID, ifMatch int, media map[string]domain.MediaInfo) (domain.Post, error) {
	if err := checkActive(ctx, tx, actor.CompanyID); err != nil {
		return domain.Post{}, err
	}
	queue, err := tx.Queues().Lock(ctx, actor.CompanyID)
	if err != nil {
		return domain.Post{}, err
	}
	_, loc, err := companyLoc(ctx, tx, actor.CompanyID)
	if err != nil {
		return domain.Post{}, err
	}
	now := q.now()
	p, err := q.posts.changeTx(ctx, tx, actor, id, ifMatch, postQueue, media, func(p *domain.Post, _ []domain.Account) (bool, error) {
		taken, err := tx.Queues().Taken(ctx, actor.CompanyID, now, p.ID)
		if err != nil {
			return false, err
		}
		accounts := make([]domain.AccountID, len(p.Targets))
		for i, t := range p.Targets {
			accounts[i] = t.AccountID
		}
		at, err := domain.NextFreeSlot(queue.Slots, accounts, taken, loc, now)
		if err != nil {
			return false, err
		}
		return true, p.Schedule(at, now)
	})
	if err != nil {
		return domain.Post{}, err
	}
	return p, tx.Queues().MarkQueued(ctx, actor.CompanyID, p.ID)
}

// Swap exchanges the times of two queued posts (moving one up or down the queue); each
// stays queued and gets a new publish job. aVersion and bVersion, when not 0, are the
// versions the caller last saw.
// Errors: CodeForbidden; CodeNotFound (either post, also another company's); CodeStale;
// CodeConflict (a post that is not queued, or the same post twice); those of Schedule.
func (q *Queue) Swap(ctx context.Context, actor domain.Actor, a domain.PostID, aVersion int, b domain.PostID, bVersion int) ([2]domain.Post, error) {
	if err := q.authz.Can(ctx, actor, domain.ResourceSchedule, domain.ActionWrite); err != nil {
		return [2]domain.Post{}, err
	}
	if a == b {
		return [2]domain.Post{}, domain.Errorf(domain.CodeConflict, "A post cannot swap times with itself.")
	}
	var media [2]map[string]domain.MediaInfo
	for i, id := range []domain.PostID{a, b} {
		var err error
		if media[i], err = q.posts.mediaForSchedule(ctx, actor, id); err != nil {
			return [2]domain.Post{}, err
		}
	}
	var out [2]domain.Post
	err := q.store.InTx(ctx, func(tx ports.Tx) error {
		if err := checkActive(ctx, tx, actor.CompanyID); err != nil {
			return err
		}
		if _, err := tx.Queues().Lock(ctx, actor.CompanyID); err != nil {
			return err
		}
		now := q.now()
		queued, err := tx.Queues().Queued(ctx, actor.CompanyID, now, maxQueueItems)
		if err != nil {
			return err
		}
		// Both are read (and version-checked) before either changes; each must hold a
		// queued time still ahead.
		var at [2]time.Time
		for i, x := range []struct {
			id      domain.PostID
			version int
		}{{a, aVersion}, {b, bVersion}} {
			p, err := tx.Posts().Get(ctx, actor.CompanyID, x.id)
			if err != nil {
				return err
			}
			if err := domain.CheckVersion(x.version, p.Version()); err != nil {
				return err
			}
			if p.Status() != domain.PostScheduled || !slices.Contains(queued, p.ID) {
				return domain.Errorf(domain.CodeConflict, "Only posts waiting in the queue can swap times; one of these is not queued any more.")
			}
			at[i] = p.ScheduledFor()
		}
		for i, x := range []struct {
			id      domain.PostID
			version int
			at      time.Time
		}{{a, aVersion, at[1]}, {b, bVersion, at[0]}} {
			p, err := q.posts.changeTx(ctx, tx, actor, x.id, x.version, postQueue, media[i], func(p *domain.Post, _ []domain.Account) (bool, error) {
				return true, p.Schedule(x.at, now)
			})
			if err != nil {
				return err
			}
			if err := tx.Queues().MarkQueued(ctx, actor.CompanyID, p.ID); err != nil {
				return err
			}
			out[i] = p
		}
		return nil
	})
	return out, err
}

// checkActive returns CodeSuspended for a suspended company, before anything else is
// looked at, so every queue change answers the suspension first.
func checkActive(ctx context.Context, tx ports.Tx, company domain.CompanyID) error {
	c, err := tx.Companies().Get(ctx, company)
	if err != nil {
		return err
	}
	return c.CheckActive()
}
