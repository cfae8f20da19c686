package httpapi_test

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

func TestBind_BadBodiesAnswerProblemsNeverFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Binding")
	acct := s.Connect(t, c.actor)
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		field             string // the field the problem names, if any
	}{
		{"another content type", `{"content":"x"}`, "text/plain", http.StatusUnsupportedMediaType, ""},
		{"malformed JSON", `{"content":`, "", http.StatusBadRequest, ""},
		{"two JSON values", `{"content":"x"}{"content":"y"}`, "", http.StatusBadRequest, ""},
		{"unknown field", `{"content":"x","account_ids":["` + string(acct.ID) + `"],"nope":1}`, "", http.StatusUnprocessableEntity, "nope"},
		{"wrong type", `{"content":5,"account_ids":["` + string(acct.ID) + `"]}`, "", http.StatusUnprocessableEntity, "content"},
		{"NUL in text", `{"content":"a\u0000b","account_ids":["` + string(acct.ID) + `"]}`, "", http.StatusUnprocessableEntity, "content"},
		{"invalid post", `{"content":"","account_ids":["` + string(acct.ID) + `"]}`, "", http.StatusUnprocessableEntity, "content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{}
			if tc.ctype != "" {
				headers = append(headers, "Content-Type", tc.ctype)
			}
			p := c.do("POST", "/posts", tc.body, headers...).problem(tc.status)
			if tc.field != "" && !slices.Contains(p.fields(), tc.field) {
				t.Errorf("problem names %v, want %s", p.fields(), tc.field)
			}
		})
	}
	// Nothing of the refused requests was stored.
	var list struct {
		Items []any `json:"items"`
	}
	c.do("GET", "/posts", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 0 {
		t.Errorf("refused requests stored %d posts", len(list.Items))
	}
	// Query parameters are checked as strictly as bodies.
	c.do("GET", "/posts?limit=many", nil).problem(http.StatusUnprocessableEntity)
	c.do("GET", "/posts?limit=201", nil).problem(http.StatusUnprocessableEntity)
}

func TestETag_IfMatchGuardsEveryChange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("ETags")
	acct := s.Connect(t, c.actor)
	id, etag := c.post("First words", acct.ID)
	if etag != `"1"` {
		t.Fatalf("ETag of a new post = %q, want \"1\"", etag)
	}
	if got := c.do("GET", "/posts/"+id, nil).want(http.StatusOK).header.Get("ETag"); got != etag {
		t.Errorf("GET ETag = %q, want %q", got, etag)
	}
	edit := map[string]any{"content": "Second words", "account_ids": []domain.AccountID{acct.ID}}
	res := c.do("PUT", "/posts/"+id, edit, "If-Match", etag).want(http.StatusOK)
	if got := res.header.Get("ETag"); got != `"2"` {
		t.Fatalf("ETag after an edit = %q, want \"2\"", got)
	}
	// The version the editor read is gone: 412, and the post keeps the other edit.
	c.do("PUT", "/posts/"+id, map[string]any{"content": "Lost update", "account_ids": []domain.AccountID{acct.ID}}, "If-Match", etag).problem(http.StatusPreconditionFailed)
	c.do("PUT", "/posts/"+id, edit, "If-Match", `"not-ours"`).problem(http.StatusPreconditionFailed)
	c.do("PUT", "/posts/"+id, edit, "If-Match", `W/"2"`).want(http.StatusOK) // weak tags compare by version too
	c.do("DELETE", "/posts/"+id, nil, "If-Match", `"2"`).problem(http.StatusPreconditionFailed)
	var p struct {
		Content string `json:"content"`
		Version int    `json:"version"`
	}
	c.do("GET", "/posts/"+id, nil).want(http.StatusOK).decode(&p)
	if p.Content != "Second words" || p.Version != 3 {
		t.Errorf("after the refused changes the post is %+v", p)
	}
	// Without If-Match a change applies to whatever version is current.
	c.do("PUT", "/posts/"+id, map[string]any{"content": "Blind edit", "account_ids": []domain.AccountID{acct.ID}}).want(http.StatusOK)
	c.do("DELETE", "/posts/"+id, nil, "If-Match", `"4"`).want(http.StatusNoContent)
	c.do("GET", "/posts/"+id, nil).problem(http.StatusNotFound)
}

// TestSchedule_IfMatchGuardsRescheduling reschedules a post through the API as the
// calendar's drag does in the web app: a stale If-Match answers 412 and keeps the time a
// concurrent change gave it, the current one moves it, and a post being published answers 409.
func TestSchedule_IfMatchGuardsRescheduling(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Reschedules")
	acct := s.Connect(t, c.actor)
	id, etag := c.post("Moved around", acct.ID)
	first := s.Clock.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	res := c.do("POST", "/posts/"+id+"/schedule", map[string]any{"scheduled_for": first.Format(time.RFC3339)}, "If-Match", etag).want(http.StatusOK)
	scheduled := res.header.Get("ETag")
	// Someone else moves it first; the version read before that is stale.
	c.do("POST", "/posts/"+id+"/schedule", map[string]any{"scheduled_for": first.Add(time.Hour).Format(time.RFC3339)}, "If-Match", scheduled).want(http.StatusOK)
	c.do("POST", "/posts/"+id+"/schedule", map[string]any{"scheduled_for": first.Add(2 * time.Hour).Format(time.RFC3339)}, "If-Match", scheduled).problem(http.StatusPreconditionFailed)
	var p struct {
		ScheduledFor time.Time `json:"scheduled_for"`
		Version      int       `json:"version"`
	}
	c.do("GET", "/posts/"+id, nil).want(http.StatusOK).decode(&p)
	if !p.ScheduledFor.Equal(first.Add(time.Hour)) {
		t.Errorf("after the stale reschedule the post is due %s, want %s", p.ScheduledFor, first.Add(time.Hour))
	}
	c.do("POST", "/posts/"+id+"/schedule", map[string]any{"scheduled_for": first.Add(3 * time.Hour).Format(time.RFC3339)}, "If-Match", `"`+strconv.Itoa(p.Version)+`"`).want(http.StatusOK)

	published, _ := s.Claim(t, c.actor, acct.ID, "On its way out")
	current := s.Get(t, c.actor, published.ID)
	c.do("POST", "/posts/"+string(published.ID)+"/schedule", map[string]any{"scheduled_for": first.Format(time.RFC3339)},
		"If-Match", `"`+strconv.Itoa(current.Version())+`"`).problem(http.StatusConflict)
}

func TestIdempotencyKey_ReplaysTheFirstAnswerFor24Hours(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Replays")
	acct := s.Connect(t, c.actor)
	body := map[string]any{"content": "Exactly one", "account_ids": []domain.AccountID{acct.ID}}
	first := c.do("POST", "/posts", body, "Idempotency-Key", "key-1").want(http.StatusCreated)
	again := c.do("POST", "/posts", body, "Idempotency-Key", "key-1").want(http.StatusCreated)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Errorf("the repeat = %s (replayed %q), want the first answer %s", again.body, again.header.Get("Idempotent-Replayed"), first.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("the first answer says it is a replay")
	}
	// The same key for another request is refused, naming the header.
	p := c.do("POST", "/posts", map[string]any{"content": "Something else", "account_ids": []domain.AccountID{acct.ID}}, "Idempotency-Key", "key-1").
		problem(http.StatusUnprocessableEntity)
	if !slices.Contains(p.fields(), "Idempotency-Key") {
		t.Errorf("reusing a key names %v", p.fields())
	}
	c.do("POST", "/posts", body, "Idempotency-Key", strings.Repeat("k", 256)).problem(http.StatusBadRequest)
	// Another person's key of the same name is theirs alone.
	other := s.register("Other replays")
	otherAcct := s.Connect(t, other.actor)
	if res := other.do("POST", "/posts", map[string]any{"content": "Theirs", "account_ids": []domain.AccountID{otherAcct.ID}}, "Idempotency-Key", "key-1").
		want(http.StatusCreated); res.header.Get("Idempotent-Replayed") != "" {
		t.Error("another person's request was answered with a replay")
	}
	// After 24 hours the key is free: the same request runs again.
	s.Clock.Advance(24*time.Hour + time.Minute)
	if res := c.do("POST", "/posts", body, "Idempotency-Key", "key-1").want(http.StatusCreated); res.header.Get("Idempotent-Replayed") != "" || string(res.body) == string(first.body) {
		t.Errorf("a day later the key still replays: %s", res.body)
	}
	var list struct {
		Items []struct {
			Content string `json:"content"`
		} `json:"items"`
	}
	c.do("GET", "/posts", nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 2 {
		t.Errorf("%d posts, want 2 (the first request and the one a day later)", len(list.Items))
	}
}

func TestCursor_PagesVisitEveryItemOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("Pages")
	acct := s.Connect(t, c.actor)
	want := map[string]bool{}
	for i := range 5 {
		id, _ := c.post("Post "+strconv.Itoa(i), acct.ID)
		want[id] = true
	}
	seen := map[string]bool{}
	path, pages := "/posts?limit=2", 0
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		c.do("GET", path, nil).want(http.StatusOK).decode(&page)
		pages++
		if len(page.Items) > 2 {
			t.Fatalf("page %d has %d items, limit 2", pages, len(page.Items))
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Errorf("post %s on two pages", it.ID)
			}
			seen[it.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		if pages > 5 {
			t.Fatal("the cursor never ends")
		}
		path = "/posts?limit=2&cursor=" + *page.NextCursor
	}
	if pages != 3 || len(seen) != len(want) {
		t.Errorf("%d pages with %d posts, want 3 pages with %d", pages, len(seen), len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("post %s on no page", id)
		}
	}
	if res := c.do("GET", "/posts?limit=2&cursor=not-a-cursor", nil); res.status < 400 || res.status >= 500 {
		t.Errorf("a malformed cursor = %d %s, want a 4xx problem", res.status, res.body)
	} else {
		res.problem(res.status)
	}
}

func TestCompanies_AnotherCompanysResourcesAreNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	owner := s.register("Owner Co")
	acct := s.Connect(t, owner.actor)
	postID, _ := owner.post("Private plans", acct.ID)
	var hook struct {
		ID string `json:"id"`
	}
	owner.do("POST", "/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"post.published"}}).want(http.StatusCreated).decode(&hook)
	var inv struct {
		ID string `json:"id"`
	}
	owner.do("POST", "/members", map[string]string{"email": "invitee@example.com", "role": "editor"}).want(http.StatusCreated).decode(&inv)

	stranger := s.register("Stranger Co")
	strangerAcct := s.Connect(t, stranger.actor)
	edit := map[string]any{"content": "Mine now", "account_ids": []domain.AccountID{strangerAcct.ID}}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/posts/" + postID, nil},
		{"PUT", "/posts/" + postID, edit},
		{"DELETE", "/posts/" + postID, nil},
		{"POST", "/posts/" + postID + "/schedule", map[string]any{}},
		{"DELETE", "/posts/" + postID + "/schedule", nil},
		{"POST", "/posts/" + postID + "/targets/" + string(acct.ID) + "/resolve", map[string]any{"published": false}},
		{"GET", "/analytics/posts/" + postID, nil},
		{"DELETE", "/accounts/" + string(acct.ID), nil},
		{"POST", "/accounts/" + string(acct.ID) + "/retry-failed", nil},
		{"GET", "/webhooks/" + hook.ID, nil},
		{"PUT", "/webhooks/" + hook.ID, map[string]any{"events": []string{"post.published"}}},
		{"DELETE", "/webhooks/" + hook.ID, nil},
		{"POST", "/webhooks/" + hook.ID + "/rotate", nil},
		{"POST", "/webhooks/" + hook.ID + "/test", nil},
		{"GET", "/webhooks/" + hook.ID + "/deliveries", nil},
		{"PUT", "/members/" + string(owner.actor.UserID), map[string]string{"role": "viewer"}},
		{"DELETE", "/members/" + string(owner.actor.UserID), nil},
		{"POST", "/invitations/" + inv.ID + "/renew", nil},
		{"DELETE", "/invitations/" + inv.ID, nil},
	} {
		stranger.do(r.method, r.path, r.body).problem(http.StatusNotFound)
	}
	// Naming the other company in the header is no way in either, and says nothing more.
	for _, path := range []string{"/posts/" + postID, "/posts", "/webhooks", "/members", "/company"} {
		stranger.do("GET", path, nil, "X-Company-ID", owner.company).problem(http.StatusNotFound)
	}
	// The owner's resources are all still there.
	owner.do("GET", "/posts/"+postID, nil).want(http.StatusOK)
	owner.do("GET", "/webhooks/"+hook.ID, nil).want(http.StatusOK)
	var accounts struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	owner.do("GET", "/accounts", nil).want(http.StatusOK).decode(&accounts)
	if len(accounts.Items) != 1 || accounts.Items[0].ID != string(acct.ID) || accounts.Items[0].Status != "active" {
		t.Errorf("the owner's accounts = %+v", accounts.Items)
	}
	var members struct {
		Items []struct {
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"items"`
	}
	owner.do("GET", "/members", nil).want(http.StatusOK).decode(&members)
	roles := map[string]string{}
	for _, m := range members.Items {
		roles[m.Email] = m.Role
	}
	if len(members.Items) != 2 || roles["invitee@example.com"] != "editor" || !slices.Contains(slices.Collect(maps.Values(roles)), "owner") {
		t.Errorf("the owner's members and invitations = %+v", members.Items)
	}
}

func TestCompanyHeader_ChoosesAmongTheCallersCompanies(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.register("First Co")
	first := c.company
	var second struct {
		ID string `json:"id"`
	}
	c.do("POST", "/companies", map[string]string{"name": "Second Co"}).want(http.StatusCreated).decode(&second)
	for _, tc := range []struct{ header, want string }{{first, "First Co"}, {second.ID, "Second Co"}, {" " + second.ID + " ", "Second Co"}} {
		var co struct {
			Name string `json:"name"`
		}
		c.do("GET", "/company", nil, "X-Company-ID", tc.header).want(http.StatusOK).decode(&co)
		if co.Name != tc.want {
			t.Errorf("X-Company-ID %q chose %q, want %q", tc.header, co.Name, tc.want)
		}
	}
	// Two companies and no header: 400 saying to name one.
	p := c.do("GET", "/company", nil, "X-Company-ID", "").problem(http.StatusBadRequest)
	if !strings.Contains(p.Detail, "X-Company-ID") {
		t.Errorf("the problem without a header says %q", p.Detail)
	}
	for _, bad := range []string{"00000000-0000-0000-0000-000000000000", "not-an-id"} {
		c.do("GET", "/company", nil, "X-Company-ID", bad).problem(http.StatusNotFound)
	}
	// One company and no header: that one.
	solo := s.register("Solo Co")
	var co struct {
		Name string `json:"name"`
	}
	solo.do("GET", "/company", nil, "X-Company-ID", "").want(http.StatusOK).decode(&co)
	if co.Name != "Solo Co" {
		t.Errorf("the one company without a header = %q", co.Name)
	}
	// No credentials: 401 with a challenge, before the header is looked at.
	anon := &client{s: s, company: first}
	res := anon.do("GET", "/company", nil)
	res.problem(http.StatusUnauthorized)
	if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("WWW-Authenticate = %q", res.header.Get("WWW-Authenticate"))
	}
}

func TestRateLimit_HeadersOnEveryAnswerAnd429PastTheLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, apptest.RateScale(0.01)) // small quotas, so a test reaches them
	c := s.register("Limits")
	res := c.do("GET", "/company", nil).want(http.StatusOK)
	policy, state := res.header.Get("RateLimit-Policy"), res.header.Get("RateLimit")
	if !strings.Contains(policy, ";q=") || !strings.Contains(policy, ";w=") || !strings.Contains(state, ";r=") || !strings.Contains(state, ";t=") {
		t.Fatalf("RateLimit-Policy %q, RateLimit %q", policy, state)
	}
	// Refusals carry them too, and past the limit the answer is 429 with Retry-After.
	if h := c.do("GET", "/posts/not-there", nil).header; h.Get("RateLimit") == "" {
		t.Error("a 404 has no RateLimit field")
	}
	var limited *response
	for i := 0; i < 500 && limited == nil; i++ {
		if r := c.do("GET", "/company", nil); r.status == http.StatusTooManyRequests {
			limited = r
		} else if r.status != http.StatusOK {
			t.Fatalf("request %d = %d %s", i, r.status, r.body)
		}
	}
	if limited == nil {
		t.Fatal("500 requests never reached a limit")
	}
	limited.problem(http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q", limited.header.Get("Retry-After"))
	}
	if !strings.Contains(limited.header.Get("RateLimit"), ";r=0") {
		t.Errorf("RateLimit when limited = %q, want a policy with r=0", limited.header.Get("RateLimit"))
	}
	// The window ends by the clock, not by waiting.
	s.Clock.Advance(2 * time.Hour)
	c.do("GET", "/company", nil).want(http.StatusOK)
}
