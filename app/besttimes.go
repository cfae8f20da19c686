package app

import (
	"context"
	"slices"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Thresholds of the best times to post.
const (
	// BestTimesMinPosts is how many published posts with metrics an account needs before
	// its own numbers are used instead of the general guidance.
	BestTimesMinPosts = 10
	// BestTimesMinPerHour is how many posts an hour of the week needs to be ranked.
	BestTimesMinPerHour = 2
)

// BestTime is one hour of the week (in the company's zone) and how well posts published
// then did: Score is engagement (likes, comments, shares) per impression (per reach when
// the platform counts no impressions), resting on Posts published posts. In the general
// guidance Score is 1 and Posts 0.
type BestTime struct {
	Weekday int // 1 = Monday … 7 = Sunday
	Hour    int
	Score   float64
	Posts   int
}

// The sources of best times.
const (
	BestTimesCompany = "company" // from the account's own metrics
	BestTimesDefault = "default" // general guidance for its platform
)

// BestTimes are an account's best hours to post, best first, and where they come from.
type BestTimes struct {
	Account domain.Account
	Zone    string
	Source  string
	Items   []BestTime
}

// BestTimes returns the hours of the week when the account's published posts did best,
// from the company's own stored metrics; with fewer than BestTimesMinPosts published posts
// with metrics it returns general guidance for the account's platform instead.
// Errors: CodeForbidden; CodeNotFound (no such account in the company).
func (a *Analytics) BestTimes(ctx context.Context, actor domain.Actor, account domain.AccountID) (BestTimes, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceAnalytics, domain.ActionRead); err != nil {
		return BestTimes{}, err
	}
	if !domain.IsUUID(string(account)) {
		return BestTimes{}, domain.Errorf(domain.CodeNotFound, "That account does not exist.")
	}
	var out BestTimes
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		acct, err := tx.Accounts().Get(ctx, actor.CompanyID, account)
		if err != nil {
			return err
		}
		zone, _, err := companyLoc(ctx, tx, actor.CompanyID)
		if err != nil {
			return err
		}
		hours, err := tx.MetricsReader().ByHour(ctx, actor.CompanyID, account, zone)
		if err != nil {
			return err
		}
		out = rankBestTimes(acct, hours)
		out.Zone = zone
		return nil
	})
	return out, err
}

// rankBestTimes scores the account's hours, or falls back to the general guidance.
func rankBestTimes(acct domain.Account, hours []ports.HourMetrics) BestTimes {
	total := 0
	for _, h := range hours {
		total += h.Posts
	}
	if total < BestTimesMinPosts {
		return BestTimes{Account: acct, Source: BestTimesDefault, Items: defaultBestTimes(acct.Platform)}
	}
	items := []BestTime{}
	for _, h := range hours {
		if h.Posts < BestTimesMinPerHour {
			continue
		}
		seen := h.Impressions
		if seen == 0 {
			seen = h.Reach
		}
		score := 0.0
		if seen > 0 {
			score = float64(h.Likes+h.Comments+h.Shares) / float64(seen)
		}
		items = append(items, BestTime{Weekday: h.Weekday, Hour: h.Hour, Score: score, Posts: h.Posts})
	}
	slices.SortStableFunc(items, func(x, y BestTime) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return y.Posts - x.Posts
	})
	return BestTimes{Account: acct, Source: BestTimesCompany, Items: items}
}

// bestWindow is a stretch of hours [From, To) on a weekday when a platform's posts get
// the most engagement in general.
type bestWindow struct{ Weekday, From, To int }

// studyWindows are the best times to post per platform, local time, from Sprout Social's
// "Best Times to Post on Social Media" study of 2023 (engagement across 34,000+ brands'
// profiles; summarised by Social Media Today, 10 May 2023,
// https://www.socialmediatoday.com/news/report-best-times-to-post-social-platforms-twitter-instagram-tiktok-facebook-pintrist-linkedin/650006/).
// The sandbox takes the study's all-network finding: Tuesday to Thursday, 9 am to noon.
var studyWindows = map[domain.Platform][]bestWindow{
	domain.Facebook:  {{1, 8, 13}, {2, 8, 14}, {3, 8, 13}, {4, 8, 12}},
	domain.Instagram: {{1, 10, 12}, {2, 9, 13}, {3, 10, 13}, {5, 9, 11}},
	domain.LinkedIn:  {{2, 10, 12}, {3, 10, 12}},
	domain.TikTok:    {{2, 14, 18}, {3, 14, 18}, {4, 14, 18}},
	domain.Sandbox:   {{2, 9, 12}, {3, 9, 12}, {4, 9, 12}},
}

// defaultBestTimes returns the general guidance for platform as hours: each window's
// middle hour first (one per day, in weekday order), then the rest of its hours.
func defaultBestTimes(platform domain.Platform) []BestTime {
	windows, ok := studyWindows[platform]
	if !ok {
		windows = studyWindows[domain.Sandbox]
	}
	type ranked struct {
		BestTime
		distance int
	}
	var all []ranked
	for _, w := range windows {
		mid := (w.From + w.To - 1) / 2
		for h := w.From; h < w.To; h++ {
			d := h - mid
			if d < 0 {
				d = -d*2 - 1 // earlier hours just after the later one at the same distance
			} else {
				d *= 2
			}
			all = append(all, ranked{BestTime{Weekday: w.Weekday, Hour: h, Score: 1}, d})
		}
	}
	slices.SortStableFunc(all, func(x, y ranked) int {
		if x.distance != y.distance {
			return x.distance - y.distance
		}
		return x.Weekday - y.Weekday
	})
	out := make([]BestTime, len(all))
	for i, r := range all {
		out[i] = r.BestTime
	}
	return out
}
