package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestNewQueueSlots_Validation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     []domain.QueueSlotInput
		fields []string
	}{
		{"Valid", []domain.QueueSlotInput{{Weekday: 1, Time: "09:00"}, {Weekday: 7, Time: "23:59", AccountIDs: []domain.AccountID{"a-li"}}}, nil},
		{"WeekdayZero", []domain.QueueSlotInput{{Weekday: 0, Time: "09:00"}}, []string{"slots[0].weekday"}},
		{"WeekdayEight", []domain.QueueSlotInput{{Weekday: 8, Time: "09:00"}}, []string{"slots[0].weekday"}},
		{"HourTooBig", []domain.QueueSlotInput{{Weekday: 1, Time: "24:00"}}, []string{"slots[0].time"}},
		{"MinuteTooBig", []domain.QueueSlotInput{{Weekday: 1, Time: "09:60"}}, []string{"slots[0].time"}},
		{"NotAClock", []domain.QueueSlotInput{{Weekday: 1, Time: "9am"}}, []string{"slots[0].time"}},
		{"OneDigitHour", []domain.QueueSlotInput{{Weekday: 1, Time: "9:00"}}, []string{"slots[0].time"}},
		{"Duplicate", []domain.QueueSlotInput{{Weekday: 2, Time: "10:00"}, {Weekday: 2, Time: "10:00"}}, []string{"slots[1]"}},
		{"DuplicateAccountsInAnyOrder", []domain.QueueSlotInput{
			{Weekday: 2, Time: "10:00", AccountIDs: []domain.AccountID{"a-li", "a-ig"}},
			{Weekday: 2, Time: "10:00", AccountIDs: []domain.AccountID{"a-ig", "a-li"}}}, []string{"slots[1]"}},
		{"SameTimeOtherAccountsIsFine", []domain.QueueSlotInput{
			{Weekday: 2, Time: "10:00"}, {Weekday: 2, Time: "10:00", AccountIDs: []domain.AccountID{"a-ig"}}}, nil},
		{"UnknownAccount", []domain.QueueSlotInput{{Weekday: 1, Time: "09:00", AccountIDs: []domain.AccountID{"someone-elses"}}}, []string{"slots[0].account_ids[0]"}},
		{"AccountTwice", []domain.QueueSlotInput{{Weekday: 1, Time: "09:00", AccountIDs: []domain.AccountID{"a-li", "a-li"}}}, []string{"slots[0].account_ids[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.NewQueueSlots(tt.in, accts)
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("NewQueueSlots: %v", err)
				}
				return
			}
			fields := domain.FieldsOf(err)
			for _, f := range tt.fields {
				if fields[f] == "" {
					t.Errorf("NewQueueSlots: no problem for %s; err = %v, fields = %v", f, err, fields)
				}
			}
		})
	}

	t.Run("TooMany", func(t *testing.T) {
		t.Parallel()
		var in []domain.QueueSlotInput
		for i := 0; i <= domain.MaxQueueSlots; i++ {
			in = append(in, domain.QueueSlotInput{Weekday: i%7 + 1, Time: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC).Format("15:04")})
		}
		if _, err := domain.NewQueueSlots(in, accts); domain.FieldsOf(err)["slots"] == "" {
			t.Fatalf("NewQueueSlots(%d slots) = %v, want a problem on slots", len(in), err)
		}
	})

	t.Run("SortedByWeekdayThenTime", func(t *testing.T) {
		t.Parallel()
		got, err := domain.NewQueueSlots([]domain.QueueSlotInput{{Weekday: 3, Time: "08:00"}, {Weekday: 1, Time: "17:30"}, {Weekday: 1, Time: "09:05"}}, accts)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, x := range got {
			s = append(s, x.WeekdayName()+" "+x.Time())
		}
		if want := "Monday 09:05,Monday 17:30,Wednesday 08:00"; strings.Join(s, ",") != want {
			t.Errorf("order = %v, want %s", s, want)
		}
	})
}

func TestNextFreeSlot(t *testing.T) {
	t.Parallel()
	berlin, newYork := mustZone(t, "Europe/Berlin"), mustZone(t, "America/New_York")
	every := func(wd int, hm string) domain.QueueSlot {
		h, m, _ := domain.ParseClock(hm)
		return domain.QueueSlot{Weekday: wd, Hour: h, Minute: m}
	}
	only := func(wd int, hm string, ids ...domain.AccountID) domain.QueueSlot {
		s := every(wd, hm)
		s.AccountIDs = ids
		return s
	}
	at := func(loc *time.Location, s string) time.Time {
		tt, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	utc := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	li, ig := domain.AccountID("a-li"), domain.AccountID("a-ig")
	tests := []struct {
		name     string
		loc      *time.Location
		slots    []domain.QueueSlot
		accounts []domain.AccountID
		taken    []domain.QueuedTime
		now      time.Time
		want     string // RFC 3339 in UTC
	}{
		{"LaterToday", berlin, []domain.QueueSlot{every(2, "09:00"), every(2, "15:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-11-24 10:00"), "2026-11-24T14:00:00Z"}, // a Tuesday, CET
		{"SlotAtNowIsPast", berlin, []domain.QueueSlot{every(2, "10:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-11-24 10:00"), "2026-12-01T09:00:00Z"},
		{"TakenByTheSameAccountIsSkipped", berlin, []domain.QueueSlot{every(2, "15:00"), every(3, "09:00")}, []domain.AccountID{li},
			[]domain.QueuedTime{{At: utc("2026-11-24T14:00:00Z"), Accounts: []domain.AccountID{li}}},
			at(berlin, "2026-11-24 10:00"), "2026-11-25T08:00:00Z"},
		{"TakenByAnotherAccountIsFree", berlin, []domain.QueueSlot{every(2, "15:00")}, []domain.AccountID{li},
			[]domain.QueuedTime{{At: utc("2026-11-24T14:00:00Z"), Accounts: []domain.AccountID{ig}}},
			at(berlin, "2026-11-24 10:00"), "2026-11-24T14:00:00Z"},
		{"TakenBySharedAccountOfAMultiAccountPost", berlin, []domain.QueueSlot{every(2, "15:00"), every(2, "16:00")}, []domain.AccountID{li, ig},
			[]domain.QueuedTime{{At: utc("2026-11-24T14:00:00Z"), Accounts: []domain.AccountID{ig}}},
			at(berlin, "2026-11-24 10:00"), "2026-11-24T15:00:00Z"},
		{"SlotOfOtherAccountsDoesNotApply", berlin, []domain.QueueSlot{only(2, "15:00", ig), every(3, "11:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-11-24 10:00"), "2026-11-25T10:00:00Z"},
		{"SlotMustCoverEveryAccount", berlin, []domain.QueueSlot{only(2, "15:00", li), only(2, "16:00", li, ig)}, []domain.AccountID{li, ig}, nil,
			at(berlin, "2026-11-24 10:00"), "2026-11-24T15:00:00Z"},
		{"SundayIsSeven", berlin, []domain.QueueSlot{every(7, "18:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-11-24 10:00"), "2026-11-29T17:00:00Z"},
		// Europe/Berlin springs forward on 29 March 2026 (02:00 CET → 03:00 CEST).
		{"BerlinSpringKeepsWallClock", berlin, []domain.QueueSlot{every(1, "09:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-03-23 10:00"), "2026-03-30T07:00:00Z"}, // 09:00 CEST, no longer 08:00Z
		{"BerlinSpringGapMovesToFirstValidInstant", berlin, []domain.QueueSlot{every(7, "02:30")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-03-28 12:00"), "2026-03-29T01:00:00Z"}, // 03:00 CEST
		{"BerlinSpringGapTakenMovesOn", berlin, []domain.QueueSlot{every(7, "02:30"), every(7, "03:00")}, []domain.AccountID{li},
			[]domain.QueuedTime{{At: utc("2026-03-29T01:00:00Z"), Accounts: []domain.AccountID{li}}},
			at(berlin, "2026-03-28 12:00"), "2026-04-05T00:30:00Z"}, // both mean 03:00 that day; next week's 02:30 CEST
		// Europe/Berlin falls back on 25 October 2026 (03:00 CEST → 02:00 CET).
		{"BerlinAutumnRepeatedHourTakesFirst", berlin, []domain.QueueSlot{every(7, "02:30")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-10-24 12:00"), "2026-10-25T00:30:00Z"}, // 02:30 CEST
		{"BerlinAutumnKeepsWallClock", berlin, []domain.QueueSlot{every(1, "09:00")}, []domain.AccountID{li}, nil,
			at(berlin, "2026-10-24 12:00"), "2026-10-26T08:00:00Z"}, // 09:00 CET
		// America/New_York springs forward on 8 March 2026 (02:00 EST → 03:00 EDT).
		{"NewYorkSpringGap", newYork, []domain.QueueSlot{every(7, "02:15")}, []domain.AccountID{li}, nil,
			at(newYork, "2026-03-07 12:00"), "2026-03-08T07:00:00Z"}, // 03:00 EDT
		{"NewYorkSpringKeepsWallClock", newYork, []domain.QueueSlot{every(1, "09:00")}, []domain.AccountID{li}, nil,
			at(newYork, "2026-03-07 12:00"), "2026-03-09T13:00:00Z"},
		// America/New_York falls back on 1 November 2026 (02:00 EDT → 01:00 EST).
		{"NewYorkAutumnRepeatedHourTakesFirst", newYork, []domain.QueueSlot{every(7, "01:30")}, []domain.AccountID{li}, nil,
			at(newYork, "2026-10-31 12:00"), "2026-11-01T05:30:00Z"}, // 01:30 EDT
		{"NewYorkAutumnKeepsWallClock", newYork, []domain.QueueSlot{every(1, "09:00")}, []domain.AccountID{li}, nil,
			at(newYork, "2026-10-31 12:00"), "2026-11-02T14:00:00Z"},
		{"NowInsideSecondRepeatedHourSkipsToNextWeek", newYork, []domain.QueueSlot{every(7, "01:30")}, []domain.AccountID{li}, nil,
			utc("2026-11-01T05:45:00Z"), "2026-11-08T06:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.NextFreeSlot(tt.slots, tt.accounts, tt.taken, tt.loc, tt.now)
			if err != nil {
				t.Fatalf("NextFreeSlot: %v", err)
			}
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("NextFreeSlot = %s (%s), want %s", got.Format(time.RFC3339), got.In(tt.loc).Format("Mon 2006-01-02 15:04 MST"), tt.want)
			}
		})
	}

	t.Run("NoSlotIsConflict", func(t *testing.T) {
		t.Parallel()
		_, err := domain.NextFreeSlot(nil, []domain.AccountID{li}, nil, berlin, at(berlin, "2026-11-24 10:00"))
		if domain.CodeOf(err) != domain.CodeConflict || !strings.Contains(domain.MessageOf(err), "8 weeks") {
			t.Fatalf("NextFreeSlot(no slots) = %v, want CodeConflict naming 8 weeks", err)
		}
	})

	t.Run("EveryTimeTakenForEightWeeksIsConflict", func(t *testing.T) {
		t.Parallel()
		now := at(berlin, "2026-11-24 10:00")
		var taken []domain.QueuedTime
		for d := 0; d <= domain.QueueHorizonWeeks*7+1; d++ {
			day := now.AddDate(0, 0, d)
			taken = append(taken, domain.QueuedTime{At: time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, berlin), Accounts: []domain.AccountID{li}})
		}
		var slots []domain.QueueSlot
		for wd := 1; wd <= 7; wd++ {
			slots = append(slots, every(wd, "09:00"))
		}
		if _, err := domain.NextFreeSlot(slots, []domain.AccountID{li}, taken, berlin, now); domain.CodeOf(err) != domain.CodeConflict {
			t.Fatalf("NextFreeSlot(all taken) = %v, want CodeConflict", err)
		}
		got, err := domain.NextFreeSlot(slots, []domain.AccountID{ig}, taken, berlin, now)
		if err != nil || !got.Equal(at(berlin, "2026-11-25 09:00")) {
			t.Fatalf("NextFreeSlot(other account) = %v, %v; want tomorrow 09:00", got, err)
		}
	})
}
