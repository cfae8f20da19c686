package app

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// HomeListLimit is how many upcoming posts, and how many posts needing attention, the
// start page shows; Start says when there are more.
const HomeListLimit = 5

// Home holds the use case of the signed-in start page: what a company should do next,
// what goes out soon, what needs a person, and how the last week went.
type Home struct {
	store ports.Store
	authz ports.Authorizer
	now   func() time.Time
}

// NewHome returns the start page's use case.
func NewHome(store ports.Store, authz ports.Authorizer, now func() time.Time) *Home {
	return &Home{store: store, authz: authz, now: now}
}

// StepKey names one step of a new company's checklist.
type StepKey string

// The steps of a new company's checklist, in the order they are shown.
const (
	StepConnectAccount StepKey = "connect_account" // connect a social account
	StepFirstPost      StepKey = "first_post"      // write the first post
	StepInviteTeammate StepKey = "invite_teammate" // invite someone else
	StepTimeZone       StepKey = "time_zone"       // set the company's time zone
)

// Step is one step of the checklist: whether the company has done it, and whether the
// actor's role may do it (a step nobody in the role can take is not shown to them).
type Step struct {
	Key    StepKey
	Done   bool
	CanAct bool
}

// WeekResults compares the last seven days of the company's calendar (today included)
// with the seven before, from the stored metrics of the targets published in each.
type WeekResults struct {
	From, To      time.Time // [From, To): midnights of the company's zone, in UTC
	Posts         int       // posts with a target published in [From, To)
	PreviousPosts int       // the same, the seven days before
	Totals        domain.Metrics
	Previous      domain.Metrics
}

// Engagement returns likes, comments and shares of the last seven days.
func (w WeekResults) Engagement() int64 { return engagement(w.Totals) }

// PreviousEngagement returns likes, comments and shares of the seven days before.
func (w WeekResults) PreviousEngagement() int64 { return engagement(w.Previous) }

func engagement(m domain.Metrics) int64 { return m.Likes + m.Comments + m.Shares }

// Start is what the start page shows of one company at one moment. A section the actor's
// role may not read is empty, and its Can flag is false.
type Start struct {
	Now  time.Time
	Zone string // the company's time zone ("UTC" until set)

	Steps []Step // the checklist, in order

	CanReadPosts  bool
	Upcoming      []domain.Post // scheduled posts from now on, soonest first
	MoreUpcoming  bool
	Attention     []domain.Post // failed, partially published, or with a target left unknown; latest first
	MoreAttention bool

	CanReadAccounts bool
	Accounts        []domain.Account // every account not disconnected
	Reconnect       []domain.Account // accounts refused by their platform, or whose access ends soon

	Results *WeekResults // nil when the actor may not read analytics
}

// SetUp reports whether every step the actor can take is done: the checklist has nothing
// left for them.
func (s Start) SetUp() bool {
	for _, st := range s.Steps {
		if st.CanAct && !st.Done {
			return false
		}
	}
	return true
}

// Pending returns how many steps the actor can take are not done yet.
func (s Start) Pending() int {
	n := 0
	for _, st := range s.Steps {
		if st.CanAct && !st.Done {
			n++
		}
	}
	return n
}

// Empty reports whether the company has neither accounts nor posts yet: a brand-new company.
func (s Start) Empty() bool {
	for _, st := range s.Steps {
		if (st.Key == StepConnectAccount || st.Key == StepFirstPost) && st.Done {
			return false
		}
	}
	return true
}

// Start returns the actor's company's start page at this moment. Every read is scoped to
// the actor's company, in one read-only transaction.
// Errors: CodeForbidden (the actor may not read the company).
func (h *Home) Start(ctx context.Context, actor domain.Actor) (Start, error) {
	if err := h.authz.Can(ctx, actor, domain.ResourceCompany, domain.ActionRead); err != nil {
		return Start{}, err
	}
	can := func(res domain.Resource, act domain.Action) (bool, error) {
		err := h.authz.Can(ctx, actor, res, act)
		if code := domain.CodeOf(err); code == domain.CodeForbidden || code == domain.CodeSuspended {
			return false, nil // a suspended company's members read, and act on nothing
		}
		return err == nil, err
	}
	now := h.now()
	s := Start{Now: now}
	perm := map[domain.Resource]map[domain.Action]bool{}
	for _, res := range []domain.Resource{domain.ResourcePosts, domain.ResourceAccounts, domain.ResourceAnalytics, domain.ResourceMembers, domain.ResourceCompany} {
		perm[res] = map[domain.Action]bool{}
		for _, act := range []domain.Action{domain.ActionRead, domain.ActionWrite} {
			ok, err := can(res, act)
			if err != nil {
				return Start{}, err
			}
			perm[res][act] = ok
		}
	}
	s.CanReadPosts, s.CanReadAccounts = perm[domain.ResourcePosts][domain.ActionRead], perm[domain.ResourceAccounts][domain.ActionRead]
	err := h.store.Read(ctx, func(tx ports.Tx) error {
		company, err := tx.Companies().Get(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		s.Zone = zoneOf(company.Settings)
		loc, err := LoadZone(s.Zone)
		if err != nil {
			loc, s.Zone = time.UTC, "UTC"
		}

		// The checklist reads what exists whatever the actor's role: it only says done or not.
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		anyPost, _, err := tx.Posts().List(ctx, actor.CompanyID, ports.PostFilter{}, ports.Page{Limit: 1})
		if err != nil {
			return err
		}
		teammates, err := h.teammates(ctx, tx, actor.CompanyID, now)
		if err != nil {
			return err
		}
		s.Steps = []Step{
			{Key: StepConnectAccount, Done: len(accounts) > 0, CanAct: perm[domain.ResourceAccounts][domain.ActionWrite]},
			{Key: StepFirstPost, Done: len(anyPost) > 0, CanAct: perm[domain.ResourcePosts][domain.ActionWrite]},
			{Key: StepInviteTeammate, Done: teammates, CanAct: perm[domain.ResourceMembers][domain.ActionWrite]},
			{Key: StepTimeZone, Done: company.Settings[settingZone] != "", CanAct: perm[domain.ResourceCompany][domain.ActionWrite]},
		}

		if s.CanReadAccounts {
			s.Accounts = accounts
			for _, a := range accounts {
				if a.Status == domain.AccountReauthRequired || a.ExpiresSoon(now) {
					s.Reconnect = append(s.Reconnect, a)
				}
			}
		}
		if s.CanReadPosts {
			if s.Upcoming, err = tx.Posts().Upcoming(ctx, actor.CompanyID, now, HomeListLimit+1); err != nil {
				return err
			}
			if s.Attention, err = tx.Posts().NeedingAttention(ctx, actor.CompanyID, HomeListLimit+1); err != nil {
				return err
			}
			s.Upcoming, s.MoreUpcoming = cut(s.Upcoming, HomeListLimit)
			s.Attention, s.MoreAttention = cut(s.Attention, HomeListLimit)
		}
		if perm[domain.ResourceAnalytics][domain.ActionRead] {
			w, err := weekResults(ctx, tx.MetricsReader(), actor.CompanyID, s.Zone, loc, now)
			if err != nil {
				return err
			}
			s.Results = &w
		}
		return nil
	})
	if err != nil {
		return Start{}, err
	}
	return s, nil
}

// teammates reports whether the company has more than one member, or an invitation that
// can still be accepted.
func (h *Home) teammates(ctx context.Context, tx ports.Tx, company domain.CompanyID, now time.Time) (bool, error) {
	members, err := tx.Memberships().Members(ctx, company)
	if err != nil || len(members) > 1 {
		return len(members) > 1, err
	}
	invitations, err := tx.Invitations().List(ctx, company)
	if err != nil {
		return false, err
	}
	for _, inv := range invitations {
		if inv.ExpiresAt.After(now) {
			return true, nil
		}
	}
	return false, nil
}

// weekResults sums the metrics of the last seven days of the company's calendar (today
// included) and of the seven before, the way the analytics report sums a range.
func weekResults(ctx context.Context, m ports.MetricsReader, company domain.CompanyID, zone string, loc *time.Location, now time.Time) (WeekResults, error) {
	n := now.In(loc)
	to := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, loc)
	from := time.Date(n.Year(), n.Month(), n.Day()-6, 0, 0, 0, 0, loc)
	before := time.Date(n.Year(), n.Month(), n.Day()-13, 0, 0, 0, 0, loc)
	w := WeekResults{From: from.UTC(), To: to.UTC()}
	sum := func(q ports.MetricsQuery) (domain.Metrics, int, error) {
		var total domain.Metrics
		daily, err := m.Daily(ctx, q)
		if err != nil {
			return total, 0, err
		}
		for _, d := range daily {
			total = add(total, d.Metrics)
		}
		posts, err := m.Published(ctx, q)
		return total, posts, err
	}
	var err error
	if w.Totals, w.Posts, err = sum(ports.MetricsQuery{Company: company, From: w.From, To: w.To, Zone: zone}); err != nil {
		return w, err
	}
	w.Previous, w.PreviousPosts, err = sum(ports.MetricsQuery{Company: company, From: before.UTC(), To: w.From, Zone: zone})
	return w, err
}

// cut returns the first n of s, and whether there were more.
func cut[T any](s []T, n int) ([]T, bool) {
	if len(s) > n {
		return s[:n], true
	}
	return s, false
}
