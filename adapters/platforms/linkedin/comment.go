package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

var _ ports.Commenter = (*Adapter)(nil)

// commentBody is the body of POST /rest/socialActions/{post URN}/comments.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
type commentBody struct {
	Actor   string         `json:"actor"`
	Object  string         `json:"object"`
	Message commentMessage `json:"message"`
}

type commentMessage struct {
	Text string `json:"text"`
}

// commentAnswer is a comment as the Comments API answers it.
type commentAnswer struct {
	ID         string         `json:"id"`
	URN        string         `json:"$URN"`
	CommentURN string         `json:"commentUrn"`
	Actor      string         `json:"actor"`
	Message    commentMessage `json:"message"`
	Created    struct {
		Time int64 `json:"time"`
	} `json:"created"`
}

func (c commentAnswer) urn() string {
	switch {
	case c.URN != "":
		return c.URN
	case c.CommentURN != "":
		return c.CommentURN
	}
	return c.ID
}

// Comment publishes c under the post c.Parent as the account (the posting member or
// organization): POST /rest/socialActions/{encoded post URN}/comments with actor, object
// and message.text, and the LinkedIn-Version and X-Restli-Protocol-Version headers, answered
// 201 with the comment (its URN in $URN, or x-restli-id).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
// As for a post, an error after any of the request may have reached LinkedIn (a broken
// connection, a 5xx, a 2xx without the comment's id) wraps domain.ErrMaybePublished.
func (a *Adapter) Comment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, error) {
	owner, err := author(account)
	if err != nil {
		return ports.Published{}, err
	}
	if cm.Parent == "" || strings.TrimSpace(cm.Text) == "" {
		return ports.Published{}, domain.Errorf(domain.CodeInvalid, "LinkedIn: a comment needs its post and some text.")
	}
	const unclear = "LinkedIn did not say whether the comment was published; Herald will check before trying again."
	if err := ctx.Err(); err != nil {
		return ports.Published{}, err
	}
	cl := call{method: http.MethodPost, path: "/rest/socialActions/" + url.QueryEscape(cm.Parent) + "/comments", token: c.AccessToken,
		body: commentBody{Actor: owner, Object: cm.Parent, Message: commentMessage{Text: cm.Text}}, restli: true, what: "comment on the post"}
	ans, sent, err := a.send(ctx, cl)
	switch {
	case err != nil && sent:
		return ports.Published{}, domain.MaybePublished(unclear, err)
	case err != nil && ctx.Err() != nil:
		return ports.Published{}, err
	case err != nil:
		return ports.Published{}, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; Herald will try again.", Err: err}
	case ans.resp.StatusCode >= 500:
		return ports.Published{}, domain.MaybePublished(unclear, a.classify(ans.resp, ans.raw, cl.what))
	case ans.resp.StatusCode < 200 || ans.resp.StatusCode > 299:
		return ports.Published{}, a.classify(ans.resp, ans.raw, cl.what)
	}
	var got commentAnswer
	if len(bytes.TrimSpace(ans.raw)) > 0 {
		_ = json.Unmarshal(ans.raw, &got) // the id may still be in the header
	}
	id := got.urn()
	if id == "" {
		id = ans.resp.Header.Get("X-Restli-Id")
	}
	if id == "" {
		return ports.Published{}, domain.MaybePublished("LinkedIn accepted the comment without naming it; Herald will look for it.",
			errors.New("linkedin: comment on the post: 2xx answer without the comment's id"))
	}
	return ports.Published{ExternalID: id, URL: permalink(cm.Parent), At: a.now()}, nil
}

// LookupComment reads the post's comments (GET /rest/socialActions/{encoded post URN}/comments)
// and returns the account's whose text is c's. Reading needs r_member_social for a member
// (granted to select partners) or r_organization_social for an organization; a member's
// account without it gets ports.ErrLookupUnsupported without calling LinkedIn, as Lookup.
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/comments-api
func (a *Adapter) LookupComment(ctx context.Context, c domain.Credentials, account domain.Account, cm ports.Comment) (ports.Published, bool, error) {
	owner, err := author(account)
	if err != nil {
		return ports.Published{}, false, err
	}
	if strings.TrimSpace(cm.Text) == "" || cm.Parent == "" || isMember(owner) && !a.granted(c, scopeMemberSocial) {
		return ports.Published{}, false, ports.ErrLookupUnsupported
	}
	var page struct {
		Elements []commentAnswer `json:"elements"`
	}
	path := "/rest/socialActions/" + url.QueryEscape(cm.Parent) + "/comments?count=" + fmt.Sprint(lookupCount)
	if _, err := a.do(ctx, call{method: http.MethodGet, path: path, token: c.AccessToken, restli: true, what: "list the post's comments"}, &page); err != nil {
		return ports.Published{}, false, err
	}
	for _, e := range page.Elements {
		if e.Actor != owner || e.Message.Text != cm.Text {
			continue
		}
		out := ports.Published{ExternalID: e.urn(), URL: permalink(cm.Parent)}
		if e.Created.Time > 0 {
			out.At = msTime(e.Created.Time)
		}
		return out, true, nil
	}
	return ports.Published{}, false, nil
}
