package facebook

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/graph"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Commenter = (*Adapter)(nil)

// Comment publishes c under the Page's post c.Parent as the Page: POST /{post-id}/comments
// with message, with the Page token (and appsecret_proof, as every call of the graph
// client), answered {"id": comment id}
// (https://developers.facebook.com/docs/graph-api/reference/object/comments). Errors are
// Publish's: an unclear answer after the request wraps domain.ErrMaybePublished.
func (a *Adapter) Comment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, error) {
	page, err := pageOf(account)
	if err != nil {
		return ports.Published{}, err
	}
	if c.AccessToken == "" {
		return ports.Published{}, domain.Errorf(domain.CodeUnauthenticated, "Facebook: this Page has no access token. Reconnect the Page.")
	}
	if cm.Parent == "" || strings.TrimSpace(cm.Text) == "" {
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "Facebook: a comment needs its post and some text.")
	}
	params := url.Values{}
	params.Set("message", cm.Text)
	var ans idAnswer
	err = a.graph.Post(ctx, url.PathEscape(cm.Parent)+"/comments", c.AccessToken, params, &ans)
	if graph.MayHaveCreated(err) {
		return ports.Published{}, domain.MaybePublished("Facebook did not answer clearly whether the comment was published; Herald will check before sending it again.", err)
	}
	if err != nil {
		return ports.Published{}, err
	}
	if ans.ID == "" {
		return ports.Published{}, domain.MaybePublished("Facebook accepted the comment but did not say its id; Herald will check whether it was published.",
			errors.New("facebook: comment answer without id"))
	}
	return ports.Published{ExternalID: ans.ID, URL: permalink(page, cm.Parent), At: a.cfg.Now()}, nil
}

type commentAnswer struct {
	ID          string `json:"id"`
	Message     string `json:"message"`
	CreatedTime string `json:"created_time"`
	From        struct {
		ID string `json:"id"`
	} `json:"from"`
}

// LookupComment lists the post's comments (GET /{post-id}/comments with filter=stream, so
// none is left out by the default filtering, order=reverse_chronological and fields
// id,message,from,created_time; from is shown to a Page token of the Page) and returns the
// newest by the Page whose message is c's text.
func (a *Adapter) LookupComment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, bool, error) {
	page, err := pageOf(account)
	if err != nil {
		return ports.Published{}, false, err
	}
	want := strings.TrimSpace(cm.Text)
	if want == "" || cm.Parent == "" {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	params := url.Values{}
	params.Set("fields", "id,message,from,created_time")
	params.Set("filter", "stream")
	params.Set("order", "reverse_chronological")
	params.Set("limit", "100")
	var found ports.Published
	err = graph.Each(ctx, a.graph, url.PathEscape(cm.Parent)+"/comments", c.AccessToken, params, lookupPages, func(ca commentAnswer) bool {
		if ca.From.ID != page || strings.TrimSpace(ca.Message) != want {
			return true
		}
		at, err := time.Parse("2006-01-02T15:04:05-0700", ca.CreatedTime)
		if err == nil {
			at = at.UTC()
		}
		found = ports.Published{ExternalID: ca.ID, URL: permalink(page, cm.Parent), At: at}
		return false
	})
	if err != nil {
		return ports.Published{}, false, err
	}
	return found, found.ExternalID != "", nil
}
