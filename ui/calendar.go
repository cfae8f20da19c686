package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Calendar limits: the posts shown for one range, how many posts beyond that are counted
// for "and N more", and how many posts one day cell of the month view shows.
const (
	calendarCap      = 300
	calendarCountCap = 2000
	calendarPageSize = 200
	monthCellPosts   = 4
)

// calendarPage is a month or a week of posts, laid out in the viewer's zone.
type calendarPage struct {
	View        string // "month" or "week"
	Title       string
	Weekdays    []string
	Weeks       [][]calendarDay
	Prev, Next  string
	Today       string
	MonthLink   string
	WeekLink    string
	Count       int  // posts shown
	More        int  // posts in the range beyond calendarCap
	MoreAtLeast bool // More is only a lower bound: counting stopped too
	Names       accountNames
	Self        string // this month or week's address, which the live refresh fetches
	Events      string // the event stream that says when the posts shown change
}

// calendarDay is one day cell.
type calendarDay struct {
	Date     time.Time // midnight in the viewer's zone
	Outside  bool      // a day of the neighbouring month, shown to fill the week
	IsToday  bool
	Posts    []calendarPost
	Hidden   int    // month view: posts of this day not shown in the cell
	WeekLink string // the week view around this day
}

// calendarPost is a post at its place in the calendar: its scheduled time, or when it was
// written for a draft that was never scheduled.
type calendarPost struct {
	Post domain.Post
	At   time.Time
}

func calendarLink(view string, d time.Time) string {
	return routePath("calendar") + "?view=" + view + "&date=" + d.Format(time.DateOnly)
}

// calendarRange is the month or week a calendar address asks for, in the viewer's zone.
type calendarRange struct {
	view       string    // "month" or "week"
	day        time.Time // the day asked for (today by default)
	today      time.Time
	start, end time.Time // [start, end) in local midnights
}

// calendarRangeOf reads view=month|week&date=YYYY-MM-DD (default: this month in the
// viewer's zone). Day boundaries are midnights in that zone, so a day across a daylight
// saving change is 23 or 25 hours long and every post lands on its local day.
func calendarRangeOf(c echo.Context, now time.Time) calendarRange {
	loc := zoneOf(c)
	now = now.In(loc)
	r := calendarRange{view: "month", today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)}
	r.day = r.today
	if d, err := time.ParseInLocation(time.DateOnly, c.QueryParam("date"), loc); err == nil {
		r.day = d
	}
	if c.QueryParam("view") == "week" {
		r.view = "week"
		r.start = startOfWeek(r.day)
		r.end = r.start.AddDate(0, 0, 7)
		return r
	}
	first := time.Date(r.day.Year(), r.day.Month(), 1, 0, 0, 0, 0, loc)
	r.start = startOfWeek(first)
	r.end = startOfWeek(first.AddDate(0, 1, -1)).AddDate(0, 0, 7)
	return r
}

// calendar handles GET /calendar?view=month|week&date=YYYY-MM-DD; see calendarRangeOf.
func (h *Handler) calendar(c echo.Context) error {
	r := calendarRangeOf(c, h.now())
	view, day, today, start, end := r.view, r.day, r.today, r.start, r.end
	page := calendarPage{View: view, Weekdays: []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}}
	if view == "week" {
		page.Title = weekTitle(start, end.AddDate(0, 0, -1))
		page.Prev, page.Next = calendarLink(view, start.AddDate(0, 0, -7)), calendarLink(view, start.AddDate(0, 0, 7))
		page.MonthLink, page.WeekLink = calendarLink("month", start), calendarLink("week", start)
	} else {
		first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
		page.Title = first.Format("January 2006")
		page.Prev, page.Next = calendarLink(view, first.AddDate(0, -1, 0)), calendarLink(view, first.AddDate(0, 1, 0))
		page.MonthLink = calendarLink("month", first)
		page.WeekLink = calendarLink("week", first)
		if first.Year() == today.Year() && first.Month() == today.Month() {
			page.WeekLink = calendarLink("week", today)
		}
	}
	page.Today = routePath("calendar") + "?view=" + view
	page.Self = calendarLink(view, day)

	posts, more, atLeast, err := h.calendarPosts(c.Request().Context(), actorOf(c), start, end)
	if err != nil {
		return err
	}
	page.Count, page.More, page.MoreAtLeast = len(posts), more, atLeast
	page.Events = routePath("calendar.events") + "?" + url.Values{"view": {view}, "date": {day.Format(time.DateOnly)}, "since": {calendarFingerprint(posts, more, atLeast)}}.Encode()
	byDay := placePosts(posts, day.Location())
	var week []calendarDay
	for _, d := range days(start, end) {
		cd := calendarDay{Date: d, IsToday: d.Equal(today), WeekLink: calendarLink("week", d),
			Outside: view == "month" && d.Month() != day.Month()}
		cd.Posts = byDay[d.Format(time.DateOnly)]
		if view == "month" && len(cd.Posts) > monthCellPosts {
			cd.Hidden = len(cd.Posts) - monthCellPosts
			cd.Posts = cd.Posts[:monthCellPosts]
		}
		week = append(week, cd)
		if len(week) == 7 {
			page.Weeks = append(page.Weeks, week)
			week = nil
		}
	}
	names, _, err := h.accountNames(c)
	if err != nil {
		return err
	}
	page.Names = names
	return h.page(c, http.StatusOK, pageCalendar, page)
}

// calendarPosts pages through the posts whose time is in [start, end) and returns the
// first calendarCap, how many more there are, and whether that count stopped at
// calendarCountCap (so it is only a lower bound).
func (h *Handler) calendarPosts(ctx context.Context, actor domain.Actor, start, end time.Time) (posts []domain.Post, more int, atLeast bool, err error) {
	cursor := ""
	f := ports.PostFilter{From: start.UTC(), To: end.UTC()}
	for {
		ps, next, err := h.Posts.List(ctx, actor, f, ports.Page{Limit: calendarPageSize, Cursor: cursor})
		if err != nil {
			return nil, 0, false, err
		}
		for _, p := range ps {
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

// placePosts groups posts by their local day in loc ("2006-01-02"), each day in time order.
func placePosts(posts []domain.Post, loc *time.Location) map[string][]calendarPost {
	byDay := map[string][]calendarPost{}
	for _, p := range posts {
		at := p.ScheduledFor()
		if at.IsZero() {
			at = p.CreatedAt
		}
		key := at.In(loc).Format(time.DateOnly)
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
