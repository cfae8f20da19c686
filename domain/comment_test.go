package domain

import (
	"strings"
	"testing"
	"time"
)

func commentTarget(status TargetStatus, ext string, c CommentState) Target {
	t := RestoreTarget(Target{AccountID: "a", Platform: LinkedIn}, status, ext, "", "", 1, false, time.Time{})
	return RestoreComment(t, c)
}

func TestTarget_CommentTransitions(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	pending := CommentState{Status: CommentPending}
	open := CommentState{Status: CommentPublishing, Attempts: 1, AttemptOpen: true}
	tests := []struct {
		name   string
		target Target
		do     func(t *Target) error
		ok     bool
		want   CommentState
	}{
		{"start after the post", commentTarget(TargetPublished, "urn:1", pending), (*Target).StartCommentAttempt, true,
			CommentState{Status: CommentPublishing, Attempts: 1, AttemptOpen: true}},
		{"start again after a retry", commentTarget(TargetPublished, "urn:1", CommentState{Status: CommentPublishing, Attempts: 1, Reason: "503"}), (*Target).StartCommentAttempt, true,
			CommentState{Status: CommentPublishing, Attempts: 2, AttemptOpen: true, Reason: "503"}},
		{"no start while an attempt is open", commentTarget(TargetPublished, "urn:1", open), (*Target).StartCommentAttempt, false, open},
		{"no start before the post is out", commentTarget(TargetPublishing, "", pending), (*Target).StartCommentAttempt, false, pending},
		{"never under a failed post", commentTarget(TargetFailed, "", pending), (*Target).StartCommentAttempt, false, pending},
		{"never under an unknown post", commentTarget(TargetUnknown, "", pending), (*Target).StartCommentAttempt, false, pending},
		{"never without the post's id", commentTarget(TargetPublished, "", pending), (*Target).StartCommentAttempt, false, pending},
		{"no comment, no start", commentTarget(TargetPublished, "urn:1", CommentState{}), (*Target).StartCommentAttempt, false, CommentState{}},
		{"succeed", commentTarget(TargetPublished, "urn:1", open), func(t *Target) error { return t.CommentSucceed("c1", at) }, true,
			CommentState{Status: CommentPublished, ExternalID: "c1", Attempts: 1, PublishedAt: at.UTC()}},
		{"succeed once", commentTarget(TargetPublished, "urn:1", CommentState{Status: CommentPublished, ExternalID: "c1"}), func(t *Target) error { return t.CommentSucceed("c2", at) }, false,
			CommentState{Status: CommentPublished, ExternalID: "c1"}},
		{"retry closes the attempt", commentTarget(TargetPublished, "urn:1", open), func(t *Target) error { return t.CommentRetry("busy") }, true,
			CommentState{Status: CommentPublishing, Attempts: 1, Reason: "busy"}},
		{"fail", commentTarget(TargetPublished, "urn:1", open), func(t *Target) error { return t.CommentFail("refused") }, true,
			CommentState{Status: CommentFailed, Attempts: 1, Reason: "refused"}},
		{"fail once", commentTarget(TargetPublished, "urn:1", CommentState{Status: CommentFailed, Reason: "first"}), func(t *Target) error { return t.CommentFail("second") }, false,
			CommentState{Status: CommentFailed, Reason: "first"}},
		{"unknown", commentTarget(TargetPublished, "urn:1", open), func(t *Target) error { return t.CommentUnknown("lost") }, true,
			CommentState{Status: CommentUnknown, Attempts: 1, Reason: "lost"}},
		{"unknown is final", commentTarget(TargetPublished, "urn:1", CommentState{Status: CommentUnknown}), func(t *Target) error { return t.CommentRetry("x") }, false,
			CommentState{Status: CommentUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.target
			before := tg.Status()
			err := tc.do(&tg)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && CodeOf(err) != CodeConflict {
				t.Errorf("code = %s", CodeOf(err))
			}
			if tg.Comment() != tc.want {
				t.Errorf("comment = %+v, want %+v", tg.Comment(), tc.want)
			}
			if tg.Status() != before {
				t.Errorf("the target's own status changed: %s -> %s", before, tg.Status())
			}
		})
	}
}

func TestPost_RetryAndResolveComment(t *testing.T) {
	post := func(c CommentState, status TargetStatus, ext string) Post {
		p := Post{FirstComment: "see more", Targets: []Target{commentTarget(status, ext, c)}}
		return RestorePost(p, PostPublished, "", time.Time{}, 4)
	}
	tests := []struct {
		name      string
		post      Post
		resolve   string // "" retry; "yes"/"no" resolve
		code      Code
		want      CommentStatus
		sendAgain bool
	}{
		{"retry a failed comment", post(CommentState{Status: CommentFailed, Attempts: 3, Reason: "x"}, TargetPublished, "urn:1"), "", "", CommentPending, false},
		{"retry only a failed one", post(CommentState{Status: CommentPublished}, TargetPublished, "urn:1"), "", CodeConflict, CommentPublished, false},
		{"retry needs the post's id", post(CommentState{Status: CommentFailed}, TargetPublished, ""), "", CodeConflict, CommentFailed, false},
		{"resolve as published", post(CommentState{Status: CommentUnknown}, TargetPublished, "urn:1"), "yes", "", CommentPublished, false},
		{"resolve to send again", post(CommentState{Status: CommentUnknown, Attempts: 3}, TargetPublished, "urn:1"), "no", "", CommentPending, true},
		{"resolve only an unknown one", post(CommentState{Status: CommentFailed}, TargetPublished, "urn:1"), "yes", CodeConflict, CommentFailed, false},
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.post
			var err error
			var again bool
			if tc.resolve == "" {
				err = p.RetryComment("a", now)
			} else {
				again, err = p.ResolveComment("a", tc.resolve == "yes", now)
			}
			if CodeOf(err) != tc.code && !(err == nil && tc.code == "") {
				t.Fatalf("err = %v, want %q", err, tc.code)
			}
			c := p.Targets[0].Comment()
			if c.Status != tc.want || again != tc.sendAgain {
				t.Errorf("comment %s again %v", c.Status, again)
			}
			if err == nil && c.Status == CommentPending && (c.Attempts != 0 || c.AttemptOpen) {
				t.Errorf("a comment sent again keeps %d attempts (open %v)", c.Attempts, c.AttemptOpen)
			}
			if p.Version() != 4 || p.Status() != PostPublished {
				t.Errorf("the post changed: v%d %s", p.Version(), p.Status())
			}
		})
	}
	p := post(CommentState{Status: CommentFailed}, TargetPublished, "urn:1")
	if err := p.RetryComment("other", now); CodeOf(err) != CodeNotFound {
		t.Errorf("another account's comment: %v", err)
	}
	if _, err := p.ResolveComment("other", true, now); CodeOf(err) != CodeNotFound {
		t.Errorf("another account's comment: %v", err)
	}
}

func TestPost_ResolveUnknownFailsPendingComment(t *testing.T) {
	p := RestorePost(Post{FirstComment: "x", Targets: []Target{commentTarget(TargetUnknown, "", CommentState{Status: CommentPending})}}, PostPartiallyPublished, "", time.Time{}, 2)
	if _, err := p.ResolveUnknown("a", true, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if c := p.Targets[0].Comment(); c.Status != CommentFailed || !strings.Contains(c.Reason, "by hand") {
		t.Errorf("comment = %+v", c)
	}
}

func TestPost_CheckRulesComment(t *testing.T) {
	li := Account{ID: "00000000-0000-4000-8000-000000000001", Platform: LinkedIn, DisplayName: "Li", Status: AccountActive}
	fb := Account{ID: "00000000-0000-4000-8000-000000000003", Platform: Facebook, DisplayName: "Fb", Status: AccountActive}
	in := PostInput{Content: "hello", AccountIDs: []AccountID{li.ID, fb.ID}, FirstComment: strings.Repeat("é", 1251)}
	p, err := NewPost("c", "u", in, []Account{li, fb}, now)
	if err != nil {
		t.Fatal(err)
	}
	v := FieldsOf(p.CheckRules([]Account{li, fb}, nil))
	if !strings.Contains(v["targets."+string(li.ID)], "first comment for Li (LinkedIn) is 1,251 characters long; LinkedIn takes at most 1,250") {
		t.Errorf("violations = %v", v)
	}
	if _, ok := v["targets."+string(fb.ID)]; ok || len(v) != 1 {
		t.Errorf("violations = %v", v)
	}
	in.VariantComments = map[AccountID]string{li.ID: "short"}
	p, _ = NewPost("c", "u", in, []Account{li, fb}, now)
	if err := p.CheckRules([]Account{li, fb}, nil); err != nil {
		t.Errorf("a variant's own comment: %v", err)
	}
}
