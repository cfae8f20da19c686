package domain

import (
	"fmt"
	"time"
)

// Plan is a company's subscription level; it sets the limits in PlanLimits.
type Plan string

// The plans Herald knows.
const (
	PlanFree     Plan = "free"
	PlanPro      Plan = "pro"
	PlanBusiness Plan = "business"
)

// Plans lists every plan in ascending order.
var Plans = []Plan{PlanFree, PlanPro, PlanBusiness}

// Valid reports whether p is a known plan.
func (p Plan) Valid() bool {
	_, ok := planLimits[p]
	return ok
}

// Title is the plan's name for people: "Free", "Pro", "Business".
func (p Plan) Title() string {
	switch p {
	case PlanPro:
		return "Pro"
	case PlanBusiness:
		return "Business"
	}
	return "Free"
}

// Unlimited is a limit that is never reached.
const Unlimited = -1

// PlanLimits is what a plan allows one company. A limit of Unlimited is never reached.
//
// What each limit counts:
//   - SocialAccounts: connected accounts that are not disconnected (one that must be
//     reconnected still counts). Reconnecting an account the company has never needs room.
//   - Members: members plus open invitations, so invitations cannot go past the limit.
//   - ScheduledPostsPerMonth: posts set to go out in one calendar month (UTC). A post counts
//     once, in the month of its publishing time, from the moment it is scheduled: editing,
//     rescheduling within the month or retrying it do not count it again, and moving it to
//     another month counts it there instead. Unscheduling a post, or deleting one before it
//     went out, gives its place back; a post that was published (or tried) keeps its place,
//     even once deleted.
//   - AITokensPerMonth: AI prompt and completion tokens in one calendar month (UTC).
//   - APIRequestsPerMinute: JSON API requests acting in the company, by all its callers
//     together, in one clock minute (see RatePolicies).
//   - APITokenRequestsPerMinute: JSON API requests of one token (or web session) acting in
//     the company, in one clock minute.
//   - MaxFileBytes: one media library file, as uploaded.
//   - StorageBytes: every media library file of the company together, thumbnails not
//     counted.
type PlanLimits struct {
	SocialAccounts            int
	Members                   int
	ScheduledPostsPerMonth    int
	AITokensPerMonth          int64
	APIRequestsPerMinute      int
	APITokenRequestsPerMinute int
	// MaxFileBytes bounds one media library file; StorageBytes the company's library.
	MaxFileBytes int64
	StorageBytes int64
}

// planLimits is the one table of every plan's limits.
var planLimits = map[Plan]PlanLimits{
	PlanFree: {SocialAccounts: 3, Members: 5, ScheduledPostsPerMonth: 30, AITokensPerMonth: 20_000,
		APIRequestsPerMinute: 120, APITokenRequestsPerMinute: 60,
		MaxFileBytes: 250 << 20, StorageBytes: 2 << 30},
	PlanPro: {SocialAccounts: 10, Members: 15, ScheduledPostsPerMonth: 500, AITokensPerMonth: 500_000,
		APIRequestsPerMinute: 600, APITokenRequestsPerMinute: 300,
		MaxFileBytes: 1 << 30, StorageBytes: 50 << 30},
	PlanBusiness: {SocialAccounts: 50, Members: 100, ScheduledPostsPerMonth: Unlimited, AITokensPerMonth: 5_000_000,
		APIRequestsPerMinute: 3_000, APITokenRequestsPerMinute: 1_200,
		MaxFileBytes: 4 << 30, StorageBytes: 500 << 30},
}

// Limits returns the plan's limits; an unknown plan gets the free plan's.
func (p Plan) Limits() PlanLimits {
	if l, ok := planLimits[p]; ok {
		return l
	}
	return planLimits[PlanFree]
}

// PlanUsage is how much of its plan a company uses, in Month (for the monthly limits).
type PlanUsage struct {
	Month          time.Time
	Accounts       int
	Members        int // members plus open invitations
	ScheduledPosts int // posts counted in Month
	AITokens       int64
}

// allows reports whether used+adding stays within limit.
func allows(limit, used, adding int) bool { return limit == Unlimited || used+adding <= limit }

// CheckAccounts returns CodeLimit when adding more accounts to the connected ones would
// go past the plan's limit, nil otherwise.
func (p Plan) CheckAccounts(connected, adding int) error {
	l := p.Limits().SocialAccounts
	if allows(l, connected, adding) {
		return nil
	}
	return Errorf(CodeLimit, "Your %s plan allows %s and %s already connected. Upgrade the plan or disconnect an account first.",
		p.Title(), plural(l, "social account", "social accounts"), isAre(connected))
}

// CheckMembers returns CodeLimit when adding more people to the members and open
// invitations would go past the plan's limit, nil otherwise.
func (p Plan) CheckMembers(current, adding int) error {
	l := p.Limits().Members
	if allows(l, current, adding) {
		return nil
	}
	return Errorf(CodeLimit, "Your %s plan allows %s (open invitations included) and the company has %d. Upgrade the plan or remove a member or invitation first.",
		p.Title(), plural(l, "member", "members"), current)
}

// CheckScheduledPosts returns CodeLimit when one more post counted in month would go past
// the plan's monthly limit, where counted posts are already counted in it; nil otherwise.
func (p Plan) CheckScheduledPosts(counted int, month time.Time) error {
	l := p.Limits().ScheduledPostsPerMonth
	if allows(l, counted, 1) {
		return nil
	}
	return Errorf(CodeLimit, "Your %s plan allows %s a month and %d are already counted for %s. Upgrade the plan, unschedule a post, or schedule this one for another month.",
		p.Title(), plural(l, "scheduled post", "scheduled posts"), counted, month.UTC().Format("January 2006"))
}

// CheckAITokens returns CodeRateLimited, with the wait until the next month, when used
// tokens have spent the plan's monthly allowance in month; nil otherwise.
func (p Plan) CheckAITokens(used int64, month, now time.Time) error {
	allowance := p.Limits().AITokensPerMonth
	if allowance == Unlimited || used < allowance {
		return nil
	}
	next := month.AddDate(0, 1, 0)
	return &Error{Code: CodeRateLimited, RetryAfter: next.Sub(now), Message: fmt.Sprintf(
		"This company used its %s AI tokens for %s (the %s plan's allowance); more are available on %s, or with a bigger plan.",
		thousands64(allowance), month.Format("January"), p.Title(), next.Format("2 January"))}
}

// CheckAIRoom returns CodeRateLimited when a request that may cost up to need tokens
// cannot be reserved: with the wait until the next month when used tokens have spent the
// allowance or leave less than need, and a few seconds when other requests in flight
// (reserved) hold the rest. Call it only after a reservation found no room.
func (p Plan) CheckAIRoom(used, reserved, need int64, month, now time.Time) error {
	if err := p.CheckAITokens(used, month, now); err != nil {
		return err
	}
	allowance := p.Limits().AITokensPerMonth
	if allowance != Unlimited && used+need > allowance {
		next := month.AddDate(0, 1, 0)
		return &Error{Code: CodeRateLimited, RetryAfter: next.Sub(now), Message: fmt.Sprintf(
			"This company has %s of its %s AI tokens for %s left (the %s plan's allowance), and a request may need up to %s; more are available on %s, or with a bigger plan.",
			thousands64(allowance-used), thousands64(allowance), month.Format("January"), p.Title(), thousands64(need), next.Format("2 January"))}
	}
	return &Error{Code: CodeRateLimited, RetryAfter: 5 * time.Second,
		Message: "Other AI requests of this company are using the rest of this month's allowance right now. Try again in a few seconds."}
}

// MonthOf is the first instant of t's calendar month in UTC: the period of the monthly limits.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

func isAre(n int) string {
	if n == 1 {
		return "1 is"
	}
	return thousands(n) + " are"
}

func thousands64(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// CheckFileSize returns CodeTooLarge when one file of size bytes is over the plan's file
// size; nil otherwise.
func (p Plan) CheckFileSize(size int64) error {
	l := p.Limits().MaxFileBytes
	if size <= l {
		return nil
	}
	return Errorf(CodeTooLarge, "The file is %s; your %s plan takes files of up to %s.", bytesText(size), p.Title(), bytesText(l))
}

// CheckStorage returns CodeTooLarge when adding bytes to the company's used storage would
// go past the plan's quota; nil otherwise.
func (p Plan) CheckStorage(used, adding int64) error {
	l := p.Limits().StorageBytes
	if used+adding <= l {
		return nil
	}
	return Errorf(CodeTooLarge, "The media library would hold %s; your %s plan allows %s. Delete files you no longer use or upgrade the plan.",
		bytesText(used+adding), p.Title(), bytesText(l))
}
