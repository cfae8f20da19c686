package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// TestPosts_FirstCommentAndLabels: a post takes a first comment (its own per variant) and
// labels, answers them (and each target's comment state), sends them back as an edit, and
// GET /posts filters by label, regardless of case, within the caller's company only.
func TestPosts_FirstCommentAndLabels(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	acme, rival := s.register("Acme labels"), s.register("Rival labels")
	a, b := s.ConnectAs(t, acme.actor, "acme-1"), s.ConnectAs(t, acme.actor, "acme-2")
	rivalAcct := s.Connect(t, rival.actor)

	type post struct {
		ID           string   `json:"id"`
		FirstComment string   `json:"first_comment"`
		Labels       []string `json:"labels"`
		Variants     map[string]struct {
			Content      string `json:"content"`
			FirstComment string `json:"first_comment"`
		} `json:"variants"`
		Targets []struct {
			AccountID    string `json:"account_id"`
			FirstComment *struct {
				Content string `json:"content"`
				Status  string `json:"status"`
			} `json:"first_comment"`
		} `json:"targets"`
	}
	body := map[string]any{"content": "Launch", "account_ids": []domain.AccountID{a.ID, b.ID}, "first_comment": "Details: https://example.com",
		"labels": []string{" Spring  launch ", "spring LAUNCH", "Q2"}, "variants": map[string]any{string(b.ID): map[string]string{"first_comment": "B's own"}}}
	var p post
	acme.do("POST", "/posts", body).want(http.StatusCreated).decode(&p)
	if p.FirstComment != "Details: https://example.com" || !slices.Equal(p.Labels, []string{"Spring launch", "Q2"}) {
		t.Fatalf("answer: comment %q labels %q", p.FirstComment, p.Labels)
	}
	if v := p.Variants[string(b.ID)]; v.FirstComment != "B's own" || v.Content != "" {
		t.Errorf("variant answered as %+v", v)
	}
	for _, tg := range p.Targets {
		want := map[string]string{string(a.ID): "Details: https://example.com", string(b.ID): "B's own"}[tg.AccountID]
		if tg.FirstComment == nil || tg.FirstComment.Content != want || tg.FirstComment.Status != "pending" {
			t.Errorf("target %s first_comment = %+v, want %q pending", tg.AccountID, tg.FirstComment, want)
		}
	}
	rival.do("POST", "/posts", map[string]any{"content": "Theirs", "account_ids": []domain.AccountID{rivalAcct.ID}, "labels": []string{"spring launch"}}).
		want(http.StatusCreated)

	var l struct {
		Items []post `json:"items"`
	}
	acme.do("GET", "/posts?label=SPRING%20LAUNCH", nil).want(http.StatusOK).decode(&l)
	if len(l.Items) != 1 || l.Items[0].ID != p.ID {
		t.Errorf("label filter answered %d posts, want acme's one", len(l.Items))
	}
	acme.do("GET", "/posts?label=nothing", nil).want(http.StatusOK).decode(reset(&l))
	if len(l.Items) != 0 {
		t.Errorf("an unused label answered %d posts", len(l.Items))
	}
	acme.do("GET", "/posts?account_id="+string(rivalAcct.ID), nil).want(http.StatusOK).decode(reset(&l))
	if len(l.Items) != 0 {
		t.Errorf("filtering by another company's account answered %d posts", len(l.Items))
	}
	if f := acme.do("GET", "/posts?account_id=nope&label=x", nil).problem(http.StatusUnprocessableEntity).fields(); !slices.Equal(f, []string{"account_id"}) {
		t.Errorf("a bad account_id names %v", f)
	}

	bad := map[string]any{"content": "x", "account_ids": []domain.AccountID{a.ID}, "labels": []string{strings.Repeat("x", 41)},
		"variants": map[string]any{string(rivalAcct.ID): map[string]string{"first_comment": "stray"}}}
	if f := acme.do("POST", "/posts", bad).problem(http.StatusUnprocessableEntity).fields(); !slices.Contains(f, "labels[0]") ||
		!slices.Contains(f, "variants."+string(rivalAcct.ID)+".first_comment") {
		t.Errorf("bad labels and a stray comment name %v", f)
	}
}

// TestPosts_CommentRetryAndResolve: a failed first comment is sent again through
// comment/retry (200, pending, the post untouched); another company's post is 404; a
// comment that did not fail is 409; resolve needs "published".
func TestPosts_CommentRetryAndResolve(t *testing.T) {
	t.Parallel()
	s := newServer(t, apptest.Publishing(app.PublishingConfig{MaxAttempts: 1, Backoff: time.Second, MaxBackoff: time.Second, CallTimeout: 5 * time.Second}))
	acme, rival := s.register("Acme comments"), s.register("Rival comments")
	a := s.Connect(t, acme.actor)
	var p struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Version int    `json:"version"`
		Targets []struct {
			Status       string `json:"status"`
			FirstComment *struct {
				Status string  `json:"status"`
				Error  *string `json:"error"`
			} `json:"first_comment"`
		} `json:"targets"`
	}
	acme.do("POST", "/posts", map[string]any{"content": "Launch", "account_ids": []domain.AccountID{a.ID}, "first_comment": "Details"}).want(http.StatusCreated).decode(&p)
	acme.do("POST", "/posts/"+p.ID+"/schedule", map[string]any{}).want(http.StatusOK).decode(&p)
	s.Net.Mu.Lock()
	s.Net.CommentScript = func(int, string) error {
		return domain.Errorf(domain.CodeForbidden, "Comments are turned off on this post.")
	}
	s.Net.Mu.Unlock()
	id := domain.PostID(p.ID)
	if err := s.Publishing.PublishPost(s.Ctx, acme.actor.CompanyID, id, p.Version); err != nil {
		t.Fatal(err)
	}
	if err := s.Publishing.PublishTarget(s.Ctx, app.TargetJob{Company: acme.actor.CompanyID, Post: id, Account: a.ID, Version: p.Version}); err != nil {
		t.Fatal(err)
	}
	if err := s.Publishing.PublishComment(s.Ctx, app.CommentJob{Company: acme.actor.CompanyID, Post: id, Account: a.ID, Version: p.Version,
		Parent: "ext-" + string(id) + "/" + string(a.ID)}); err != nil {
		t.Fatal(err)
	}
	path := "/posts/" + p.ID + "/targets/" + string(a.ID) + "/comment/"
	acme.do("GET", "/posts/"+p.ID, nil).want(http.StatusOK).decode(&p)
	if p.Status != "published" || p.Targets[0].FirstComment == nil || p.Targets[0].FirstComment.Status != "failed" || p.Targets[0].FirstComment.Error == nil {
		t.Fatalf("after a refused comment: %+v", p)
	}
	rival.do("POST", path+"retry", nil).problem(http.StatusNotFound)
	if f := acme.do("POST", path+"resolve", map[string]any{}).problem(http.StatusUnprocessableEntity).fields(); !slices.Equal(f, []string{"published"}) {
		t.Errorf("resolve without published names %v", f)
	}
	acme.do("POST", path+"resolve", map[string]any{"published": true}).problem(http.StatusConflict)
	acme.do("POST", "/posts/"+p.ID+"/targets/00000000-0000-4000-8000-000000000009/comment/retry", nil).problem(http.StatusNotFound)
	s.Net.Mu.Lock()
	s.Net.CommentScript = nil
	s.Net.Mu.Unlock()
	acme.do("POST", path+"retry", nil).want(http.StatusOK).decode(&p)
	if p.Status != "published" || p.Targets[0].Status != "published" || p.Targets[0].FirstComment.Status != "pending" {
		t.Fatalf("retried: %+v", p)
	}
	acme.do("POST", path+"retry", nil).problem(http.StatusConflict)
}
