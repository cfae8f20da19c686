package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits of a company's posting queue.
const (
	// MaxQueueSlots is how many weekly time slots one queue holds.
	MaxQueueSlots = 100
	// QueueHorizonWeeks is how far ahead "add to queue" looks for a free slot.
	QueueHorizonWeeks = 8
)

// QueueSlot is one weekly time in a company's posting queue: a weekday (1 = Monday …
// 7 = Sunday) and a wall-clock time in the company's zone, for every account (AccountIDs
// empty) or only for the accounts named.
type QueueSlot struct {
	Weekday    int
	Hour       int
	Minute     int
	AccountIDs []AccountID // sorted; empty: every account
}

// Time returns the slot's time as "HH:MM".
func (s QueueSlot) Time() string { return fmt.Sprintf("%02d:%02d", s.Hour, s.Minute) }

// WeekdayName returns the slot's weekday in English ("Monday").
func (s QueueSlot) WeekdayName() string { return ISOWeekdayName(s.Weekday) }

// Covers reports whether the slot may take a post to every one of accounts.
func (s QueueSlot) Covers(accounts []AccountID) bool {
	if len(s.AccountIDs) == 0 {
		return true
	}
	for _, a := range accounts {
		if !slices.Contains(s.AccountIDs, a) {
			return false
		}
	}
	return true
}

// key identifies a slot for the uniqueness rule: weekday, time and account set.
func (s QueueSlot) key() string {
	ids := make([]string, len(s.AccountIDs))
	for i, id := range s.AccountIDs {
		ids[i] = string(id)
	}
	return fmt.Sprintf("%d %02d:%02d %s", s.Weekday, s.Hour, s.Minute, strings.Join(ids, ","))
}

// QueueSlotInput is a slot as a person or an API client writes it.
type QueueSlotInput struct {
	Weekday    int
	Time       string // "HH:MM"
	AccountIDs []AccountID
}

// Queue is a company's posting queue: its weekly slots and the version that guards edits.
type Queue struct {
	CompanyID CompanyID
	Slots     []QueueSlot
	Version   int
}

// ISOWeekday returns t's weekday numbered as ISO 8601 does: 1 = Monday … 7 = Sunday.
func ISOWeekday(t time.Time) int {
	if d := int(t.Weekday()); d != 0 {
		return d
	}
	return 7
}

// ISOWeekdayName returns the English name of ISO weekday d (1 = Monday), "" outside 1–7.
func ISOWeekdayName(d int) string {
	if d < 1 || d > 7 {
		return ""
	}
	return time.Weekday(d % 7).String()
}

// ParseClock reads "HH:MM" (24-hour, 00:00–23:59) and reports whether it is one.
func ParseClock(s string) (hour, minute int, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
	}
	hour, minute = int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// NewQueueSlots checks slots written by a person and returns them sorted by weekday, time
// and accounts, or CodeInvalid naming every bad field ("slots[i].weekday", "slots[i].time",
// "slots[i].account_ids[j]", "slots"). accounts are the company's accounts a slot may name.
func NewQueueSlots(in []QueueSlotInput, accounts []Account) ([]QueueSlot, error) {
	v := Violations{}
	if len(in) > MaxQueueSlots {
		v.Add("slots", fmt.Sprintf("has %d times; a queue holds at most %d", len(in), MaxQueueSlots))
		return nil, v.Err()
	}
	known := make(map[AccountID]bool, len(accounts))
	for _, a := range accounts {
		known[a.ID] = true
	}
	out := make([]QueueSlot, 0, len(in))
	seen := map[string]int{}
	for i, s := range in {
		field := fmt.Sprintf("slots[%d]", i)
		slot := QueueSlot{Weekday: s.Weekday}
		bad := false
		if s.Weekday < 1 || s.Weekday > 7 {
			v.Add(field+".weekday", "must be 1 (Monday) to 7 (Sunday)")
			bad = true
		}
		h, m, ok := ParseClock(s.Time)
		if !ok {
			v.Add(field+".time", "must be a time of day as HH:MM, 00:00 to 23:59")
			bad = true
		}
		slot.Hour, slot.Minute = h, m
		for j, id := range s.AccountIDs {
			f := fmt.Sprintf("%s.account_ids[%d]", field, j)
			switch {
			case !known[id]:
				v.Add(f, "is not one of this company's accounts")
				bad = true
			case slices.Contains(slot.AccountIDs, id):
				v.Add(f, "names the same account twice")
				bad = true
			default:
				slot.AccountIDs = append(slot.AccountIDs, id)
			}
		}
		if bad {
			continue
		}
		slices.Sort(slot.AccountIDs)
		if j, dup := seen[slot.key()]; dup {
			v.Add(field, fmt.Sprintf("repeats slots[%d]: %s at %s for the same accounts", j, slot.WeekdayName(), slot.Time()))
			continue
		}
		seen[slot.key()] = i
		out = append(out, slot)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	SortQueueSlots(out)
	return out, nil
}

// SortQueueSlots orders slots by weekday, time, then account set.
func SortQueueSlots(slots []QueueSlot) {
	slices.SortFunc(slots, func(a, b QueueSlot) int {
		if a.Weekday != b.Weekday {
			return a.Weekday - b.Weekday
		}
		if a.Hour*60+a.Minute != b.Hour*60+b.Minute {
			return a.Hour*60 + a.Minute - (b.Hour*60 + b.Minute)
		}
		return strings.Compare(a.key(), b.key())
	})
}

// QueuedTime is a time a queued post holds, on its accounts.
type QueuedTime struct {
	At       time.Time
	Accounts []AccountID
}

// SlotInstant returns the instant a slot at hour:minute on the date year-month-day takes in
// loc: the wall-clock time itself; inside a spring-forward gap, the first instant after the
// gap; in the repeated hour of an autumn change, its first occurrence.
func SlotInstant(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, 0, 0, loc)
	if !wallIs(t, year, month, day, hour, minute) {
		// The wall-clock time does not exist: the clocks jumped over it. time.Date picked an
		// instant near the jump; the jump itself is the first valid instant after the gap.
		start, end := t.ZoneBounds()
		lt := t.In(loc)
		picked := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, time.UTC)
		if picked.After(time.Date(year, month, day, hour, minute, 0, 0, time.UTC)) {
			return start // time.Date used the offset from before the jump: t is after it
		}
		return end
	}
	// In the repeated hour both offsets name this wall clock; take the earlier instant.
	start, _ := t.ZoneBounds()
	if !start.IsZero() {
		_, before := start.Add(-time.Nanosecond).Zone()
		_, now := t.Zone()
		if before > now {
			if alt := t.Add(-time.Duration(before-now) * time.Second); alt.Before(start) && wallIs(alt, year, month, day, hour, minute) {
				return alt
			}
		}
	}
	return t
}

func wallIs(t time.Time, year int, month time.Month, day, hour, minute int) bool {
	y, mo, d := t.Date()
	return y == year && mo == month && d == day && t.Hour() == hour && t.Minute() == minute
}

// NextFreeSlot returns the first instant after now, within QueueHorizonWeeks, of a slot
// that covers every one of accounts and that no queued post (taken) of any of those
// accounts holds. Slots are wall-clock times in loc. Errors: CodeConflict when there is
// none (no slot covers the accounts, or every one is taken).
func NextFreeSlot(slots []QueueSlot, accounts []AccountID, taken []QueuedTime, loc *time.Location, now time.Time) (time.Time, error) {
	busy := map[int64][]AccountID{}
	for _, q := range taken {
		busy[q.At.Unix()] = append(busy[q.At.Unix()], q.Accounts...)
	}
	free := func(at time.Time) bool {
		for _, a := range busy[at.Unix()] {
			if slices.Contains(accounts, a) {
				return false
			}
		}
		return true
	}
	local := now.In(loc)
	for i := 0; i <= QueueHorizonWeeks*7; i++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+i, 12, 0, 0, 0, loc)
		wd := ISOWeekday(day)
		var candidates []time.Time
		for _, s := range slots {
			if s.Weekday != wd || !s.Covers(accounts) {
				continue
			}
			at := SlotInstant(day.Year(), day.Month(), day.Day(), s.Hour, s.Minute, loc)
			if at.After(now) && !slices.ContainsFunc(candidates, at.Equal) {
				candidates = append(candidates, at)
			}
		}
		slices.SortFunc(candidates, time.Time.Compare)
		for _, at := range candidates {
			if free(at) {
				return at.UTC(), nil
			}
		}
	}
	return time.Time{}, Errorf(CodeConflict, "There is no free queue time for these accounts in the next %d weeks: add times to the queue.", QueueHorizonWeeks)
}
