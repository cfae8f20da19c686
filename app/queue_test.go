package app_test

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// newQueueHarness is a harness whose company lives in Europe/Berlin, with its clock stopped
// on Monday 7 January 2030 at 10:00 there, and a queue of Monday 09:00 and 15:00 and
// Tuesday 09:00.
func newQueueHarness(t *testing.T) (*harness, *app.Queue) {
	t.Helper()
	h := newHarness(t, app.PublishingConfig{}, false)
	h.Clock.Set(berlinTime(t, "2030-01-07 10:00"))
	if err := h.DB.InTx(h.Ctx, func(tx ports.Tx) error {
		return tx.Companies().SetSettings(h.Ctx, h.Owner.CompanyID, map[string]string{"time_zone": "Europe/Berlin"})
	}); err != nil {
		t.Fatal(err)
	}
	q := h.Services.PostingQueue
	if _, err := q.Save(h.Ctx, h.Owner, []domain.QueueSlotInput{{Weekday: 1, Time: "15:00"}, {Weekday: 1, Time: "09:00"}, {Weekday: 2, Time: "09:00"}}, 0); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return h, q
}

func berlinTime(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func queuedIDs(t *testing.T, h *harness, q *app.Queue, actor domain.Actor) []domain.PostID {
	t.Helper()
	v, err := q.Get(h.Ctx, actor)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	var ids []domain.PostID
	for _, p := range v.Items {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestQueue_AddTakesTheNextFreeSlots(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	want := []string{"2030-01-07 15:00", "2030-01-08 09:00", "2030-01-14 09:00"}
	var posts []domain.Post
	for i, w := range want {
		d := h.Draft("queued " + w)
		p, err := q.Add(h.Ctx, h.Owner, d.ID, d.Version())
		if err != nil {
			t.Fatalf("Add #%d: %v", i, err)
		}
		if p.Status() != domain.PostScheduled || !p.ScheduledFor().Equal(berlinTime(t, w)) {
			t.Errorf("Add #%d = %s at %s, want scheduled at %s Berlin", i, p.Status(), p.ScheduledFor(), w)
		}
		if n := h.JobCount("publish_post", p.ID); n != 1 {
			t.Errorf("publish_post jobs of post #%d = %d, want 1", i, n)
		}
		posts = append(posts, p)
	}
	v, err := q.Get(h.Ctx, h.addViewer())
	if err != nil {
		t.Fatalf("Get as viewer: %v", err)
	}
	if v.Zone != "Europe/Berlin" || len(v.Slots) != 3 || v.Slots[0].Time() != "09:00" || v.Slots[1].Time() != "15:00" || v.Version != 2 {
		t.Errorf("queue = zone %s, slots %+v, version %d", v.Zone, v.Slots, v.Version)
	}
	if len(v.Items) != 3 || v.Items[0].ID != posts[0].ID || v.Items[2].ID != posts[2].ID {
		t.Errorf("items = %v, want the three posts in time order", queuedIDs(t, h, q, h.Owner))
	}
	if n := h.Count(`SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'post.queued'`, string(h.Owner.CompanyID)); n != 3 {
		t.Errorf("post.queued audit entries = %d, want 3", n)
	}

	t.Run("StaleVersionIsRefused", func(t *testing.T) {
		d := h.Draft("stale")
		if _, err := q.Add(h.Ctx, h.Owner, d.ID, d.Version()+1); domain.CodeOf(err) != domain.CodeStale {
			t.Fatalf("Add(stale) = %v, want CodeStale", err)
		}
	})
	t.Run("ViewerCannotAdd", func(t *testing.T) {
		d := h.Draft("viewer")
		if _, err := q.Add(h.Ctx, h.addViewer(), d.ID, 0); domain.CodeOf(err) != domain.CodeForbidden {
			t.Fatalf("Add(viewer) = %v, want CodeForbidden", err)
		}
	})
}

func TestQueue_ConcurrentAddsTakeDifferentSlots(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	const n = 4
	drafts := make([]domain.Post, n)
	for i := range drafts {
		drafts[i] = h.Draft("racing")
	}
	got := make([]domain.Post, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range drafts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = q.Add(h.Ctx, h.Owner, drafts[i].ID, 0)
		}()
	}
	wg.Wait()
	seen := map[time.Time]bool{}
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("Add #%d: %v", i, errs[i])
		}
		at := got[i].ScheduledFor()
		if seen[at] {
			t.Errorf("two posts took %s", at)
		}
		seen[at] = true
	}
	for _, w := range []string{"2030-01-07 15:00", "2030-01-08 09:00", "2030-01-14 09:00", "2030-01-14 15:00"} {
		if !seen[berlinTime(t, w).UTC()] {
			t.Errorf("no post took %s; took %v", w, seen)
		}
	}
}

func TestQueue_ChangingAQueuedPostFreesOrKeepsItsSlot(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	first := berlinTime(t, "2030-01-07 15:00")
	add := func(content string) domain.Post {
		t.Helper()
		d := h.Draft(content)
		p, err := q.Add(h.Ctx, h.Owner, d.ID, 0)
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		return p
	}
	p := add("edited")
	edited, err := h.Posts.Update(h.Ctx, h.Owner, p.ID, domain.PostInput{Content: "edited again", AccountIDs: []domain.AccountID{h.Account.ID}}, p.Version())
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if ids := queuedIDs(t, h, q, h.Owner); len(ids) != 1 || ids[0] != p.ID || !edited.ScheduledFor().Equal(first) {
		t.Fatalf("after an edit the queue holds %v (post at %s); want the post, still at %s", ids, edited.ScheduledFor(), first)
	}

	for _, tc := range []struct {
		name   string
		change func(p domain.Post) error
	}{
		{"ScheduledByHand", func(p domain.Post) error {
			_, err := h.Posts.Schedule(h.Ctx, h.Owner, p.ID, berlinTime(t, "2030-01-20 12:00"), p.Version())
			return err
		}},
		{"Unscheduled", func(p domain.Post) error {
			_, err := h.Posts.Unschedule(h.Ctx, h.Owner, p.ID, p.Version())
			return err
		}},
		{"PublishedNow", func(p domain.Post) error {
			_, err := h.Posts.PublishNow(h.Ctx, h.Owner, p.ID, p.Version())
			return err
		}},
		{"Deleted", func(p domain.Post) error { return h.Posts.Delete(h.Ctx, h.Owner, p.ID, p.Version()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.change(h.Get(p.ID)); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if ids := queuedIDs(t, h, q, h.Owner); len(ids) != 0 {
				t.Fatalf("queue after %s = %v, want empty", tc.name, ids)
			}
			p = add("takes the freed slot")
			if !p.ScheduledFor().Equal(first) {
				t.Fatalf("the next post added took %s, want the freed %s", p.ScheduledFor(), first)
			}
		})
	}
}

func TestQueue_Swap(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	a, _ := q.Add(h.Ctx, h.Owner, h.Draft("a").ID, 0)
	b, err := q.Add(h.Ctx, h.Owner, h.Draft("b").ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Swap(h.Ctx, h.Owner, a.ID, a.Version(), b.ID, b.Version()+1); domain.CodeOf(err) != domain.CodeStale {
		t.Fatalf("Swap(stale b) = %v, want CodeStale", err)
	}
	if _, err := q.Swap(h.Ctx, h.Owner, a.ID, a.Version()-1, b.ID, b.Version()); domain.CodeOf(err) != domain.CodeStale {
		t.Fatalf("Swap(stale a) = %v, want CodeStale", err)
	}
	got, err := q.Swap(h.Ctx, h.Owner, a.ID, a.Version(), b.ID, b.Version())
	if err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if !got[0].ScheduledFor().Equal(b.ScheduledFor()) || !got[1].ScheduledFor().Equal(a.ScheduledFor()) {
		t.Errorf("after Swap a is at %s and b at %s; want %s and %s", got[0].ScheduledFor(), got[1].ScheduledFor(), b.ScheduledFor(), a.ScheduledFor())
	}
	if ids := queuedIDs(t, h, q, h.Owner); len(ids) != 2 || ids[0] != b.ID || ids[1] != a.ID {
		t.Errorf("queue after Swap = %v, want b then a", ids)
	}
	if h.JobCount("publish_post", a.ID) != 2 || h.JobCount("publish_post", b.ID) != 2 {
		t.Errorf("each swapped post needs a new publish job")
	}
	notQueued, err := h.Posts.Schedule(h.Ctx, h.Owner, h.Draft("by hand").ID, berlinTime(t, "2030-02-01 10:00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Swap(h.Ctx, h.Owner, got[0].ID, 0, notQueued.ID, 0); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("Swap(with a post scheduled by hand) = %v, want CodeConflict", err)
	}
}

func TestQueue_SaveRules(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	if _, err := q.Save(h.Ctx, h.Owner, nil, 1); domain.CodeOf(err) != domain.CodeStale {
		t.Errorf("Save(stale version 1) = %v, want CodeStale", err)
	}
	if _, err := q.Save(h.Ctx, h.addViewer(), nil, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Save(viewer) = %v, want CodeForbidden", err)
	}
	_, err := q.Save(h.Ctx, h.Owner, []domain.QueueSlotInput{{Weekday: 9, Time: "25:00"}}, 2)
	if f := domain.FieldsOf(err); f["slots[0].weekday"] == "" || f["slots[0].time"] == "" {
		t.Errorf("Save(bad slot) fields = %v (%v)", f, err)
	}
	v, err := q.Save(h.Ctx, h.Owner, []domain.QueueSlotInput{{Weekday: 3, Time: "08:30", AccountIDs: []domain.AccountID{h.Account.ID}}}, 2)
	if err != nil || v.Version != 3 || len(v.Slots) != 1 || v.Slots[0].AccountIDs[0] != h.Account.ID {
		t.Fatalf("Save = %+v, %v", v, err)
	}

	t.Run("NoFreeSlotIsConflict", func(t *testing.T) {
		if _, err := q.Save(h.Ctx, h.Owner, nil, 3); err != nil {
			t.Fatal(err)
		}
		d := h.Draft("nowhere to go")
		_, err := q.Add(h.Ctx, h.Owner, d.ID, 0)
		if domain.CodeOf(err) != domain.CodeConflict {
			t.Fatalf("Add(empty queue) = %v, want CodeConflict", err)
		}
		if got := h.Get(d.ID); got.Status() != domain.PostDraft {
			t.Errorf("the post is %s after a refused Add, want draft", got.Status())
		}
	})
}

func TestQueue_OtherCompanyIsNeverSeenOrTouched(t *testing.T) {
	t.Parallel()
	h, q := newQueueHarness(t)
	mine, err := q.Add(h.Ctx, h.Owner, h.Draft("acme's").ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := q.Add(h.Ctx, h.Owner, h.Draft("acme's too").ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	rival := h.newCompany("Rival", domain.RoleOwner)
	rivalAccount := h.Connect(rival)
	if _, err := q.Add(h.Ctx, rival, mine.ID, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("rival Add(acme's post) = %v, want CodeNotFound", err)
	}
	if _, err := q.Swap(h.Ctx, rival, mine.ID, 0, other.ID, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("rival Swap(acme's posts) = %v, want CodeNotFound", err)
	}
	v, err := q.Get(h.Ctx, rival)
	if err != nil || len(v.Items) != 0 || len(v.Slots) != 0 || v.Zone != "UTC" {
		t.Errorf("rival's queue = %+v, %v; want its own, empty, in UTC", v, err)
	}
	_, err = q.Save(h.Ctx, rival, []domain.QueueSlotInput{{Weekday: 1, Time: "09:00", AccountIDs: []domain.AccountID{h.Account.ID}}}, 0)
	if domain.FieldsOf(err)["slots[0].account_ids[0]"] == "" {
		t.Errorf("rival Save(acme's account) = %v, want a field error", err)
	}
	// The rival's own queue at the same times is free: acme's queued posts take nothing from it.
	if _, err := q.Save(h.Ctx, rival, []domain.QueueSlotInput{{Weekday: 1, Time: "15:00"}}, 0); err != nil {
		t.Fatal(err)
	}
	theirs, err := q.Add(h.Ctx, rival, h.App.Draft(t, rival, "rival's", rivalAccount.ID).ID, 0)
	if err != nil || !theirs.ScheduledFor().Equal(berlinTime(t, "2030-01-07 15:00").Add(time.Hour)) {
		t.Errorf("rival Add = %v, %v; want Monday 15:00 UTC", theirs.ScheduledFor(), err)
	}
	if ids := queuedIDs(t, h, q, h.Owner); len(ids) != 2 {
		t.Errorf("acme's queue = %v, want its two posts only", ids)
	}
}
