package domain

import (
	"strings"
	"testing"
)

func TestCleanLabels(t *testing.T) {
	v := Violations{}
	got := CleanLabels("labels", []string{"  Summer  sale ", "summer SALE", "", "Launch", strings.Repeat("x", 41), "bad\x00label"}, v)
	if strings.Join(got, "|") != "Summer sale|Launch" {
		t.Fatalf("labels = %q", got)
	}
	if len(v) != 2 || v["labels[4]"] == "" || v["labels[5]"] == "" {
		t.Fatalf("violations = %v", v)
	}
	many := make([]string, MaxLabels+1)
	for i := range many {
		many[i] = strings.Repeat("l", i+1)
	}
	v = Violations{}
	CleanLabels("labels", many, v)
	if v["labels"] == "" {
		t.Fatalf("%d labels accepted", len(many))
	}
}

func TestPost_FirstCommentPerTarget(t *testing.T) {
	li := Account{ID: "00000000-0000-4000-8000-000000000001", Platform: LinkedIn, DisplayName: "Li", Status: AccountActive}
	tt := Account{ID: "00000000-0000-4000-8000-000000000002", Platform: TikTok, DisplayName: "Tt", Status: AccountActive}
	fb := Account{ID: "00000000-0000-4000-8000-000000000003", Platform: Facebook, DisplayName: "Fb", Status: AccountActive}
	accounts := []Account{li, tt, fb}
	in := PostInput{Content: "hello", AccountIDs: []AccountID{li.ID, tt.ID, fb.ID}, FirstComment: " more at example.com ",
		VariantComments: map[AccountID]string{fb.ID: "Facebook's own"}, Labels: []string{"Launch", "launch"}}
	p, err := NewPost("c", "u", in, accounts, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.FirstComment != "more at example.com" || len(p.Labels) != 1 || !p.HasLabel("LAUNCH") {
		t.Fatalf("post = %q %q", p.FirstComment, p.Labels)
	}
	want := map[Platform]struct {
		text   string
		status CommentStatus
	}{LinkedIn: {"more at example.com", CommentPending}, TikTok: {"", CommentNone}, Facebook: {"Facebook's own", CommentPending}}
	for _, tg := range p.Targets {
		if got := p.CommentFor(tg); got != want[tg.Platform].text || tg.Comment().Status != want[tg.Platform].status {
			t.Errorf("%s: comment %q %q", tg.Platform, got, tg.Comment().Status)
		}
	}

	in.VariantComments = map[AccountID]string{tt.ID: "no comments on TikTok", "00000000-0000-4000-8000-000000000009": "stray"}
	in.FirstComment = strings.Repeat("a", MaxCommentRunes+1)
	_, err = NewPost("c", "u", in, accounts, now)
	v := FieldsOf(err)
	for _, f := range []string{"first_comment", "variants." + string(tt.ID) + ".first_comment", "variants.00000000-0000-4000-8000-000000000009.first_comment"} {
		if v[f] == "" {
			t.Errorf("no problem for %s in %v", f, v)
		}
	}
}
