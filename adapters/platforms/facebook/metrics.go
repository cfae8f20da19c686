package facebook

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/heraldhq/herald/domain"
)

// The post fields read for engagement (https://developers.facebook.com/documentation/pages-api/posts.md):
// reactions and comments summaries (pages_read_engagement; Meta may ask more for comments on
// some Pages) and shares.
const (
	fieldReactions = "reactions.summary(true).limit(0)"
	fieldComments  = "comments.summary(true).limit(0)"
	fieldShares    = "shares"
)

// The post insights asked for. Meta replaced the impressions metrics with views on
// November 15, 2025: post_media_view counts views, post_total_media_view_unique the people
// reached (https://developers.facebook.com/documentation/pages-api/platforminsights/page/deprecated-metrics,
// https://developers.facebook.com/blog/post/2025/08/15/page-insights-api-updates/).
const (
	metricViews = "post_media_view"
	metricReach = "post_total_media_view_unique"
)

type postCounts struct {
	Reactions *struct {
		Summary struct {
			TotalCount int64 `json:"total_count"`
		} `json:"summary"`
	} `json:"reactions"`
	Comments *struct {
		Summary struct {
			TotalCount int64 `json:"total_count"`
		} `json:"summary"`
	} `json:"comments"`
	Shares *struct {
		Count int64 `json:"count"`
	} `json:"shares"`
}

type insightsAnswer struct {
	Data []struct {
		Name   string `json:"name"`
		Values []struct {
			Value json.RawMessage `json:"value"`
		} `json:"values"`
	} `json:"data"`
}

// Metrics reads the post's reactions, comments and shares (GET /{post-id} with
// reactions.summary(true), comments.summary(true) and shares,
// https://developers.facebook.com/documentation/pages-api/posts.md) and its views and reach
// (GET /{post-id}/insights, https://developers.facebook.com/docs/graph-api/reference/insights).
// Each number stands alone: when Facebook refuses one (a permission not granted, a metric it
// does not offer for this post, a Page under 100 likes for insights), that one stays zero and
// the others are still read. A refused token, a rate limit, Facebook being unavailable or the
// post being gone end the read with that error, and so does a refusal of every number.
func (a *Adapter) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	if !graphID.MatchString(externalID) {
		return domain.Metrics{}, domain.Errorf(domain.CodeInvalid, "Facebook: the post has no valid id to read numbers for.")
	}
	var m domain.Metrics
	// One call for the three fields; when Facebook refuses it, each field alone.
	var counts postCounts
	read, refusals, err := together([]string{fieldReactions, fieldComments, fieldShares}, func(fields []string) (postCounts, error) {
		var ans postCounts
		err := a.graph.Get(ctx, externalID, c.AccessToken, map[string][]string{"fields": {strings.Join(fields, ",")}}, &ans)
		return ans, err
	}, func(one postCounts) { mergeCounts(&counts, one) })
	if err != nil {
		return domain.Metrics{}, err
	}
	if counts.Reactions != nil {
		m.Likes = counts.Reactions.Summary.TotalCount
	}
	if counts.Comments != nil {
		m.Comments = counts.Comments.Summary.TotalCount
	}
	if counts.Shares != nil {
		m.Shares = counts.Shares.Count // absent while nobody shared
	}

	// The same for the insights.
	n, more, err := together([]string{metricViews, metricReach}, func(metrics []string) (insightsAnswer, error) {
		var ans insightsAnswer
		err := a.graph.Get(ctx, externalID+"/insights", c.AccessToken, map[string][]string{"metric": {strings.Join(metrics, ",")}}, &ans)
		return ans, err
	}, func(one insightsAnswer) { applyInsights(&m, one) })
	if err != nil {
		return domain.Metrics{}, err
	}
	read, refusals = read+n, append(refusals, more...)
	if read == 0 && len(refusals) > 0 {
		return domain.Metrics{}, refusals[0]
	}
	return m, nil
}

// together reads names in one call and hands the answer to use; when Facebook refuses that
// call (refused), it reads each name alone, so one refused number does not cost the others.
// It returns how many names were read, the refusals, and the first error that ends the
// whole read.
func together[T any](names []string, get func([]string) (T, error), use func(T)) (int, []error, error) {
	ans, err := get(names)
	switch {
	case err == nil:
		use(ans)
		return len(names), nil, nil
	case !refused(err):
		return 0, nil, err
	}
	read, refusals := 0, []error(nil)
	for _, name := range names {
		one, err := get([]string{name})
		if refused(err) {
			refusals = append(refusals, err)
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		read++
		use(one)
	}
	return read, refusals, nil
}

// refused reports whether Facebook refused one number (a permission, a metric it does not
// offer), as opposed to the whole read (the token, a limit, an outage, the post gone).
func refused(err error) bool {
	c := domain.CodeOf(err)
	return err != nil && (c == domain.CodeForbidden || c == domain.CodeInvalid)
}

func mergeCounts(dst *postCounts, src postCounts) {
	if src.Reactions != nil {
		dst.Reactions = src.Reactions
	}
	if src.Comments != nil {
		dst.Comments = src.Comments
	}
	if src.Shares != nil {
		dst.Shares = src.Shares
	}
}

func applyInsights(m *domain.Metrics, ins insightsAnswer) {
	for _, d := range ins.Data {
		if len(d.Values) == 0 {
			continue
		}
		var n int64
		if json.Unmarshal(d.Values[len(d.Values)-1].Value, &n) != nil {
			continue
		}
		switch d.Name {
		case metricViews:
			m.Impressions = n
		case metricReach:
			m.Reach = n
		}
	}
}
