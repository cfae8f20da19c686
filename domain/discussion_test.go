package domain

import (
	"reflect"
	"testing"
	"time"
)

func TestFindMentions(t *testing.T) {
	t.Parallel()
	members := []MentionCandidate{
		{ID: "ada", Name: "Ada", Email: "ada.l@example.com"},
		{ID: "adalove", Name: "Ada Lovelace", Email: "countess@example.com"},
		{ID: "bob", Name: "Bob", Email: "b.smith@example.com"},
	}
	tests := []struct {
		text string
		want []Mention
	}{
		{"@Ada please look", []Mention{{0, 4, "ada"}}},
		{"hi @ada lovelace!", []Mention{{3, 16, "adalove"}}}, // the longest handle wins
		{"@Adam is nobody", nil},                             // a handle must end the word
		{"mail ada@example.com", nil},                        // an address is no mention
		{"@b.smith and @BOB", []Mention{{0, 8, "bob"}, {13, 17, "bob"}}},
		{"@countess, @ada.l.", []Mention{{0, 9, "adalove"}, {11, 17, "ada"}}},
		{"@nobody @", nil},
		{"(@bob)", []Mention{{1, 5, "bob"}}},
	}
	for _, tt := range tests {
		if got := FindMentions(tt.text, members); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FindMentions(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestNewPostComment_MentionsOnceEach(t *testing.T) {
	t.Parallel()
	members := []MentionCandidate{{ID: "bob", Name: "Bob", Email: "bob@example.com"}}
	c, err := NewPostComment("c", "p", User{ID: "ada", Name: "Ada"}, " @bob, @Bob: look \r\n", members, time.Unix(0, 0))
	if err != nil || !reflect.DeepEqual(c.Mentions, []UserID{"bob"}) || c.Body != "@bob, @Bob: look" || c.AuthorName != "Ada" {
		t.Fatalf("NewPostComment = %+v, %v", c, err)
	}
	if _, err := NewPostComment("c", "p", User{ID: "ada"}, "  ", nil, time.Unix(0, 0)); FieldsOf(err)["body"] == "" {
		t.Errorf("empty body: %v", err)
	}
}

func TestNewClientComment(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	if _, err := NewClientComment("c", "p", "l", " ", "hi", false, now); FieldsOf(err)["name"] == "" {
		t.Errorf("no name: %v", err)
	}
	if _, err := NewClientComment("c", "p", "l", "Cleo", "", false, now); FieldsOf(err)["body"] == "" {
		t.Errorf("empty comment: %v", err)
	}
	c, err := NewClientComment("c", "p", "l", " Cleo  Client ", "", true, now)
	if err != nil || c.Kind != PostCommentClientApproval || !c.ByClient || c.AuthorName != "Cleo Client" {
		t.Errorf("approval = %+v, %v", c, err)
	}
}

func TestNewReviewLink(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	if _, err := NewReviewLink("c", "u", "p", time.Time{}, time.Time{}, now.Add(90*day), now); err != nil {
		t.Errorf("90 days: %v", err)
	}
	for _, exp := range []time.Time{{}, now, now.Add(-time.Hour), now.Add(90*day + time.Second)} {
		if _, err := NewReviewLink("c", "u", "p", time.Time{}, time.Time{}, exp, now); FieldsOf(err)["expires_at"] == "" {
			t.Errorf("expires %v: %v, want a problem of expires_at", exp, err)
		}
	}
	if _, err := NewReviewLink("c", "u", "", now.Add(day), now, now.Add(day), now); FieldsOf(err)["to"] == "" {
		t.Errorf("backwards period: %v", err)
	}
	l, err := NewReviewLink("c", "u", "", now, now.Add(7*day), now.Add(day), now)
	if err != nil {
		t.Fatal(err)
	}
	if l.Works(now) != nil || CodeOf(l.Works(now.Add(day))) != CodeGone {
		t.Errorf("Works: %v, %v", l.Works(now), l.Works(now.Add(day)))
	}
	l.RevokedAt = now
	if CodeOf(l.Works(now)) != CodeGone {
		t.Errorf("revoked link works")
	}
}
