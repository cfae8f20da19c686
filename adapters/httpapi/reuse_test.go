package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
)

type snippetAnswer struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Content string `json:"content"`
	Version int    `json:"version"`
}

func TestSnippets_CreateListUpdateDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Snippets")

	res := c.do("POST", "/snippets", map[string]string{"name": "Launch tags", "content": "#launch #herald"}).want(http.StatusCreated)
	var sn snippetAnswer
	res.decode(&sn)
	if sn.ID == "" || sn.Name != "Launch tags" || sn.Content != "#launch #herald" || sn.Version != 1 {
		t.Fatalf("created = %+v", sn)
	}
	if res.header.Get("ETag") != `"1"` || res.header.Get("Location") != "/api/v1/snippets/"+sn.ID {
		t.Errorf("ETag %q, Location %q", res.header.Get("ETag"), res.header.Get("Location"))
	}
	// Field problems: missing, empty, too long, a name taken in another case.
	p := c.do("POST", "/snippets", map[string]string{}).problem(http.StatusUnprocessableEntity)
	if f := p.fields(); !slices.Contains(f, "name") || !slices.Contains(f, "content") {
		t.Errorf("an empty body names %v", f)
	}
	p = c.do("POST", "/snippets", map[string]string{"name": strings.Repeat("n", 81), "content": strings.Repeat("c", 5001)}).problem(http.StatusUnprocessableEntity)
	if len(p.fields()) != 2 {
		t.Errorf("too long names %v", p.fields())
	}
	p = c.do("POST", "/snippets", map[string]string{"name": "LAUNCH TAGS", "content": "x"}).problem(http.StatusConflict)
	if !slices.Contains(p.fields(), "name") {
		t.Errorf("a taken name names %v", p.fields())
	}
	c.do("POST", "/snippets", `{"name": 5}`).problem(http.StatusUnprocessableEntity)

	var list struct {
		Items      []snippetAnswer `json:"items"`
		NextCursor *string         `json:"next_cursor"`
	}
	c.do("GET", "/snippets", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 1 || list.Items[0].ID != sn.ID || list.NextCursor != nil {
		t.Errorf("list = %+v", list)
	}

	// PUT with If-Match: the current version changes it, a stale one is 412.
	res = c.do("PUT", "/snippets/"+sn.ID, map[string]string{"name": "Launch", "content": "#launch"}, "If-Match", `"1"`).want(http.StatusOK)
	res.decode(&sn)
	if sn.Version != 2 || sn.Name != "Launch" || res.header.Get("ETag") != `"2"` {
		t.Errorf("updated = %+v, ETag %q", sn, res.header.Get("ETag"))
	}
	c.do("PUT", "/snippets/"+sn.ID, map[string]string{"name": "Old", "content": "old"}, "If-Match", `"1"`).problem(http.StatusPreconditionFailed)
	c.do("DELETE", "/snippets/"+sn.ID, nil, "If-Match", `"1"`).problem(http.StatusPreconditionFailed)
	c.do("GET", "/snippets/"+sn.ID, nil).want(http.StatusOK).decode(&sn)
	if sn.Name != "Launch" {
		t.Errorf("after a stale PUT: %+v", sn)
	}
	c.do("DELETE", "/snippets/"+sn.ID, nil, "If-Match", `"2"`).want(http.StatusNoContent)
	c.do("GET", "/snippets/"+sn.ID, nil).problem(http.StatusNotFound)
	c.do("GET", "/snippets/not-a-uuid", nil).problem(http.StatusNotFound)
}

func TestSnippets_AnotherCompanysSnippetIsNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	acme, rival := s.register("Acme snippets"), s.register("Rival snippets")
	var sn snippetAnswer
	acme.do("POST", "/snippets", map[string]string{"name": "Tags", "content": "#acme"}).want(http.StatusCreated).decode(&sn)
	rival.do("GET", "/snippets/"+sn.ID, nil).problem(http.StatusNotFound)
	rival.do("PUT", "/snippets/"+sn.ID, map[string]string{"name": "x", "content": "x"}).problem(http.StatusNotFound)
	rival.do("DELETE", "/snippets/"+sn.ID, nil).problem(http.StatusNotFound)
	// The rival's company header naming acme is refused as unknown too.
	rival.do("GET", "/snippets/"+sn.ID, nil, "X-Company-ID", acme.company).problem(http.StatusNotFound)
	var list struct {
		Items []snippetAnswer `json:"items"`
	}
	rival.do("GET", "/snippets", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 0 {
		t.Errorf("the rival lists %+v", list.Items)
	}
	acme.do("GET", "/snippets/"+sn.ID, nil).want(http.StatusOK)
}

func TestDuplicatePost_AnswersTheNewDraft(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Duplicates")
	keep, gone := s.ConnectAs(t, c.actor, "keep"), s.ConnectAs(t, c.actor, "gone")
	res := c.do("POST", "/posts", map[string]any{"content": "Launch day", "account_ids": []domain.AccountID{keep.ID, gone.ID},
		"variants": map[domain.AccountID]any{keep.ID: map[string]string{"content": "Launch day, for keep"}}}).want(http.StatusCreated)
	var orig struct {
		ID string `json:"id"`
	}
	res.decode(&orig)
	if err := s.Accounts.Disconnect(s.Ctx, c.actor, gone.ID); err != nil {
		t.Fatal(err)
	}

	res = c.do("POST", "/posts/"+orig.ID+"/duplicate", nil, "Idempotency-Key", "dup-1").want(http.StatusCreated)
	var dup struct {
		ID           string                              `json:"id"`
		Content      string                              `json:"content"`
		Status       string                              `json:"status"`
		ScheduledFor *string                             `json:"scheduled_for"`
		Variants     map[string]struct{ Content string } `json:"variants"`
		Targets      []struct {
			AccountID string `json:"account_id"`
		} `json:"targets"`
		DroppedAccounts []struct {
			AccountID   string `json:"account_id"`
			Platform    string `json:"platform"`
			DisplayName string `json:"display_name"`
		} `json:"dropped_accounts"`
		DroppedMediaIDs []string `json:"dropped_media_ids"`
	}
	res.decode(&dup)
	if dup.ID == orig.ID || dup.Status != "draft" || dup.ScheduledFor != nil || dup.Content != "Launch day" ||
		len(dup.Targets) != 1 || dup.Targets[0].AccountID != string(keep.ID) || dup.Variants[string(keep.ID)].Content != "Launch day, for keep" {
		t.Errorf("duplicate = %s", res.body)
	}
	if len(dup.DroppedAccounts) != 1 || dup.DroppedAccounts[0].AccountID != string(gone.ID) || dup.DroppedAccounts[0].DisplayName == "" ||
		dup.DroppedMediaIDs == nil || len(dup.DroppedMediaIDs) != 0 {
		t.Errorf("dropped = %s", res.body)
	}
	if res.header.Get("Location") != "/api/v1/posts/"+dup.ID || res.header.Get("ETag") != `"1"` {
		t.Errorf("Location %q, ETag %q", res.header.Get("Location"), res.header.Get("ETag"))
	}
	// The same Idempotency-Key answers the same copy and makes no other.
	again := c.do("POST", "/posts/"+orig.ID+"/duplicate", nil, "Idempotency-Key", "dup-1").want(http.StatusCreated)
	if string(again.body) != string(res.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the repeat = %s", again.body)
	}
	if n := s.Count(t, `SELECT count(*) FROM posts WHERE company_id = $1`, c.actor.CompanyID); n != 2 {
		t.Errorf("%d posts, want the original and one copy", n)
	}

	// Another company's post, or none, is 404; a viewer is 403.
	rival := s.register("Rival duplicates")
	s.Connect(t, rival.actor)
	rival.do("POST", "/posts/"+orig.ID+"/duplicate", nil).problem(http.StatusNotFound)
	c.do("POST", "/posts/00000000-0000-0000-0000-000000000000/duplicate", nil).problem(http.StatusNotFound)
}

func TestAnalyticsOverview_TakesALabel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Label analytics")
	var out struct {
		Label  string         `json:"label"`
		Totals map[string]int `json:"totals"`
	}
	c.do("GET", "/analytics/overview?label=Spring%20launch", nil).want(http.StatusOK).decode(&out)
	if out.Label != "Spring launch" || out.Totals == nil {
		t.Errorf("overview by label = %+v", out)
	}
	c.do("GET", "/analytics/overview?label=a%00b", nil).problem(http.StatusBadRequest)
}
