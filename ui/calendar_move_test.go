package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// TestMoveCalendarPost drives the calendar's move handler against the real app and
// database: a move keeps the post's version check (412 when it changed meanwhile), a
// publishing post cannot move (409), a time in the past is refused (422), another
// company's post is not found, and a move without JavaScript goes back to the calendar.
func TestMoveCalendarPost(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	h, err := New(a.Services, Config{Log: apptest.Quiet(), Now: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	owner := a.Company(t, domain.RoleOwner)
	account := a.Connect(t, owner)
	schedule := func(content string, at time.Time) domain.Post {
		t.Helper()
		p := a.Draft(t, owner, content, account.ID)
		p, err := a.Posts.Schedule(a.Ctx, owner, p.ID, at, p.Version())
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		return p
	}
	// move posts the form as calendar.js does (js) or as a plain form, as actor.
	move := func(actor domain.Actor, id domain.PostID, at string, version int, js bool) (*httptest.ResponseRecorder, error) {
		t.Helper()
		form := url.Values{"at": {at}, "version": {strconv.Itoa(version)}, "return": {"/calendar?view=week&date=2030-01-01"}}
		req := httptest.NewRequest(http.MethodPost, "/calendar/posts/"+string(id)+"/move", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		if js {
			req.Header.Set(hxRequest, "true")
		}
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(req, rec)
		c.SetParamNames("id")
		c.SetParamValues(string(id))
		c.Set(actorKey, actor)
		c.Set(zoneKey, berlin)
		return rec, h.moveCalendarPost(c)
	}
	ahead := a.Clock.Now().In(berlin).AddDate(0, 0, 5).Truncate(time.Hour)

	t.Run("MovesToTheTimeInTheViewersZone", func(t *testing.T) {
		p := schedule("Launch day\nand more", ahead)
		to := ahead.AddDate(0, 0, 1).Add(90 * time.Minute)
		rec, err := move(owner, p.ID, to.Format(datetimeLocal), p.Version(), true)
		if err != nil || rec.Code != http.StatusOK {
			t.Fatalf("move = %d, %v: %s", rec.Code, err, rec.Body)
		}
		if got := a.Get(t, owner, p.ID); !got.ScheduledFor().Equal(to) || got.Status() != domain.PostScheduled {
			t.Errorf("after the move the post is %s at %s, want scheduled at %s", got.Status(), got.ScheduledFor(), to)
		}
		if want := "Moved “Launch day” to " + to.Format("Monday 2 January 2006 at 15:04") + "."; rec.Body.String() != want {
			t.Errorf("message = %q, want %q", rec.Body, want)
		}
	})

	t.Run("ChangedMeanwhileIs412", func(t *testing.T) {
		p := schedule("Edited elsewhere", ahead)
		if _, err := a.Posts.Schedule(a.Ctx, owner, p.ID, ahead.Add(time.Hour), p.Version()); err != nil {
			t.Fatal(err)
		}
		rec, err := move(owner, p.ID, ahead.Add(2*time.Hour).Format(datetimeLocal), p.Version(), true)
		if err != nil || rec.Code != http.StatusPreconditionFailed || rec.Body.String() != staleMove {
			t.Fatalf("a stale move = %d %q, %v; want 412 %q", rec.Code, rec.Body, err, staleMove)
		}
		if got := a.Get(t, owner, p.ID); !got.ScheduledFor().Equal(ahead.Add(time.Hour)) {
			t.Errorf("a stale move changed the time to %s", got.ScheduledFor())
		}
	})

	t.Run("PublishingPostIs409", func(t *testing.T) {
		p, _ := a.Claim(t, owner, account.ID, "On its way")
		p = a.Get(t, owner, p.ID)
		if p.Status() != domain.PostPublishing {
			t.Fatalf("the claimed post is %s", p.Status())
		}
		rec, err := move(owner, p.ID, ahead.Format(datetimeLocal), p.Version(), true)
		if err != nil || rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "cannot be scheduled again") {
			t.Errorf("moving a publishing post = %d %q, %v; want 409 with the reason", rec.Code, rec.Body, err)
		}
	})

	t.Run("PastIs422", func(t *testing.T) {
		p := schedule("Not into the past", ahead)
		past := a.Clock.Now().In(berlin).Add(-time.Minute)
		rec, err := move(owner, p.ID, past.Format(datetimeLocal), p.Version(), true)
		if err != nil || rec.Code != http.StatusUnprocessableEntity || rec.Body.String() != pastMove {
			t.Errorf("a move into the past = %d %q, %v; want 422 %q", rec.Code, rec.Body, err, pastMove)
		}
		if rec, _ := move(owner, p.ID, "yesterday", p.Version(), true); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("a time that is no time = %d, want 422", rec.Code)
		}
		if got := a.Get(t, owner, p.ID); !got.ScheduledFor().Equal(ahead) {
			t.Errorf("refused moves changed the time to %s", got.ScheduledFor())
		}
	})

	t.Run("OtherCompanysPostIsNotFound", func(t *testing.T) {
		p := schedule("Ours", ahead)
		rival := a.Company(t, domain.RoleOwner)
		_, err := move(rival, p.ID, ahead.Add(time.Hour).Format(datetimeLocal), p.Version(), true)
		if got := domain.CodeOf(err); got != domain.CodeNotFound {
			t.Errorf("moving another company's post: code %q (%v), want not_found", got, err)
		}
		if got := a.Get(t, owner, p.ID); !got.ScheduledFor().Equal(ahead) {
			t.Errorf("the rival moved our post to %s", got.ScheduledFor())
		}
	})

	t.Run("WithoutJavaScriptGoesBackToTheCalendar", func(t *testing.T) {
		p := schedule("Plain form", ahead)
		rec, err := move(owner, p.ID, ahead.Add(time.Hour).Format(datetimeLocal), p.Version(), false)
		if err != nil || rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/calendar?view=week&date=2030-01-01" {
			t.Errorf("a plain move = %d to %q, %v", rec.Code, rec.Header().Get("Location"), err)
		}
		if got := calendarReturn("https://evil.example/calendar"); got != "/calendar" {
			t.Errorf("calendarReturn(elsewhere) = %q", got)
		}
	})
}

// TestCalendar_WeekHoursAcrossDaylightSavingChanges places posts in the week view's
// hours in Berlin: on 25 October 2026 02:30 happens twice and both posts are in the 02
// hour; on 28 March 2027 02:00–03:00 does not exist, so that hour holds nothing and
// offers no new post.
func TestCalendar_WeekHoursAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	post := func(at time.Time) domain.Post {
		return domain.RestorePost(domain.Post{ID: domain.PostID(at.String())}, domain.PostScheduled, "", at, 1)
	}
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	summer := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	winter := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // 02:30 CET
	draft := domain.RestorePost(domain.Post{ID: "draft", CreatedAt: summer}, domain.PostDraft, "", time.Time{}, 1)
	byDay := placePosts([]domain.Post{post(winter), draft, post(summer)}, berlin)
	var entries []calendarEntry
	for _, p := range byDay["2026-10-25"] {
		entries = append(entries, calendarEntry{Post: p.Post, At: p.At})
	}
	if len(entries) != 2 {
		t.Fatalf("25 October holds %d posts, want the two scheduled ones (a draft has no time)", len(entries))
	}
	hours := hoursOf(time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), entries, now)
	if got := hours[2].Posts; len(got) != 2 || !got[0].At.Equal(summer) || !got[1].At.Equal(winter) {
		t.Errorf("the 02 hour of 25 October holds %v, want both 02:30s in time order", got)
	}
	if hours[2].Slot != "2026-10-25T02:00" || hours[3].NewLink != "/posts/new?at=2026-10-25T03%3A00" {
		t.Errorf("hour slots: %q, new post %q", hours[2].Slot, hours[3].NewLink)
	}

	spring := time.Date(2027, 3, 28, 0, 0, 0, 0, berlin)
	at := time.Date(2027, 3, 28, 1, 15, 0, 0, time.UTC) // 03:15 CEST
	byDay = placePosts([]domain.Post{post(at)}, berlin)
	hours = hoursOf(spring, []calendarEntry{{Post: byDay["2027-03-28"][0].Post, At: byDay["2027-03-28"][0].At}}, now)
	if len(hours[2].Posts) != 0 || len(hours[3].Posts) != 1 {
		t.Errorf("28 March: 02 hour %d posts, 03 hour %d; want 0 and 1", len(hours[2].Posts), len(hours[3].Posts))
	}
	past := hoursOf(spring, nil, time.Date(2027, 3, 28, 12, 10, 0, 0, berlin))
	if !past[11].Past || past[11].NewLink != "" || past[12].Past || past[12].NewLink != "" || past[13].NewLink == "" {
		t.Errorf("at 12:10 the hours 11, 12, 13 are past %t %t %t, new post %q %q %q", past[11].Past, past[12].Past, past[13].Past,
			past[11].NewLink, past[12].NewLink, past[13].NewLink)
	}
	if got := newPostTime(spring, time.Date(2027, 3, 28, 12, 10, 0, 0, berlin)); !got.Equal(time.Date(2027, 3, 28, 13, 0, 0, 0, berlin)) {
		t.Errorf("a new post today is due %s, want the next full hour", got)
	}
	if got := initials("north-desk"); got != "ND" {
		t.Errorf("initials = %q", got)
	}
	if got := firstLine("\n  Launch day  \nmore", 80); got != "Launch day" {
		t.Errorf("firstLine = %q", got)
	}
}

// TestCalendar_FiltersByAccountLabelAndStatus renders the calendar against the real app
// with each filter and their combination; another company's account shows nothing.
func TestCalendar_FiltersByAccountLabelAndStatus(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	h, err := New(a.Services, Config{Log: apptest.Quiet(), Now: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	owner := a.Company(t, domain.RoleOwner)
	north, south := a.ConnectAs(t, owner, "north"), a.ConnectAs(t, owner, "south")
	rival := a.Company(t, domain.RoleOwner)
	theirs := a.ConnectAs(t, rival, "theirs")
	at := a.Clock.Now().UTC().AddDate(0, 0, 3).Truncate(time.Hour)
	schedule := func(content string, labels []string, accounts ...domain.AccountID) domain.PostID {
		t.Helper()
		p, err := a.Posts.Create(a.Ctx, owner, domain.PostInput{Content: content, AccountIDs: accounts, Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Posts.Schedule(a.Ctx, owner, p.ID, at, p.Version()); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	launch := schedule("Launch north", []string{"Launch"}, north.ID)
	both := schedule("Both desks", []string{"Launch", "Winter"}, north.ID, south.ID)
	southOnly := schedule("South only", nil, south.ID)
	if _, err := a.Posts.Create(a.Ctx, owner, domain.PostInput{Content: "A draft", AccountIDs: []domain.AccountID{north.ID}}); err != nil {
		t.Fatal(err)
	}

	shown := func(query string) []string {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/calendar?view=list&date="+at.Format(time.DateOnly)+"&"+query, nil)
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(req, rec)
		c.Set(actorKey, owner)
		if err := h.calendar(c); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("calendar?%s = %d, %v", query, rec.Code, err)
		}
		doc, err := goquery.NewDocumentFromReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		doc.Find("#calendar .cal-post").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-post", "")) })
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...domain.PostID) []string {
		var out []string
		for _, id := range ids {
			out = append(out, string(id))
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", sorted(launch, both, southOnly)},
		{"account=" + string(north.ID), sorted(launch, both)},
		{"label=launch", sorted(launch, both)},
		{"label=Winter&account=" + string(south.ID), sorted(both)},
		{"status=scheduled&account=" + string(south.ID), sorted(both, southOnly)},
		{"status=published", nil},
		{"status=nonsense", sorted(launch, both, southOnly)},
		{"account=" + string(theirs.ID), nil},
	} {
		if got := shown(c.query); !slices.Equal(got, c.want) {
			t.Errorf("calendar?%s shows %v, want %v", c.query, got, c.want)
		}
	}
}

// TestNewPost_TakesTheCalendarSlotsTime opens the composer as an empty slot of the
// calendar does: a time ahead fills the field, a past one is kept with a problem beside it,
// and one that is no time shows a problem and fills nothing.
func TestNewPost_TakesTheCalendarSlotsTime(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	h, err := New(a.Services, Config{Log: apptest.Quiet(), Now: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	owner := a.Company(t, domain.RoleOwner)
	a.Connect(t, owner) // the composer asks for an account first
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ahead := a.Clock.Now().In(tokyo).AddDate(0, 0, 2).Truncate(time.Hour).Format(datetimeLocal)
	past := a.Clock.Now().In(tokyo).AddDate(0, 0, -2).Truncate(time.Hour).Format(datetimeLocal)
	for _, c := range []struct{ at, value, problem string }{
		{ahead, ahead, ""},
		{past, past, "has passed"},
		{"tomorrow-ish", "", "is not a date and time"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/posts/new?"+url.Values{"at": {c.at}}.Encode(), nil)
		rec := httptest.NewRecorder()
		ctx := echo.New().NewContext(req, rec)
		ctx.Set(actorKey, owner)
		ctx.Set(zoneKey, tokyo)
		if err := h.newPost(ctx); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("compose?at=%s = %d, %v", c.at, rec.Code, err)
		}
		doc, err := goquery.NewDocumentFromReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Find("#scheduled_for").AttrOr("value", ""); got != c.value {
			t.Errorf("compose?at=%s: the time field holds %q, want %q", c.at, got, c.value)
		}
		if got := doc.Find("#scheduled-for-error").Text(); (c.problem == "") != (got == "") || !strings.Contains(got, c.problem) {
			t.Errorf("compose?at=%s: problem %q, want %q", c.at, got, c.problem)
		}
	}
}
