package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// weekdayShort are the ISO weekdays' short names, 1 = Monday at index 1.
var weekdayShort = []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// queueDays is how many days ahead the queue page lays out.
const queueDays = 7

// queuePage is the queue: upcoming queued posts by day beside the free times, and the
// slot editor.
type queuePage struct {
	Zone     string
	Loc      *time.Location
	Version  int
	Days     []queueDay
	Later    []domain.Post // queued posts beyond the days laid out
	Editor   slotEditor
	Names    accountNames
	Accounts []domain.Account
	Best     []bestTimesView // suggested times per account
	Problems []string
}

// queueDay is one day of the queue page in the company's zone.
type queueDay struct {
	Date    time.Time
	Entries []queueEntry
}

// queueEntry is one time of a day: a queued post, or a free slot.
type queueEntry struct {
	At       time.Time
	Post     *domain.Post
	Slot     domain.QueueSlot
	Prev     *domain.Post // the queued post before this one (move up swaps with it)
	Next     *domain.Post // the queued post after it (move down)
	Accounts string       // who a free slot is for
}

// slotEditor is the slot editor's fields: per weekday the times for every account, the
// Mon–Fri shortcut, and per account set its own times ("Tue 09:00, Fri 17:30").
type slotEditor struct {
	Days    [8]string // index 1..7, "09:00, 15:30"
	Workday string
	Groups  []slotGroup
	Errors  map[string]string
}

// slotGroup is the times of the slots for one set of accounts.
type slotGroup struct {
	Key      string // the account ids joined by commas
	Label    string
	Accounts []domain.AccountID
	Times    string
}

// bestTimesView is one account's suggested times.
type bestTimesView struct {
	Account domain.Account
	Source  string
	Items   []bestTimeView
}

// bestTimeView is one suggested hour: its label in the company's zone, when it next
// comes (for the compose form's time input, in the viewer's zone) and what it rests on.
type bestTimeView struct {
	Weekday int
	Label   string // "Tue 09:00"
	When    string // datetime-local value
	Posts   int
}

// queue handles GET /queue.
func (h *Handler) queue(c echo.Context) error {
	v, err := h.PostingQueue.Get(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	page, err := h.queuePageOf(c, v)
	if err != nil {
		return err
	}
	page.Editor = editorOf(v.Slots, page.Accounts)
	return h.page(c, http.StatusOK, pageQueue, page)
}

// queuePageOf lays out the queue's next days in the company's zone.
func (h *Handler) queuePageOf(c echo.Context, v app.QueueView) (queuePage, error) {
	ctx, actor := c.Request().Context(), actorOf(c)
	as, err := h.Accounts.List(ctx, actor)
	if err != nil {
		return queuePage{}, err
	}
	page := queuePage{Zone: v.Zone, Loc: v.Loc, Version: v.Version, Names: namesOf(as), Accounts: as}
	now := h.now().In(v.Loc)
	byAt := map[int64]int{}
	for i, p := range v.Items {
		byAt[p.ScheduledFor().Unix()] = i
	}
	shown := map[int]bool{}
	for d := 0; d < queueDays; d++ {
		date := time.Date(now.Year(), now.Month(), now.Day()+d, 0, 0, 0, 0, v.Loc)
		day := queueDay{Date: date}
		seen := map[int64]bool{}
		for _, s := range v.Slots {
			if s.Weekday != domain.ISOWeekday(date) {
				continue
			}
			at := domain.SlotInstant(date.Year(), date.Month(), date.Day(), s.Hour, s.Minute, v.Loc)
			if !at.After(h.now()) || seen[at.Unix()] {
				continue
			}
			seen[at.Unix()] = true
			if _, taken := byAt[at.Unix()]; taken {
				continue // the post is listed below, from the items
			}
			day.Entries = append(day.Entries, queueEntry{At: at, Slot: s, Accounts: page.slotFor(s)})
		}
		for i := range v.Items {
			at := v.Items[i].ScheduledFor().In(v.Loc)
			if at.Year() == date.Year() && at.YearDay() == date.YearDay() {
				e := queueEntry{At: v.Items[i].ScheduledFor(), Post: &v.Items[i]}
				if i > 0 {
					e.Prev = &v.Items[i-1]
				}
				if i+1 < len(v.Items) {
					e.Next = &v.Items[i+1]
				}
				day.Entries = append(day.Entries, e)
				shown[i] = true
			}
		}
		slices.SortFunc(day.Entries, func(a, b queueEntry) int { return a.At.Compare(b.At) })
		page.Days = append(page.Days, day)
	}
	for i, p := range v.Items {
		if !shown[i] {
			page.Later = append(page.Later, p)
		}
	}
	if page.Best, err = h.bestTimesOf(c, as); err != nil {
		return queuePage{}, err
	}
	return page, nil
}

// slotFor says who a slot is for.
func (p queuePage) slotFor(s domain.QueueSlot) string {
	if len(s.AccountIDs) == 0 {
		return "every account"
	}
	var names []string
	for _, id := range s.AccountIDs {
		names = append(names, p.Names.Name(id))
	}
	return strings.Join(names, ", ")
}

// bestTimesFor returns the account's suggested times, at most six, with when each next
// comes after now (for a datetime-local input in the viewer's zone).
func (h *Handler) bestTimesFor(ctx context.Context, actor domain.Actor, a domain.Account, viewer *time.Location) (bestTimesView, error) {
	r, err := h.Analytics.BestTimes(ctx, actor, a.ID)
	if err != nil {
		return bestTimesView{}, err
	}
	out := bestTimesView{Account: a, Source: r.Source}
	company, err := app.LoadZone(r.Zone)
	if err != nil {
		company = time.UTC
	}
	now := h.now().In(company)
	for _, b := range r.Items {
		if len(out.Items) == 6 {
			break
		}
		ahead := (b.Weekday - domain.ISOWeekday(now) + 7) % 7
		at := domain.SlotInstant(now.Year(), now.Month(), now.Day()+ahead, b.Hour, 0, company)
		if !at.After(now) {
			at = domain.SlotInstant(now.Year(), now.Month(), now.Day()+ahead+7, b.Hour, 0, company)
		}
		out.Items = append(out.Items, bestTimeView{Weekday: b.Weekday, Label: fmt.Sprintf("%s %02d:00", weekdayShort[b.Weekday], b.Hour),
			When: at.In(viewer).Format(datetimeLocal), Posts: b.Posts})
	}
	return out, nil
}

// editorOf fills the slot editor from the queue's slots.
func editorOf(slots []domain.QueueSlot, accounts []domain.Account) slotEditor {
	e := slotEditor{Errors: map[string]string{}}
	groups := map[string]*slotGroup{}
	names := namesOf(accounts)
	for _, s := range slots {
		if len(s.AccountIDs) == 0 {
			e.Days[s.Weekday] = joinTimes(e.Days[s.Weekday], s.Time())
			continue
		}
		key := joinIDs(s.AccountIDs)
		g, ok := groups[key]
		if !ok {
			var labels []string
			for _, id := range s.AccountIDs {
				labels = append(labels, names.Name(id))
			}
			g = &slotGroup{Key: key, Label: strings.Join(labels, " and "), Accounts: s.AccountIDs}
			groups[key] = g
			e.Groups = append(e.Groups, slotGroup{Key: key})
		}
		g.Times = joinTimes(g.Times, weekdayShort[s.Weekday]+" "+s.Time())
	}
	for i := range e.Groups {
		e.Groups[i] = *groups[e.Groups[i].Key]
	}
	// Every account may get times of its own: one empty row per account without a group.
	for _, a := range accounts {
		if a.Status == domain.AccountDisconnected {
			continue
		}
		if _, ok := groups[string(a.ID)]; !ok {
			e.Groups = append(e.Groups, slotGroup{Key: string(a.ID), Label: a.DisplayName + " (" + a.Platform.Title() + ")", Accounts: []domain.AccountID{a.ID}})
		}
	}
	return e
}

func joinTimes(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

func joinIDs(ids []domain.AccountID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ",")
}

// saveQueue handles POST /queue, the slot editor. Problems come back beside the fields
// (422), with what was typed kept.
func (h *Handler) saveQueue(c echo.Context) error {
	vals, err := c.FormParams()
	if err != nil {
		return domain.Errorf(domain.CodeBadRequest, "The form could not be read.")
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	e := slotEditor{Errors: map[string]string{}, Workday: strings.TrimSpace(vals.Get("workdays"))}
	var in []domain.QueueSlotInput
	add := func(field string, wd int, times string, accounts []domain.AccountID) {
		for _, t := range splitTimes(times) {
			if _, _, ok := domain.ParseClock(t); !ok {
				e.Errors[field] = fmt.Sprintf("%q is not a time of day as HH:MM (09:00, 17:30)", t)
				continue
			}
			if slices.ContainsFunc(in, func(s domain.QueueSlotInput) bool {
				return s.Weekday == wd && s.Time == t && joinIDs(s.AccountIDs) == joinIDs(accounts)
			}) {
				continue // the Mon–Fri shortcut may repeat a day's own time
			}
			in = append(in, domain.QueueSlotInput{Weekday: wd, Time: t, AccountIDs: accounts})
		}
	}
	for wd := 1; wd <= 7; wd++ {
		e.Days[wd] = vals.Get("day_" + strconv.Itoa(wd))
		add("day_"+strconv.Itoa(wd), wd, e.Days[wd], nil)
	}
	for wd := 1; wd <= 5; wd++ {
		add("workdays", wd, e.Workday, nil)
	}
	for i, key := range vals["group"] {
		var ids []domain.AccountID
		for _, id := range strings.Split(key, ",") {
			ids = append(ids, domain.AccountID(id))
		}
		field := "group_" + strconv.Itoa(i)
		g := slotGroup{Key: key, Accounts: ids, Times: vals.Get(field), Label: vals.Get("label_" + strconv.Itoa(i))}
		e.Groups = append(e.Groups, g)
		for _, item := range splitTimes(g.Times) {
			day, t, ok := strings.Cut(item, " ")
			wd := slices.IndexFunc(weekdayShort, func(s string) bool { return s != "" && strings.EqualFold(s, strings.TrimSpace(day)) })
			if !ok || wd < 1 {
				e.Errors[field] = fmt.Sprintf("%q is not a weekday and time such as Tue 09:00", item)
				continue
			}
			add(field, wd, strings.TrimSpace(t), ids)
		}
	}
	version, _ := strconv.Atoi(vals.Get("version"))
	if len(e.Errors) == 0 {
		_, err = h.PostingQueue.Save(ctx, actor, in, version)
		switch domain.CodeOf(err) {
		case "":
			h.flash(c, fmt.Sprintf("The queue's times were saved: %d a week.", len(in)))
			return redirect(c, routePath("queue"))
		case domain.CodeInvalid, domain.CodeStale, domain.CodeForbidden, domain.CodeSuspended:
		default:
			return err
		}
	}
	v, gerr := h.PostingQueue.Get(ctx, actor)
	if gerr != nil {
		return gerr
	}
	page, gerr := h.queuePageOf(c, v)
	if gerr != nil {
		return gerr
	}
	page.Editor = e
	page.Version = version
	switch {
	case domain.CodeOf(err) == domain.CodeStale:
		page.Problems = append(page.Problems, "Someone else changed the queue's times while you were editing them. Your times are kept below; reload the page to see theirs.")
	case err != nil:
		page.Problems = append(page.Problems, domain.MessageOf(err))
		for _, k := range domain.SortedFields(domain.FieldsOf(err)) {
			page.Problems = append(page.Problems, slotProblem(k, domain.FieldsOf(err)[k], in))
		}
	default:
		err = domain.Errorf(domain.CodeInvalid, "Some times could not be read.")
	}
	return h.page(c, status(err), pageQueue, page)
}

// slotProblem names the slot a field error of the app is about, for a person.
func slotProblem(field, problem string, in []domain.QueueSlotInput) string {
	var i int
	if _, err := fmt.Sscanf(field, "slots[%d]", &i); err == nil && i >= 0 && i < len(in) {
		return fmt.Sprintf("%s %s: %s", weekdayShort[max(0, min(7, in[i].Weekday))], in[i].Time, problem)
	}
	return problem
}

// splitTimes splits "09:00, 15:30" (commas or new lines) into trimmed items.
func splitTimes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// swapQueue handles POST /queue/swap: the post and the other one exchange their times (a
// move up or down the queue), both at the versions the page showed.
func (h *Handler) swapQueue(c echo.Context) error {
	version, _ := strconv.Atoi(c.FormValue("version"))
	otherVersion, _ := strconv.Atoi(c.FormValue("other_version"))
	_, err := h.PostingQueue.Swap(c.Request().Context(), actorOf(c), domain.PostID(c.FormValue("post")), version,
		domain.PostID(c.FormValue("other")), otherVersion)
	switch domain.CodeOf(err) {
	case "":
		h.flash(c, "The two posts swapped times.")
	case domain.CodeStale, domain.CodeConflict:
		h.flash(c, "The queue changed meanwhile, so nothing was moved: here it is as it is now. "+domain.MessageOf(err))
	default:
		return err
	}
	return redirect(c, routePath("queue"))
}

// queuePost handles POST /posts/:id/queue: the draft (or scheduled post) takes the next
// free time of the queue; problems come back on the post's page.
func (h *Handler) queuePost(c echo.Context) error {
	return h.schedule(c, func(ctx context.Context, actor domain.Actor, id domain.PostID, version int) (domain.Post, error) {
		return h.PostingQueue.Add(ctx, actor, id, version)
	})
}

// namesOf indexes accounts by id.
func namesOf(as []domain.Account) accountNames {
	names := accountNames{}
	for _, a := range as {
		names[a.ID] = a
	}
	return names
}

// Clock formats t as HH:MM in the company's zone.
func (p queuePage) Clock(t time.Time) string { return t.In(p.Loc).Format("15:04") }

// Day formats t as "Monday 7 January" in the company's zone.
func (p queuePage) Day(t time.Time) string { return t.In(p.Loc).Format("Monday 2 January") }

// WeekdayName returns ISO weekday d's English name.
func (slotEditor) WeekdayName(d int) string { return domain.ISOWeekdayName(d) }

// Weekdays are 1 to 7, for ranging in the template.
func (slotEditor) Weekdays() []int { return []int{1, 2, 3, 4, 5, 6, 7} }

// bestTimesOf returns the suggested times of each of the company's connected accounts, or
// none when the viewer may not read analytics.
func (h *Handler) bestTimesOf(c echo.Context, as []domain.Account) ([]bestTimesView, error) {
	var out []bestTimesView
	for _, a := range as {
		if a.Status == domain.AccountDisconnected {
			continue
		}
		b, err := h.bestTimesFor(c.Request().Context(), actorOf(c), a, zoneOf(c))
		switch domain.CodeOf(err) {
		case "":
			out = append(out, b)
		case domain.CodeForbidden, domain.CodeNotFound:
		default:
			return nil, err
		}
	}
	return out, nil
}

// queuedMessage says which queue time the post took, in the viewer's zone.
func queuedMessage(p domain.Post, loc *time.Location) string {
	return "The post was added to the queue: it goes out " + (view{Zone: loc}).Time(p.ScheduledFor()) + " (" + loc.String() + ")."
}
