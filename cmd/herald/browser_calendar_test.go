package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestBrowser_CalendarDragKeyboardAndViews drives the calendar with real mouse input: a
// post dragged to the next day in the month view keeps its time of day, dragged to an
// hour in the week view keeps its minutes, and the Move dialog moves it from the
// keyboard; each time the database holds the new time and the live region says so.
// Screenshots of the month, week and list views at 1440x900 and 390x844.
func TestBrowser_CalendarDragKeyboardAndViews(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	b := newBrowser(t, m)
	email := b.registerUI("Cora")
	b.connectSandboxAs("cora-desk")
	ids := b.accountIDs("cora-desk")
	// Ten days ahead at 10:30 UTC, the browser's zone below: well clear of now and of midnight.
	base := time.Now().UTC().AddDate(0, 0, 10).Truncate(24 * time.Hour).Add(10*time.Hour + 30*time.Minute)
	post := b.schedulePost("Plan the launch\nsecond line stays out", base, ids["cora-desk"])
	b.schedulePost("Another post the same week", base.Add(-26*time.Hour), ids["cora-desk"])

	db, err := pgxpool.New(context.Background(), m.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	scheduledFor := func() time.Time {
		t.Helper()
		var at time.Time
		if err := db.QueryRow(context.Background(), `SELECT scheduled_for FROM posts WHERE id = $1`, post).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at.UTC()
	}

	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step0 := stepper(t, ctx)
	began := time.Now()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step0(what, steps...)
		t.Logf("%5.1fs %s", time.Since(began).Seconds(), what)
	}
	eval := evaluator(t, ctx)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	step("sign in",
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(css(`form[action="/login"] #email`), email),
		chromedp.SendKeys(css(`form[action="/login"] #password`), "correct horse battery"),
		chromedp.Submit(css(`form[action="/login"] #password`)),
		chromedp.WaitVisible(css("#company-name")))

	entry := `#calendar .cal-post[data-post="` + post + `"]`
	// center scrolls sel into view when asked and returns its centre in the viewport.
	center := func(sel string, scroll bool) (float64, float64) {
		t.Helper()
		js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); if (!e) { return "missing"; }` +
			map[bool]string{true: ` e.scrollIntoView({block: "center", inline: "center"});`, false: ""}[scroll] +
			` const r = e.getBoundingClientRect(); return (r.left + r.width / 2) + "," + (r.top + r.height / 2); })()`
		out := eval(js)
		x, y, ok := strings.Cut(out, ",")
		if !ok {
			t.Fatalf("%s: %s", sel, out)
		}
		fx, _ := strconv.ParseFloat(x, 64)
		fy, _ := strconv.ParseFloat(y, 64)
		return fx, fy
	}
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	// drag presses the mouse on from, moves it in steps onto to, and lets go.
	drag := func(what, from, to string) {
		t.Helper()
		fx, fy := center(from, false)
		tx, ty := center(to, false)
		acts := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, fx, fy, chromedp.ButtonLeft, chromedp.ClickCount(1))}
		for i := 1; i <= 10; i++ {
			f := float64(i) / 10
			acts = append(acts, chromedp.MouseEvent(chromedp.MouseMoved, fx+(tx-fx)*f, fy+(ty-fy)*f, held))
		}
		acts = append(acts, chromedp.MouseEvent(chromedp.MouseReleased, tx, ty, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		step(what, acts...)
	}
	waitMoved := func(what string, want time.Time) {
		t.Helper()
		status := ""
		for deadline := time.Now().Add(pollDeadline); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if status = eval(`document.querySelector("#cal-status")?.textContent ?? ""`); strings.HasPrefix(status, "Moved") {
				break
			}
		}
		if !strings.HasPrefix(status, "Moved") {
			t.Fatalf("%s: not announced; the live region says %q", what, status)
		}
		if got := scrollUntil(t, scheduledFor, want); !got.Equal(want) {
			t.Errorf("%s: the post is due %s, want %s", what, got, want)
		}
		if got := eval(`document.querySelector("#cal-status").textContent`); !strings.Contains(got, want.Format("15:04")) {
			t.Errorf("%s: the live region says %q, want the new time %s", what, got, want.Format("15:04"))
		}
	}

	day := base.Format(time.DateOnly)
	next := base.AddDate(0, 0, 1)
	step("month view",
		chromedp.Navigate(m.URL()+"/calendar?view=month&date="+day),
		chromedp.WaitVisible(css(entry)))
	if got := eval(`document.querySelector(` + strconv.Quote(entry+" .cal-line") + `).textContent`); got != "Plan the launch" {
		t.Errorf("the entry's first line = %q", got)
	}
	if got := eval(`(() => { const a = document.querySelector(` + strconv.Quote(entry+" .cal-avatars .avatar") + `); return a ? a.querySelector(".avatar-initials").textContent + " " + a.getAttribute("aria-label") : "none"; })()`); got != "CD cora-desk (Sandbox)" {
		t.Errorf("the entry's avatar = %q, want the account's initials and name: CD cora-desk (Sandbox)", got)
	}
	screenshot(t, ctx, "calendar-month.png")
	center(entry, true)
	drag("drag to the next day", entry+" time", `#calendar .cal-day[data-date="`+next.Format(time.DateOnly)+`"]`)
	waitMoved("month drag", next)
	step("the entry is on its new day", chromedp.WaitVisible(css(`#calendar .cal-day[data-date="`+next.Format(time.DateOnly)+`"] .cal-post[data-post="`+post+`"]`)))

	to := next.AddDate(0, 0, 1).Truncate(24 * time.Hour).Add(14 * time.Hour)
	step("week view",
		chromedp.Navigate(m.URL()+"/calendar?view=week&date="+to.Format(time.DateOnly)),
		chromedp.WaitVisible(css(entry)))
	screenshot(t, ctx, "calendar-week.png")
	slot := `#calendar .cal-slot[data-slot="` + to.Format("2006-01-02T15:04") + `"]`
	center(slot, true)
	if _, y := center(entry, false); y < 0 || y > 900 {
		center(entry, true)
	}
	drag("drag to 14:00 the day after", entry+" time", slot)
	want := to.Add(30 * time.Minute)
	waitMoved("week drag", want)
	step("the entry is in its new hour", chromedp.WaitVisible(css(slot+` .cal-post[data-post="`+post+`"]`)))

	// The keyboard: Move on the focused entry opens the dialog; a date and time, Enter.
	step("list view", chromedp.Navigate(m.URL()+"/calendar?view=list&date="+want.Format(time.DateOnly)), chromedp.WaitVisible(css(entry)))
	screenshot(t, ctx, "calendar-list.png")
	step("open Move from the keyboard", chromedp.Evaluate[chromedp.Void](`document.querySelector(`+strconv.Quote(entry+" .cal-move")+`).focus()`), chromedp.KeyEvent("\r"))
	if got := eval(`document.querySelector("#cal-move-dialog").open + " " + document.activeElement.id + " " + document.querySelector("#cal-status").textContent`); !strings.HasPrefix(got, "true cal-move-date") {
		t.Fatalf("Enter on Move: dialog open, focus, status = %q", got)
	}
	screenshot(t, ctx, "calendar-move-dialog.png")
	byKeys := want.AddDate(0, 0, 2).Add(-2*time.Hour - 15*time.Minute)
	step("choose a date and time and press Enter",
		chromedp.SetValue(css("#cal-move-date"), byKeys.Format(time.DateOnly)),
		chromedp.SetValue(css("#cal-move-time"), byKeys.Format("15:04")),
		chromedp.Focus(css("#cal-move-time")),
		chromedp.KeyEvent("\r"))
	waitMoved("keyboard move", byKeys)
	// The focus goes to the moved entry, and stays there when the live refresh follows.
	focused := ""
	for deadline := time.Now().Add(pollDeadline); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if focused = eval(`document.querySelector("#cal-move-dialog").open ? "open" : document.activeElement.closest(".cal-post")?.getAttribute("data-post") ?? document.activeElement.tagName`); focused == post {
			break
		}
	}
	if focused != post {
		t.Errorf("after the keyboard move the focus is on %q, want the moved post's entry", focused)
	}

	// Into the past: refused with a message, the post stays.
	step("open Move again", chromedp.Evaluate[chromedp.Void](`document.querySelector(`+strconv.Quote(entry+" .cal-move")+`).focus()`), chromedp.KeyEvent("\r"), chromedp.WaitVisible(css("#cal-move-dialog[open]")))
	step("a time in the past",
		chromedp.SetValue(css("#cal-move-date"), time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)),
		chromedp.SetValue(css("#cal-move-time"), "09:00"),
		chromedp.Focus(css("#cal-move-time")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(css(`#cal-move-error:not([hidden])`)))
	if got := eval(`document.querySelector("#cal-move-error").textContent`); !strings.Contains(got, "cannot move into the past") {
		t.Errorf("a move into the past says %q", got)
	}
	if got := scheduledFor(); !got.Equal(byKeys) {
		t.Errorf("a refused move changed the time to %s", got)
	}
	step("Escape closes the dialog", chromedp.KeyEvent(kb.Escape))

	// An empty hour of the week: the composer opens with that time.
	empty := byKeys.AddDate(0, 0, 1).Truncate(24 * time.Hour).Add(16 * time.Hour)
	slot = `#calendar .cal-slot[data-slot="` + empty.Format("2006-01-02T15:04") + `"]`
	step("week view again", chromedp.Navigate(m.URL()+"/calendar?view=week&date="+empty.Format(time.DateOnly)), chromedp.WaitVisible(css(slot)))
	x, y := center(slot, true)
	step("click an empty hour", chromedp.MouseClickXY(x, y), chromedp.WaitVisible(css("#compose #scheduled_for")))
	if got := eval(`document.querySelector("#scheduled_for").value`); got != empty.Format("2006-01-02T15:04") {
		t.Errorf("the composer opened from an empty hour has the time %q, want %s", got, empty.Format("2006-01-02T15:04"))
	}

	for _, v := range []string{"month", "week", "list"} {
		step("phone "+v, chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(m.URL()+"/calendar?view="+v+"&date="+byKeys.Format(time.DateOnly)),
			chromedp.WaitVisible(css("#calendar")))
		screenshot(t, ctx, "calendar-"+v+"-phone.png")
	}
	if got := eval(`getComputedStyle(document.querySelector("#calendar")).display`); got == "none" {
		t.Error("the list is hidden on a phone")
	}
}

// scrollUntil polls get until it returns want or 20 s pass, and returns what it saw last.
func scrollUntil(t *testing.T, get func() time.Time, want time.Time) time.Time {
	t.Helper()
	deadline := time.Now().Add(pollDeadline)
	for {
		got := get()
		if got.Equal(want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}
