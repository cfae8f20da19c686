package linkedin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// socialActions is the summary of a post's likes and comments.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
type socialActions struct {
	LikesSummary struct {
		TotalLikes           int64 `json:"totalLikes"`
		AggregatedTotalLikes int64 `json:"aggregatedTotalLikes"`
	} `json:"likesSummary"`
	CommentsSummary struct {
		TotalFirstLevelComments int64 `json:"totalFirstLevelComments"`
		AggregatedTotalComments int64 `json:"aggregatedTotalComments"`
	} `json:"commentsSummary"`
}

// shareStatistics is the organizationalEntityShareStatistics answer for given posts.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics
type shareStatistics struct {
	Elements []struct {
		Share                string `json:"share"`
		UGCPost              string `json:"ugcPost"`
		TotalShareStatistics struct {
			UniqueImpressionsCount int64 `json:"uniqueImpressionsCount"`
			ShareCount             int64 `json:"shareCount"`
			LikeCount              int64 `json:"likeCount"`
			CommentCount           int64 `json:"commentCount"`
			ImpressionCount        int64 `json:"impressionCount"`
			ClickCount             int64 `json:"clickCount"`
		} `json:"totalShareStatistics"`
	} `json:"elements"`
}

// Metrics reads the post's likes and comments (socialActions) and, for an organization's
// post, its impressions, unique impressions (reach) and shares (organization share
// statistics, lifetime). When the statistics are refused (no rw_organization_admin), the
// likes and comments are still returned. A member's post has numbers only for an app
// granted r_member_social (select partners): otherwise it returns
// ports.ErrMetricsUnsupported without calling LinkedIn, which would answer 403.
func (a *Adapter) Metrics(ctx context.Context, c domain.Credentials, account domain.Account, externalID string) (domain.Metrics, error) {
	owner, err := author(account)
	if err != nil {
		return domain.Metrics{}, err
	}
	if !strings.HasPrefix(externalID, "urn:li:share:") && !strings.HasPrefix(externalID, "urn:li:ugcPost:") {
		return domain.Metrics{}, domain.Errorf(domain.CodeInvalid, "LinkedIn: %q is not a LinkedIn post id.", externalID)
	}
	if isMember(owner) && !a.granted(c, scopeMemberSocial) {
		// Reading a member's likes and comments needs r_member_social ("granted to select
		// developers only"); LinkedIn shares no other numbers of a member's posts.
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
		return domain.Metrics{}, ports.ErrMetricsUnsupported
	}
	var sa socialActions
	// GET /rest/socialActions/{encoded post URN}
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/network-update-social-actions
	if _, err := a.do(ctx, call{method: http.MethodGet, path: "/rest/socialActions/" + url.QueryEscape(externalID), token: c.AccessToken, restli: true, what: "read the post's likes and comments"}, &sa); err != nil {
		return domain.Metrics{}, err
	}
	m := domain.Metrics{
		Likes:    max(sa.LikesSummary.TotalLikes, sa.LikesSummary.AggregatedTotalLikes),
		Comments: max(sa.CommentsSummary.AggregatedTotalComments, sa.CommentsSummary.TotalFirstLevelComments),
	}
	if !strings.HasPrefix(owner, "urn:li:organization:") {
		return m, nil
	}
	param := "shares"
	if strings.HasPrefix(externalID, "urn:li:ugcPost:") {
		param = "ugcPosts"
	}
	// Rest.li 2.0 list syntax: List(encoded URN), parentheses left as they are.
	// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics
	path := "/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=" + url.QueryEscape(owner) +
		"&" + param + "=List(" + url.QueryEscape(externalID) + ")"
	var st shareStatistics
	if _, err := a.do(ctx, call{method: http.MethodGet, path: path, token: c.AccessToken, restli: true, what: "read the organization post's statistics"}, &st); err != nil {
		if isCode(err, domain.CodeForbidden) {
			return m, nil
		}
		return domain.Metrics{}, err
	}
	for _, e := range st.Elements {
		if e.Share != externalID && e.UGCPost != externalID {
			continue
		}
		s := e.TotalShareStatistics
		m.Impressions, m.Reach, m.Shares = s.ImpressionCount, s.UniqueImpressionsCount, s.ShareCount
		m.Likes, m.Comments = max(m.Likes, s.LikeCount), max(m.Comments, s.CommentCount)
	}
	return m, nil
}
