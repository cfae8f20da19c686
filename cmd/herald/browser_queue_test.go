package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser_QueueSlotsAddAndReorder sets the queue's weekly times in the slot editor
// (the Mon–Fri shortcut and the weekend's own), adds two posts to the queue from the
// composer, checks they took the first two free times, moves the first one down on the
// queue page (the two swap times), and takes screenshots of the queue and the composer's
// best times on a desktop and a phone.
func TestBrowser_QueueSlotsAddAndReorder(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	ctx := chrome(t, 1440, 900)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	eval := evaluator(t, ctx)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }

	browserRegister(t, ctx, m.URL(), "Quinn")
	browserConnectSandbox(t, ctx, m.URL(), "quinn-bakery")

	step("open the queue", chromedp.Navigate(m.URL()+"/queue"), chromedp.WaitVisible(css("#slot-editor")))
	if got := eval(`document.querySelector("#queue-empty")?.textContent ?? ""`); !strings.Contains(got, "No times") {
		t.Errorf("an empty queue says %q", got)
	}
	// A suggested time adds itself to its weekday's field.
	step("click a suggested time", chromedp.Click(css(`#queue-best-times button.best-time`)))
	if got := eval(`(() => { const b = document.querySelector("#queue-best-times button.best-time"); return document.getElementById("day_" + b.dataset.addDay).value + "|" + b.dataset.addTime; })()`); !strings.HasPrefix(got, strings.Split(got, "|")[1]) {
		t.Errorf("the suggested time did not fill its day: %q", got)
	}
	eval(`(() => { for (let d = 1; d <= 7; d++) { document.getElementById("day_" + d).value = ""; } return ""; })()`)
	step("set the times",
		chromedp.SendKeys(css("#workdays"), "09:00, 15:00"),
		chromedp.SendKeys(css("#day_6"), "09:00, 15:00"),
		chromedp.SendKeys(css("#day_7"), "09:00, 15:00"),
		chromedp.Click(css("#save-slots")),
		chromedp.WaitVisible(css(".queue-entry.free")))
	if got := eval(`document.querySelector("#day_1").value + "|" + document.querySelector("#day_7").value`); got != "09:00, 15:00|09:00, 15:00" {
		t.Errorf("saved times read back as %q", got)
	}

	var ids []string
	for _, text := range []string{"Fresh sourdough at nine", "Croissants all afternoon"} {
		step("compose "+text,
			chromedp.Navigate(m.URL()+"/posts/new"),
			chromedp.WaitVisible(css("#compose")),
			chromedp.Click(css(`input[name="account_ids"]`)),
			chromedp.SendKeys(css("#content"), text))
		if len(ids) == 0 {
			step("open best times", chromedp.Click(css("#compose-best-times summary")), chromedp.Click(css("#compose-best-times button.best-time")))
			if got := eval(`document.querySelector("#scheduled_for").value === document.querySelector("#compose-best-times button.best-time").dataset.when ? "ok" : document.querySelector("#scheduled_for").value`); got != "ok" {
				t.Errorf("a best time did not fill Publish at: %q", got)
			}
			shot("compose-best-times.png")
		}
		step("add to queue",
			chromedp.Click(css("#add-to-queue")),
			chromedp.WaitVisible(css("#post-status")))
		if got := eval(`document.querySelector("#post-status").textContent`); got != "scheduled" {
			t.Fatalf("after Add to queue the post is %q", got)
		}
		ids = append(ids, eval(`location.pathname.split("/").pop()`))
	}

	// times returns the queued posts' ids and times, in the page's order.
	times := func() string {
		return eval(`Array.from(document.querySelectorAll(".queue-entry.queued")).map(e => e.dataset.post + "@" + e.querySelector("time").getAttribute("datetime")).join(" ")`)
	}
	step("the queue", chromedp.Navigate(m.URL()+"/queue"), chromedp.WaitVisible(css(".queue-entry.queued")))
	before := strings.Fields(times())
	if len(before) != 2 || !strings.HasPrefix(before[0], ids[0]+"@") || !strings.HasPrefix(before[1], ids[1]+"@") {
		t.Fatalf("queue before = %v, want %v in order", before, ids)
	}
	first, second := strings.Split(before[0], "@")[1], strings.Split(before[1], "@")[1]
	for _, at := range []string{first, second} {
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil || !ts.After(time.Now()) || (ts.UTC().Format("15:04") != "09:00" && ts.UTC().Format("15:04") != "15:00") {
			t.Errorf("a queued time is %s (%v), want a future 09:00 or 15:00 (the company is in UTC)", at, err)
		}
	}
	shot("queue.png")

	step("move the first down",
		chromedp.Click(css(`.queue-entry[data-post="`+ids[0]+`"] .queue-down`)),
		chromedp.WaitVisible(css(`.queue-entry[data-post="`+ids[1]+`"] .queue-down`)))
	after := strings.Fields(times())
	want := []string{ids[1] + "@" + first, ids[0] + "@" + second}
	if strings.Join(after, " ") != strings.Join(want, " ") {
		t.Errorf("queue after moving the first down = %v, want %v (the two swapped times)", after, want)
	}
	if got := eval(`document.querySelector(".flash, [role=status]")?.textContent ?? ""`); !strings.Contains(got, "swapped") {
		t.Logf("flash after the move: %q", got)
	}

	step("queue on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(m.URL()+"/queue"), chromedp.WaitVisible(css(".queue-entry.queued")))
	if overflow := eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); overflow != "false" {
		t.Error("the queue page scrolls sideways on a phone")
	}
	shot("queue-phone.png")
	step("compose on a phone", chromedp.Navigate(m.URL()+"/posts/new"), chromedp.WaitVisible(css("#compose")), chromedp.Click(css("#compose-best-times summary")))
	shot("compose-best-times-phone.png")
}
