package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Calendar limits: the posts shown for one range, how many posts beyond that are counted
// for "and N more", how many posts one day cell of the month view shows, and the first
// hour of the working day, which the week view scrolls to.
const (
	calendarCap      = 300
	calendarCountCap = 2000
	calendarPageSize = 200
	monthCellPosts   = 4
	workdayStart     = 8
)

// The calendar's views.
const (
	viewMonth = "month"
	viewWeek  = "week"
	viewList  = "list"
)

// calendarPage is a month, a week or a month's agenda of posts, laid out in the viewer's zone.
type calendarPage struct {
	View        string // viewMonth, viewWeek or viewList
	Title       string
	Weekdays    []string
	Weeks       [][]calendarDay // month: the weeks, Monday first
	Days        []calendarDay   // week: the seven days; list: the days that have posts
	Hours       []calendarHourLabel
	Prev, Next  string
	Today       string
	MonthLink   string
	WeekLink    string
	ListLink    string
	Count       int  // posts shown
	More        int  // posts in the range beyond calendarCap
	MoreAtLeast bool // More is only a lower bound: counting stopped too
	Names       accountNames
	Self        string // this page's address (view, date, filters), which the live refresh fetches
	Events      string // the event stream that says when the posts shown change
	Filter      calendarFilter
	Accounts    []domain.Account    // the filter's choices
	Statuses    []domain.PostStatus // the filter's choices
	Labels      []string            // the filter's choices
	Date        string              // the day asked for, YYYY-MM-DD
	ClearLink   string              // this view and date without filters
	CanMove     bool                // the viewer may reschedule posts
}

// calendarHourLabel is one row of the week view's time gutter.
type calendarHourLabel struct {
	Hour  int
	Label string // "09:00"
}

// calendarDay is one day: a cell of the month, a column of the week, a heading of the list.
type calendarDay struct {
	Date     time.Time // midnight in the viewer's zone
	Outside  bool      // a day of the neighbouring month, shown to fill the week
	IsToday  bool
	Past     bool // the whole day is over: nothing can be written or moved into it
	Posts    []calendarEntry
	Hidden   int    // month view: posts of this day not shown in the cell
	WeekLink string // the week view around this day
	DayLink  string // the list view at this day
	NewLink  string // compose with a time on this day; "" for a day that is over
	Hours    []calendarHour
}

// Key is the day as YYYY-MM-DD.
func (d calendarDay) Key() string { return d.Date.Format(time.DateOnly) }

// Count is how many posts the day has, those the month cell hides included.
func (d calendarDay) Count() int { return len(d.Posts) + d.Hidden }

// calendarHour is one hour cell of a day in the week view.
type calendarHour struct {
	Hour    int
	Slot    string // the hour's start, "2006-01-02T15:04" in the viewer's zone
	Past    bool   // the hour is over
	Posts   []calendarEntry
	NewLink string
}

// calendarEntry is a post at its place in the calendar, with what its entry shows.
type calendarEntry struct {
	Post     domain.Post
	At       time.Time // the post's time, in the viewer's zone
	Line     string    // the first line of the text, shortened
	Thumb    string    // the first library file's thumbnail, "" without one
	Accounts []calendarAccount
	Movable  bool // scheduled or failed, and the viewer may schedule: a drag or the Move dialog may give it another time
	// Waiting says a post in review whose time passed is not going out ("" otherwise).
	Waiting string
}

// calendarAccount is an account as an entry's avatar shows it.
type calendarAccount struct{ domain.Account }

// calendarPost is a post at its time, before the page dresses it as an entry.
type calendarPost struct {
	Post domain.Post
	At   time.Time
}

// calendarFilter is what the calendar shows: posts of one account, one label, one status,
// or any combination; zero fields do not filter.
type calendarFilter struct {
	Account domain.AccountID
	Label   string
	Status  domain.PostStatus
}

// Any reports whether something is filtered.
func (f calendarFilter) Any() bool { return f.Account != "" || f.Label != "" || f.Status != "" }

// calendarStatuses are the statuses a post with a time can have.
var calendarStatuses = []domain.PostStatus{domain.PostInReview, domain.PostChangesRequested, domain.PostScheduled, domain.PostPublishing, domain.PostPublished,
	domain.PostPartiallyPublished, domain.PostFailed}

// calendarQuery is the address of the calendar at view, day and filter.
func calendarQuery(view string, d time.Time, f calendarFilter) url.Values {
	q := url.Values{"view": {view}}
	if !d.IsZero() {
		q.Set("date", d.Format(time.DateOnly))
	}
	if f.Account != "" {
		q.Set("account", string(f.Account))
	}
	if f.Label != "" {
		q.Set("label", f.Label)
	}
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	return q
}

func calendarLinkWith(view string, d time.Time, f calendarFilter) string {
	return routePath("calendar") + "?" + calendarQuery(view, d, f).Encode()
}

func calendarLink(view string, d time.Time) string {
	return calendarLinkWith(view, d, calendarFilter{})
}

// calendarRange is the month or week a calendar address asks for, in the viewer's zone.
type calendarRange struct {
	view       string    // viewMonth, viewWeek or viewList
	day        time.Time // the day asked for (today by default)
	today      time.Time
	start, end time.Time // [start, end) in local midnights
	filter     calendarFilter
}

// calendarRangeOf reads view=month|week|list&date=YYYY-MM-DD&account=&label=&status=
// (default: this month in the viewer's zone, everything). Day boundaries are midnights in
// that zone, so a day across a daylight saving change is 23 or 25 hours long and every
// post lands on its local day. The list view is the month's agenda. A filter value that
// is not a status, or an account that is not the company's, shows nothing rather than an
// error: the account filter is checked by the store, scoped to the company.
func calendarRangeOf(c echo.Context, now time.Time) calendarRange {
	loc := zoneOf(c)
	now = now.In(loc)
	r := calendarRange{view: viewMonth, today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)}
	r.day = r.today
	if d, err := time.ParseInLocation(time.DateOnly, c.QueryParam("date"), loc); err == nil && d.Year() > 1 && d.Year() < 10000 {
		r.day = d
	}
	r.filter = calendarFilter{Account: domain.AccountID(strings.TrimSpace(c.QueryParam("account"))),
		Label: strings.TrimSpace(c.QueryParam("label"))}
	if s := domain.PostStatus(c.QueryParam("status")); slices.Contains(calendarStatuses, s) {
		r.filter.Status = s
	}
	switch c.QueryParam("view") {
	case viewWeek:
		r.view = viewWeek
		r.start = startOfWeek(r.day)
		r.end = r.start.AddDate(0, 0, 7)
		return r
	case viewList:
		r.view = viewList
		r.start = time.Date(r.day.Year(), r.day.Month(), 1, 0, 0, 0, 0, loc)
		r.end = r.start.AddDate(0, 1, 0)
		return r
	}
	first := time.Date(r.day.Year(), r.day.Month(), 1, 0, 0, 0, 0, loc)
	r.start = startOfWeek(first)
	r.end = startOfWeek(first.AddDate(0, 1, -1)).AddDate(0, 0, 7)
	return r
}

// calendar handles GET /calendar?view=month|week|list&date=YYYY-MM-DD&account=&label=&status=;
// see calendarRangeOf.
func (h *Handler) calendar(c echo.Context) error {
	r := calendarRangeOf(c, h.now())
	view, day, today, start, end, f := r.view, r.day, r.today, r.start, r.end, r.filter
	page := calendarPage{View: view, Weekdays: []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}, Filter: f,
		Statuses: calendarStatuses, Date: day.Format(time.DateOnly)}
	first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
	page.MonthLink, page.ListLink = calendarLinkWith(viewMonth, first, f), calendarLinkWith(viewList, first, f)
	page.WeekLink = calendarLinkWith(viewWeek, first, f)
	if first.Year() == today.Year() && first.Month() == today.Month() {
		page.WeekLink = calendarLinkWith(viewWeek, today, f)
	}
	if view == viewWeek {
		page.Title = weekTitle(start, end.AddDate(0, 0, -1))
		page.Prev, page.Next = calendarLinkWith(view, start.AddDate(0, 0, -7), f), calendarLinkWith(view, start.AddDate(0, 0, 7), f)
		page.MonthLink, page.ListLink = calendarLinkWith(viewMonth, start, f), calendarLinkWith(viewList, start, f)
		page.WeekLink = calendarLinkWith(viewWeek, start, f)
	} else {
		page.Title = first.Format("January 2006")
		page.Prev, page.Next = calendarLinkWith(view, first.AddDate(0, -1, 0), f), calendarLinkWith(view, first.AddDate(0, 1, 0), f)
	}
	page.Today = calendarLinkWith(view, time.Time{}, f)
	page.Self = calendarLinkWith(view, day, f)
	page.ClearLink = calendarLink(view, day)

	ctx, actor := c.Request().Context(), actorOf(c)
	posts, more, atLeast, err := h.calendarPosts(ctx, actor, start, end, f)
	if err != nil {
		return err
	}
	page.Count, page.More, page.MoreAtLeast = len(posts), more, atLeast
	q := calendarQuery(view, day, f)
	q.Set("since", calendarFingerprint(posts, more, atLeast))
	page.Events = routePath("calendar.events") + "?" + q.Encode()

	names, accounts, err := h.accountNames(c)
	if err != nil {
		return err
	}
	page.Names, page.Accounts = names, accounts
	labels, err := h.Posts.Labels(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	page.Labels = calendarLabels(labels, f.Label)
	allows := h.allows(c)
	page.CanMove = allows == nil || allows(domain.ResourceSchedule, domain.ActionWrite)
	entries, err := h.calendarEntries(c, placePosts(posts, day.Location()), names, page.CanMove)
	if err != nil {
		return err
	}
	now := h.now()
	for _, d := range days(start, end) {
		next := d.AddDate(0, 0, 1)
		cd := calendarDay{Date: d, IsToday: d.Equal(today), Past: !next.After(now), WeekLink: calendarLinkWith(viewWeek, d, f),
			DayLink: calendarLinkWith(viewList, d, f) + "#day-" + d.Format(time.DateOnly),
			Outside: view == viewMonth && d.Month() != day.Month()}
		cd.Posts = entries[d.Format(time.DateOnly)]
		if !cd.Past {
			cd.NewLink = composeAt(newPostTime(d, now))
		}
		switch view {
		case viewWeek:
			cd.Hours = hoursOf(d, cd.Posts, now)
		case viewMonth:
			if len(cd.Posts) > monthCellPosts {
				cd.Hidden = len(cd.Posts) - monthCellPosts
				cd.Posts = cd.Posts[:monthCellPosts]
			}
		}
		switch {
		case view == viewMonth:
			if len(page.Weeks) == 0 || len(page.Weeks[len(page.Weeks)-1]) == 7 {
				page.Weeks = append(page.Weeks, nil)
			}
			page.Weeks[len(page.Weeks)-1] = append(page.Weeks[len(page.Weeks)-1], cd)
		case view == viewWeek, len(cd.Posts) > 0:
			page.Days = append(page.Days, cd)
		}
	}
	if view == viewWeek {
		for hr := range 24 {
			page.Hours = append(page.Hours, calendarHourLabel{Hour: hr, Label: time.Date(2000, 1, 1, hr, 0, 0, 0, time.UTC).Format("15:04")})
		}
	}
	return h.page(c, http.StatusOK, pageCalendar, page)
}

// calendarLabels returns the labels the filter offers: the company's, and the one
// filtered by when no post carries it (any more).
func calendarLabels(labels []ports.LabelCount, current string) []string {
	var out []string
	for _, l := range labels {
		out = append(out, l.Label)
	}
	if current != "" && !slices.ContainsFunc(out, func(l string) bool { return strings.EqualFold(l, current) }) {
		out = append([]string{current}, out...)
	}
	return out
}

// newPostTime is when a post written from an empty day is due: 09:00 on a day ahead,
// the next full hour today.
func newPostTime(day, now time.Time) time.Time {
	at := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, day.Location())
	if at.After(now) {
		return at
	}
	return now.In(day.Location()).Truncate(time.Hour).Add(time.Hour)
}

// composeAt is the compose page with its time set to at, in at's zone.
func composeAt(at time.Time) string {
	return routePath("post.new") + "?" + url.Values{"at": {at.Format(datetimeLocal)}}.Encode()
}

// hoursOf lays a day's entries out in its 24 local hours. On the day summer time begins
// one hour does not exist and holds nothing; on the day it ends one hour happens twice and
// holds the posts of both.
func hoursOf(d time.Time, posts []calendarEntry, now time.Time) []calendarHour {
	out := make([]calendarHour, 24)
	for hr := range 24 {
		at := time.Date(d.Year(), d.Month(), d.Day(), hr, 0, 0, 0, d.Location())
		out[hr] = calendarHour{Hour: hr, Slot: at.Format(datetimeLocal), Past: !at.Add(time.Hour).After(now)}
		if at.After(now) {
			out[hr].NewLink = composeAt(at)
		}
	}
	for _, p := range posts {
		hr := p.At.Hour()
		out[hr].Posts = append(out[hr].Posts, p)
	}
	return out
}

// calendarEntries dresses the placed posts as entries: first line, accounts, thumbnail of
// the first library file, and whether the post may move.
func (h *Handler) calendarEntries(c echo.Context, byDay map[string][]calendarPost, names accountNames, canMove bool) (map[string][]calendarEntry, error) {
	var firsts []domain.MediaID
	for _, ps := range byDay {
		for _, p := range ps {
			if ids := p.Post.AllMediaIDs(); len(ids) > 0 && !slices.Contains(firsts, ids[0]) {
				firsts = append(firsts, ids[0])
			}
		}
	}
	files, err := h.libraryFiles(c, firsts)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]calendarEntry, len(byDay))
	for day, ps := range byDay {
		for _, p := range ps {
			e := calendarEntry{Post: p.Post, At: p.At, Line: firstLine(p.Post.Content, 80), Movable: canMove && movable(p.Post),
				Waiting: p.Post.WaitingNote(h.now(), p.At.Location())}
			if ids := p.Post.AllMediaIDs(); len(ids) > 0 {
				if t, ok := files[ids[0]]; ok {
					e.Thumb = t.Thumb
				}
			}
			for _, t := range p.Post.Targets {
				a, ok := names[t.AccountID]
				if !ok {
					a = domain.Account{ID: t.AccountID, Platform: t.Platform, DisplayName: "Disconnected account"}
				}
				e.Accounts = append(e.Accounts, calendarAccount{a})
			}
			out[day] = append(out[day], e)
		}
	}
	return out, nil
}

// movable reports whether the calendar offers to move the post: a scheduled post, or a
// failed one (moving it schedules it again). A post being published or published stays.
func movable(p domain.Post) bool {
	return p.Status() == domain.PostScheduled || p.Status() == domain.PostFailed
}

// firstLine is the first non-blank line of s, shortened to n characters.
func firstLine(s string, n int) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			return domain.Excerpt(l, n)
		}
	}
	return ""
}

// calendarPosts pages through the posts with a time in [start, end) that pass f and
// returns the first calendarCap, how many more there are, and whether that count stopped
// at calendarCountCap (so it is only a lower bound). Drafts have no time and are left out.
func (h *Handler) calendarPosts(ctx context.Context, actor domain.Actor, start, end time.Time, f calendarFilter) (posts []domain.Post, more int, atLeast bool, err error) {
	cursor := ""
	pf := postFilterOf(f, start, end)
	for {
		ps, next, err := h.Posts.List(ctx, actor, pf, ports.Page{Limit: calendarPageSize, Cursor: cursor})
		if err != nil {
			return nil, 0, false, err
		}
		for _, p := range ps {
			if p.ScheduledFor().IsZero() {
				continue
			}
			if len(posts) < calendarCap {
				posts = append(posts, p)
			} else {
				more++
			}
		}
		if next == "" {
			return posts, more, false, nil
		}
		if len(posts)+more >= calendarCountCap {
			return posts, more, true, nil
		}
		cursor = next
	}
}

// days returns the local midnights from start up to end. Each is built from the calendar
// date, not by adding 24 hours, so days across a daylight saving change stay aligned.
func days(start, end time.Time) []time.Time {
	var out []time.Time
	for d := start; d.Before(end); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		out = append(out, d)
	}
	return out
}

// placePosts groups the posts with a time by their local day in loc ("2006-01-02"), each
// day in time order, each post at its time in loc. Drafts (no time) are not placed.
func placePosts(posts []domain.Post, loc *time.Location) map[string][]calendarPost {
	byDay := map[string][]calendarPost{}
	for _, p := range posts {
		at := p.ScheduledFor()
		if at.IsZero() {
			continue
		}
		at = at.In(loc)
		key := at.Format(time.DateOnly)
		byDay[key] = append(byDay[key], calendarPost{Post: p, At: at})
	}
	for _, ps := range byDay {
		slices.SortFunc(ps, func(a, b calendarPost) int { return a.At.Compare(b.At) })
	}
	return byDay
}

// startOfWeek returns the Monday midnight of d's week, in d's zone.
func startOfWeek(d time.Time) time.Time {
	back := (int(d.Weekday()) + 6) % 7
	return time.Date(d.Year(), d.Month(), d.Day()-back, 0, 0, 0, 0, d.Location())
}

// weekTitle names a week: "23 – 29 Nov 2026", "30 Nov – 6 Dec 2026", "28 Dec 2026 – 3 Jan 2027".
func weekTitle(first, last time.Time) string {
	switch {
	case first.Year() != last.Year():
		return first.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	case first.Month() != last.Month():
		return first.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return first.Format("2") + " – " + last.Format("2 Jan 2006")
}
