package instagram

import (
	"context"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Commenter = (*Adapter)(nil)

// Comment publishes c under the account's media c.Parent: POST /{ig-media-id}/comments with
// message, answered {"id": comment id}
// (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments).
// An unclear answer after the request wraps domain.ErrMaybePublished, as media_publish's.
func (a *Adapter) Comment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, error) {
	if cm.Parent == "" || strings.TrimSpace(cm.Text) == "" {
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Instagram: a comment needs its post and some text.")
	}
	var ans struct {
		ID string `json:"id"`
	}
	if err := a.graph.Post(ctx, url.PathEscape(cm.Parent)+"/comments", c.AccessToken, url.Values{"message": {cm.Text}}, &ans); err != nil {
		return ports.Published{}, commentOutcome(err)
	}
	if ans.ID == "" {
		return ports.Published{}, domain.MaybePublished(maybeComment, errorf("comments answered without a comment id"))
	}
	return ports.Published{ExternalID: ans.ID, At: a.cfg.Now()}, nil
}

const maybeComment = "Instagram did not say whether the comment was published; Herald looks for it before sending it again."

// commentOutcome is publishOutcome for a comment.
func commentOutcome(err error) error {
	if graph.MayHaveCreated(err) {
		return domain.MaybePublished(maybeComment, err)
	}
	return igError(err)
}

// LookupComment reads the media's comments (GET /{ig-media-id}/comments with fields
// id,text,timestamp,username,from) and returns the first by the account (its id in from, or
// its username) whose text is c's.
func (a *Adapter) LookupComment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, bool, error) {
	want := strings.TrimSpace(cm.Text)
	if want == "" || cm.Parent == "" {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	var answer struct {
		Data []struct {
			ID        string `json:"id"`
			Text      string `json:"text"`
			Timestamp string `json:"timestamp"`
			Username  string `json:"username"`
			From      struct {
				ID       string `json:"id"`
				Username string `json:"username"`
			} `json:"from"`
		} `json:"data"`
	}
	params := url.Values{"fields": {"id,text,timestamp,username,from"}, "limit": {"50"}}
	if err := a.get(ctx, url.PathEscape(cm.Parent)+"/comments", params, c.AccessToken, &answer); err != nil {
		return ports.Published{}, false, err
	}
	for _, m := range answer.Data {
		mine := m.From.ID == account.ExternalID || (account.DisplayName != "" && (m.Username == account.DisplayName || m.From.Username == account.DisplayName))
		if !mine || strings.TrimSpace(m.Text) != want {
			continue
		}
		out := ports.Published{ExternalID: m.ID}
		if t, ok := parseTime(m.Timestamp); ok {
			out.At = t
		}
		return out, true, nil
	}
	return ports.Published{}, false, nil
}
