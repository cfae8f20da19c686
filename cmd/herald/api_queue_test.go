package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
)

// TestAPI_Queue sets the queue's times, adds two posts to it, reads it back in the exact
// shape of API.md, refuses a stale If-Match with 412, answers 409 when no time is free, and
// keeps another company out (404).
func TestAPI_Queue(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "queue")
	oc := c.with(owner.token, owner.companyID)
	account := connectSandboxAPI(t, oc, "queue")

	st, h, q := oc.do("GET", "/api/v1/queue", nil)
	if st != http.StatusOK || h.Get("ETag") != `"1"` || q["time_zone"] != "UTC" || len(q["slots"].([]any)) != 0 || len(q["items"].([]any)) != 0 {
		t.Fatalf("GET /queue (new) = %d %s %v", st, h.Get("ETag"), q)
	}
	var slots []map[string]any
	for wd := 1; wd <= 7; wd++ {
		slots = append(slots, map[string]any{"weekday": wd, "time": "09:00"}, map[string]any{"weekday": wd, "time": "17:30", "account_ids": []string{account}})
	}
	st, h, q = oc.do("PUT", "/api/v1/queue", map[string]any{"slots": slots}, "If-Match", `"1"`)
	if st != http.StatusOK || h.Get("ETag") != `"2"` || len(q["slots"].([]any)) != 14 {
		t.Fatalf("PUT /queue = %d %s %v", st, h.Get("ETag"), q)
	}
	if st, _, body := oc.do("PUT", "/api/v1/queue", map[string]any{"slots": slots}, "If-Match", `"1"`); st != http.StatusPreconditionFailed {
		t.Fatalf("PUT /queue with a stale If-Match = %d %v, want 412", st, body)
	}
	st, _, body := oc.do("PUT", "/api/v1/queue", map[string]any{"slots": []any{map[string]any{"weekday": 0, "time": "9:00"}}})
	if st != http.StatusUnprocessableEntity || problemFields(body)["slots[0].weekday"] == "" || problemFields(body)["slots[0].time"] == "" {
		t.Fatalf("PUT /queue with a bad slot = %d %v, want 422 naming both fields", st, body)
	}

	var times []time.Time
	var ids []string
	for _, content := range []string{"first in line", "second in line"} {
		st, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": content, "account_ids": []string{account}})
		if st != http.StatusCreated {
			t.Fatalf("create = %d %v", st, p)
		}
		st, h, p = oc.do("POST", "/api/v1/posts/"+p["id"].(string)+"/queue", nil, "If-Match", `"1"`)
		if st != http.StatusOK || p["status"] != "scheduled" || h.Get("ETag") != `"2"` {
			t.Fatalf("POST /posts/:id/queue = %d %v", st, p)
		}
		at, err := time.Parse(time.RFC3339, p["scheduled_for"].(string))
		if err != nil || !at.After(time.Now()) || !slices.Contains([]string{"09:00", "17:30"}, at.UTC().Format("15:04")) {
			t.Fatalf("queued at %v (%v), want a future 09:00 or 17:30 UTC", p["scheduled_for"], err)
		}
		times, ids = append(times, at), append(ids, p["id"].(string))
	}
	if !times[1].After(times[0]) {
		t.Errorf("the second post (%s) is not after the first (%s)", times[1], times[0])
	}

	st, _, q = oc.do("GET", "/api/v1/queue", nil)
	if st != http.StatusOK || !sameKeys(q, "time_zone", "slots", "items") {
		t.Fatalf("GET /queue = %d %v, want exactly time_zone, slots, items", st, q)
	}
	first := q["slots"].([]any)[0].(map[string]any)
	second := q["slots"].([]any)[1].(map[string]any)
	if !sameKeys(first, "weekday", "time", "account_ids") || first["weekday"] != float64(1) || first["time"] != "09:00" || len(first["account_ids"].([]any)) != 0 ||
		second["time"] != "17:30" || second["account_ids"].([]any)[0] != account {
		t.Errorf("slots[0..1] = %v, %v", first, second)
	}
	items := q["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != ids[0] || items[1].(map[string]any)["id"] != ids[1] {
		t.Errorf("items = %v, want the two posts in time order", items)
	}

	st, _, body = oc.do("GET", "/api/v1/analytics/best-times?account_id="+account, nil)
	if st != http.StatusOK || body["source"] != "default" || len(body["items"].([]any)) == 0 || !sameKeys(body["items"].([]any)[0].(map[string]any), "weekday", "hour", "score", "posts") {
		t.Errorf("GET /analytics/best-times = %d %v, want the default guidance", st, body)
	}
	if st, _, body := oc.do("GET", "/api/v1/analytics/best-times", nil); st != http.StatusUnprocessableEntity {
		t.Errorf("GET /analytics/best-times without account_id = %d %v, want 422", st, body)
	}

	// Another company reaches none of it.
	rival := register(t, c, "queue-rival")
	rc := c.with(rival.token, rival.companyID)
	if st, _, body := rc.do("POST", "/api/v1/posts/"+ids[0]+"/queue", nil); st != http.StatusNotFound {
		t.Errorf("rival POST /posts/:id/queue = %d %v, want 404", st, body)
	}
	if st, _, body := rc.do("GET", "/api/v1/analytics/best-times?account_id="+account, nil); st != http.StatusNotFound {
		t.Errorf("rival best-times of acme's account = %d %v, want 404", st, body)
	}
	st, _, q = rc.do("GET", "/api/v1/queue", nil)
	if st != http.StatusOK || len(q["slots"].([]any)) != 0 || len(q["items"].([]any)) != 0 {
		t.Errorf("rival GET /queue = %d %v, want its own empty queue", st, q)
	}
	st, _, body = rc.do("PUT", "/api/v1/queue", map[string]any{"slots": []any{map[string]any{"weekday": 1, "time": "09:00", "account_ids": []string{account}}}})
	if st != http.StatusUnprocessableEntity || problemFields(body)["slots[0].account_ids[0]"] == "" {
		t.Errorf("rival PUT /queue naming acme's account = %d %v, want 422", st, body)
	}

	// With no times at all, adding to the queue is a clear 409.
	if st, _, body := oc.do("PUT", "/api/v1/queue", map[string]any{"slots": []any{}}); st != http.StatusOK {
		t.Fatalf("PUT /queue [] = %d %v", st, body)
	}
	st, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": "nowhere", "account_ids": []string{account}})
	if st != http.StatusCreated {
		t.Fatal(st)
	}
	st, _, body = oc.do("POST", "/api/v1/posts/"+p["id"].(string)+"/queue", nil)
	if st != http.StatusConflict || !strings.Contains(body["detail"].(string), "8 weeks") {
		t.Errorf("POST /posts/:id/queue with no times = %d %v, want 409 naming 8 weeks", st, body)
	}
}

// sameKeys reports whether m has exactly keys.
func sameKeys(m map[string]any, keys ...string) bool {
	if len(m) != len(keys) {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
