package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// bulkPath is the address of POST /posts/bulk under the API's base path.
const bulkPath = "/api/v1/posts/bulk"

// MaxBulkBody is the largest body POST /posts/bulk reads: room for 1,000 posts of about
// 30 KB each. Every other JSON body stays under the server's 10 MiB.
const MaxBulkBody = "32M"

// BulkBody reports whether r is a bulk request, whose body has its own limit
// (MaxBulkBody) instead of the server's.
func BulkBody(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == bulkPath
}

// bulkPostInput is one post of POST /posts/bulk: the fields of POST /posts and, to
// schedule it, scheduled_for (absent, null or "": saved as a draft).
type bulkPostInput struct {
	postInput
	ScheduledFor *string `json:"scheduled_for"`
}

// bulkItem is one answer of POST /posts/bulk: the saved post or the problem that kept it
// out, with the item's index in the request.
type bulkItem struct {
	Index   int       `json:"index"`
	Post    *postJSON `json:"post,omitempty"`
	Problem *problem  `json:"problem,omitempty"`
}

// createPosts handles POST /posts/bulk: {"posts": [...]} with at most app.MaxBulkPosts
// items. Each item is read on its own, so one that is malformed (an unknown field, a value
// of the wrong type, an unreadable scheduled_for) answers its own problem while the others
// are saved; 200 {"items": [{"index", "post"} | {"index", "problem"}]} in request order.
// The whole request is refused (422) when posts is missing, empty or too long.
func (a *API) createPosts(c echo.Context) error {
	var in struct {
		Posts []json.RawMessage `json:"posts"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	switch {
	case len(in.Posts) == 0:
		return domain.InvalidField("posts", "is required: send at least one post")
	case len(in.Posts) > app.MaxBulkPosts:
		return domain.InvalidField("posts", fmt.Sprintf("has %d posts; at most %d in one request", len(in.Posts), app.MaxBulkPosts))
	}
	out := make([]bulkItem, len(in.Posts))
	var items []app.BulkPost
	var at []int // the request index of each of items
	for i, raw := range in.Posts {
		out[i].Index = i
		item, err := bulkPostOf(raw)
		if err != nil {
			p := toProblem(err)
			out[i].Problem = &p
			continue
		}
		items = append(items, item)
		at = append(at, i)
	}
	if len(items) > 0 {
		results, err := a.posts.CreateMany(c.Request().Context(), actor(c), items)
		if err != nil {
			return err
		}
		var saved []domain.Post
		for _, r := range results {
			if r.Err == nil {
				saved = append(saved, r.Post)
			}
		}
		posts, err := a.toPosts(c, saved...)
		if err != nil {
			return err
		}
		for j, r := range results {
			if r.Err != nil {
				p := toProblem(r.Err)
				out[at[j]].Problem = &p
				continue
			}
			out[at[j]].Post = &posts[0]
			posts = posts[1:]
		}
	}
	return c.JSON(http.StatusOK, map[string][]bulkItem{"items": out})
}

// bulkPostOf reads one item of a bulk request, or returns its problem as POST /posts and
// POST /posts/:id/schedule would name it.
func bulkPostOf(raw json.RawMessage) (app.BulkPost, error) {
	var in bulkPostInput
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return app.BulkPost{}, domain.Errorf(domain.CodeInvalid, "Each post must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return app.BulkPost{}, decodeError(err)
	}
	out := app.BulkPost{Input: in.toDomain()}
	if in.ScheduledFor != nil && *in.ScheduledFor != "" {
		t, err := time.Parse(time.RFC3339, *in.ScheduledFor)
		if err != nil {
			return app.BulkPost{}, domain.InvalidField("scheduled_for", "must be an RFC 3339 time such as 2026-11-24T15:04:05Z")
		}
		out.Schedule, out.At = true, t
	}
	return out, nil
}
