package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
)

// hookReceiver is an integrator's endpoint: it keeps every request and answers 200.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
	typ    string
	data   map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var msg struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &msg)
		r.mu.Lock()
		r.reqs = append(r.reqs, hookRequest{header: req.Header.Clone(), body: body, typ: msg.Type, data: msg.Data})
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("thanks"))
	}))
	t.Cleanup(r.Close)
	return r
}

// waitType waits for the n-th request of event type typ.
func (r *hookReceiver) waitType(t *testing.T, typ string, n int) hookRequest {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		var got []hookRequest
		for _, q := range r.reqs {
			if q.typ == typ {
				got = append(got, q)
			}
		}
		r.mu.Unlock()
		if len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %d %s delivery within 20 s (got %d)", n, typ, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAPI_WebhooksDeliverAPublishedSandboxPost(t *testing.T) {
	t.Parallel()
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_WEBHOOK_ALLOW_PRIVATE": "true"})
	c := newClient(t, m)
	owner := register(t, c, "integrator")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "hooks-sandbox")
	rcv := newHookReceiver(t)

	st, h, ep := oc.do("POST", "/api/v1/webhooks", map[string]any{"url": rcv.URL + "/herald", "events": []string{"post.published", "post.scheduled"},
		"description": "CRM sync"})
	secret, _ := ep["secret"].(string)
	if st != 201 || !strings.HasPrefix(secret, "whsec_") || ep["status"] != "enabled" || h.Get("Location") != "/api/v1/webhooks/"+fmt.Sprint(ep["id"]) {
		t.Fatalf("create = %d %v", st, ep)
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil || len(key) < 24 {
		t.Errorf("secret has %d random bytes (%v), want 24 or more", len(key), err)
	}
	id := ep["id"].(string)
	if _, _, l := oc.do("GET", "/api/v1/webhooks", nil); len(l["items"].([]any)) != 1 || l["items"].([]any)[0].(map[string]any)["secret"] != nil {
		t.Errorf("list = %v (the secret must not be there)", l)
	}

	_, _, p := oc.do("POST", "/api/v1/posts", map[string]any{"content": "Webhooks, end to end", "account_ids": []string{acct}})
	if st, _, b := oc.do("POST", "/api/v1/posts/"+p["id"].(string)+"/schedule", nil); st != 200 {
		t.Fatalf("schedule = %d %v", st, b)
	}
	got := rcv.waitType(t, "post.published", 1)
	if err := apptest.VerifyWebhook(secret, got.header, got.body, time.Now()); err != nil {
		t.Errorf("post.published signature: %v", err)
	}
	if post, _ := got.data["post"].(map[string]any); post["id"] != p["id"] || post["status"] != "published" {
		t.Errorf("post.published data = %v", got.data)
	}
	rcv.waitType(t, "post.scheduled", 1)

	// The delivery log shows it, filtered, and a retry sends it again with the same webhook-id.
	// The receiver has the request before the delivering job records its answer: look
	// until the log says succeeded.
	var items []any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, _, l := oc.do("GET", "/api/v1/webhooks/"+id+"/deliveries?event_type=post.published&status=succeeded", nil)
		items, _ = l["items"].([]any)
		if st != 200 || len(items) > 1 {
			t.Fatalf("deliveries = %d %v", st, l)
		}
		if len(items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no succeeded post.published delivery in the log within 20 s: %v", l)
		}
	}
	d := items[0].(map[string]any)
	for _, k := range []string{"id", "event_type", "status", "attempts", "response_status", "created_at", "next_attempt_at"} {
		if _, ok := d[k]; !ok {
			t.Errorf("delivery lacks %q: %v", k, d)
		}
	}
	if d["response_status"] != float64(200) || d["attempts"] != float64(1) || d["webhook_id"] != got.header.Get("webhook-id") || d["response_body"] != "thanks" {
		t.Errorf("delivery = %v", d)
	}
	if st, _, _ := oc.do("POST", "/api/v1/webhooks/"+id+"/deliveries/"+d["id"].(string)+"/retry", nil); st != 202 {
		t.Fatalf("retry = %d", st)
	}
	again := rcv.waitType(t, "post.published", 2)
	if again.header.Get("webhook-id") != got.header.Get("webhook-id") {
		t.Errorf("the retry's webhook-id %q differs from %q", again.header.Get("webhook-id"), got.header.Get("webhook-id"))
	}

	// Paging: one per page, in a stable order, until the last.
	st, _, l := oc.do("GET", "/api/v1/webhooks/"+id+"/deliveries?limit=1", nil)
	if st != 200 || len(l["items"].([]any)) != 1 || l["next_cursor"] == nil {
		t.Fatalf("page 1 = %d %v", st, l)
	}
	_, _, l2 := oc.do("GET", "/api/v1/webhooks/"+id+"/deliveries?limit=1&cursor="+l["next_cursor"].(string), nil)
	if len(l2["items"].([]any)) != 1 || l2["items"].([]any)[0].(map[string]any)["id"] == l["items"].([]any)[0].(map[string]any)["id"] {
		t.Errorf("page 2 = %v", l2)
	}

	// Rotation: the new secret is shown once; for 24 h both secrets verify each delivery.
	st, _, rot := oc.do("POST", "/api/v1/webhooks/"+id+"/rotate", nil)
	fresh, _ := rot["secret"].(string)
	if st != 200 || !strings.HasPrefix(fresh, "whsec_") || fresh == secret || rot["previous_secret_expires_at"] == nil {
		t.Fatalf("rotate = %d %v", st, rot)
	}
	if st, _, b := oc.do("POST", "/api/v1/webhooks/"+id+"/test", nil); st != 202 || b["event_type"] != "webhook.test" {
		t.Fatalf("test = %d %v", st, b)
	}
	test := rcv.waitType(t, "webhook.test", 1)
	for name, s := range map[string]string{"old": secret, "new": fresh} {
		if err := apptest.VerifyWebhook(s, test.header, test.body, time.Now()); err != nil {
			t.Errorf("the %s secret after rotation: %v", name, err)
		}
	}
	if n := len(strings.Fields(test.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures during the rotation, want 2", n)
	}

	// The company's export holds the endpoint and its deliveries, never a secret.
	st, _, export := oc.do("GET", "/api/v1/company/export", nil)
	raw, _ := json.Marshal(export)
	if st != 200 || !strings.Contains(string(raw), id) || !strings.Contains(string(raw), `"webhook_deliveries"`) ||
		strings.Contains(string(raw), strings.TrimPrefix(secret, "whsec_")) || strings.Contains(string(raw), strings.TrimPrefix(fresh, "whsec_")) {
		t.Errorf("export = %d; holds the endpoint %v, a secret %v", st, strings.Contains(string(raw), id),
			strings.Contains(string(raw), strings.TrimPrefix(fresh, "whsec_")))
	}

	// Disable, enable and change through PUT, guarded by If-Match.
	if st, _, _ := oc.do("PUT", "/api/v1/webhooks/"+id, map[string]any{"enabled": false}, "If-Match", `"99"`); st != 412 {
		t.Errorf("stale PUT = %d, want 412", st)
	}
	st, h, up := oc.do("PUT", "/api/v1/webhooks/"+id, map[string]any{"enabled": false, "events": []string{"post.failed"}, "description": "paused"})
	if st != 200 || up["status"] != "disabled" || up["description"] != "paused" || fmt.Sprint(up["events"]) != "[post.failed]" || h.Get("ETag") == "" {
		t.Errorf("PUT = %d %v", st, up)
	}
	if st, _, _ := oc.do("POST", "/api/v1/webhooks/"+id+"/test", nil); st != 409 {
		t.Errorf("test on a disabled endpoint = %d, want 409", st)
	}
	if st, _, up := oc.do("PUT", "/api/v1/webhooks/"+id, map[string]any{"enabled": true}); st != 200 || up["status"] != "enabled" {
		t.Errorf("enable = %d %v", st, up)
	}
	if st, _, _ := oc.do("DELETE", "/api/v1/webhooks/"+id, nil); st != 204 {
		t.Errorf("delete = %d", st)
	}
	if st, _, _ := oc.do("GET", "/api/v1/webhooks/"+id+"/deliveries", nil); st != 404 {
		t.Errorf("deliveries of a deleted endpoint = %d, want 404", st)
	}
}

// TestAPI_WebhooksTenancyRolesAndBadInput tries every webhook endpoint from another company
// (404), as an editor and a viewer (403), and with bad input (4xx, never 5xx).
func TestAPI_WebhooksTenancyRolesAndBadInput(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, admin, editor, viewer, rival := register(t, c, "hooks-owner"), register(t, c, "hooks-admin"), register(t, c, "hooks-editor"),
		register(t, c, "hooks-viewer"), register(t, c, "hooks-rival")
	oc := c.with(owner.token, owner.companyID)
	for _, p := range []struct {
		a    account
		role string
	}{{admin, "admin"}, {editor, "editor"}, {viewer, "viewer"}} {
		addMember(t, oc, p.a, p.role)
	}
	ac := c.with(admin.token, owner.companyID)
	st, _, ep := ac.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/herald", "events": []string{"post.failed"}})
	if st != 201 {
		t.Fatalf("admin creates = %d %v", st, ep)
	}
	id := ep["id"].(string)
	_, _, test := ac.do("POST", "/api/v1/webhooks/"+id+"/test", nil)
	delivery, _ := test["id"].(string)
	if delivery == "" {
		t.Fatalf("test = %v", test)
	}
	endpoints := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/webhooks/" + id, nil},
		{"PUT", "/api/v1/webhooks/" + id, map[string]any{"description": "x"}},
		{"DELETE", "/api/v1/webhooks/" + id, nil},
		{"POST", "/api/v1/webhooks/" + id + "/rotate", nil},
		{"POST", "/api/v1/webhooks/" + id + "/test", nil},
		{"GET", "/api/v1/webhooks/" + id + "/deliveries", nil},
		{"POST", "/api/v1/webhooks/" + id + "/deliveries/" + delivery + "/retry", nil},
	}
	rc := c.with(rival.token, rival.companyID)
	_, _, rivalEP := rc.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://rival.example.com/", "events": []string{"post.failed"}})
	for _, e := range endpoints {
		if st, _, b := rc.do(e.method, e.path, e.body); st != 404 {
			t.Errorf("rival %s %s = %d %v, want 404", e.method, e.path, st, b)
		}
		if st, _, _ := c.with(rival.token, owner.companyID).do(e.method, e.path, e.body); st != 404 {
			t.Errorf("rival naming our company: %s %s = %d, want 404", e.method, e.path, st)
		}
	}
	// Our delivery through the rival's endpoint, and the rival's list: nothing of ours.
	if st, _, _ := oc.do("POST", "/api/v1/webhooks/"+rivalEP["id"].(string)+"/deliveries/"+delivery+"/retry", nil); st != 404 {
		t.Errorf("retry through another company's endpoint = %d, want 404", st)
	}
	if _, _, l := rc.do("GET", "/api/v1/webhooks", nil); len(l["items"].([]any)) != 1 {
		t.Errorf("rival lists %v", l)
	}
	// Editors and viewers neither see nor change webhooks.
	all := append([]struct {
		method, path string
		body         any
	}{{"GET", "/api/v1/webhooks", nil}, {"POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"post.failed"}}}}, endpoints...)
	for _, who := range []account{editor, viewer} {
		wc := c.with(who.token, owner.companyID)
		for _, e := range all {
			if st, _, b := wc.do(e.method, e.path, e.body); st != 403 {
				t.Errorf("%s %s as a member without webhooks = %d %v, want 403", e.method, e.path, st, b)
			}
		}
	}
	for _, e := range all {
		if st, _, _ := c.with("", "").do(e.method, e.path, e.body); st != 401 {
			t.Errorf("anonymous %s %s = %d, want 401", e.method, e.path, st)
		}
	}

	bad := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		field              string
	}{
		{"NoURL", "POST", "/api/v1/webhooks", map[string]any{"events": []string{"post.failed"}}, nil, 422, "url"},
		{"NotHTTP", "POST", "/api/v1/webhooks", map[string]any{"url": "ftp://x.example/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"Relative", "POST", "/api/v1/webhooks", map[string]any{"url": "/hooks", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"Credentials", "POST", "/api/v1/webhooks", map[string]any{"url": "https://u:p@x.example/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"Loopback", "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:8080/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"Localhost", "POST", "/api/v1/webhooks", map[string]any{"url": "http://localhost/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"Metadata", "POST", "/api/v1/webhooks", map[string]any{"url": "http://169.254.169.254/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"IPv6Loopback", "POST", "/api/v1/webhooks", map[string]any{"url": "http://[::1]/", "events": []string{"post.failed"}}, nil, 422, "url"},
		{"NoEvents", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{}}, nil, 422, "events"},
		{"UnknownEvent", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"post.exploded"}}, nil, 422, "events"},
		{"TestEventIsNotSubscribable", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"webhook.test"}}, nil, 422, "events"},
		{"EventsNotAList", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": "post.failed"}, nil, 422, "events"},
		{"LongDescription", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"post.failed"}, "description": strings.Repeat("d", 501)}, nil, 422, "description"},
		{"UnknownField", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"post.failed"}, "secret": "whsec_mine"}, nil, 422, "secret"},
		{"MalformedJSON", "POST", "/api/v1/webhooks", []byte(`{"url":`), nil, 400, ""},
		{"WrongContentType", "POST", "/api/v1/webhooks", nil, []string{"Content-Type", "text/plain"}, 415, ""},
		{"PutNoEvents", "PUT", "/api/v1/webhooks/" + id, map[string]any{"events": []string{}}, nil, 422, "events"},
		{"PutUnknownEvent", "PUT", "/api/v1/webhooks/" + id, map[string]any{"events": []string{"nope"}}, nil, 422, "events"},
		{"PutEnabledNotBool", "PUT", "/api/v1/webhooks/" + id, map[string]any{"enabled": "yes"}, nil, 422, "enabled"},
		{"PutStale", "PUT", "/api/v1/webhooks/" + id, map[string]any{"description": "x"}, []string{"If-Match", `"abc"`}, 412, ""},
		{"BadStatusFilter", "GET", "/api/v1/webhooks/" + id + "/deliveries?status=lost", nil, nil, 422, "status"},
		{"BadTypeFilter", "GET", "/api/v1/webhooks/" + id + "/deliveries?event_type=post.nope", nil, nil, 422, "event_type"},
		{"BadCursor", "GET", "/api/v1/webhooks/" + id + "/deliveries?cursor=garbage", nil, nil, 422, "cursor"},
		{"BadLimit", "GET", "/api/v1/webhooks/" + id + "/deliveries?limit=0", nil, nil, 422, "limit"},
		{"NotAUUID", "GET", "/api/v1/webhooks/not-a-uuid", nil, nil, 404, ""},
		{"UnknownEndpoint", "DELETE", "/api/v1/webhooks/00000000-0000-4000-8000-000000000000", nil, nil, 404, ""},
		{"UnknownDelivery", "POST", "/api/v1/webhooks/" + id + "/deliveries/not-a-uuid/retry", nil, nil, 404, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.name == "WrongContentType" {
				body = []byte(`{"url":"https://x.example/","events":["post.failed"]}`)
			}
			st, _, b := oc.do(tc.method, tc.path, body, tc.headers...)
			if st != tc.status {
				t.Fatalf("%s %s = %d %v, want %d", tc.method, tc.path, st, b, tc.status)
			}
			if tc.field != "" && problemFields(b)[tc.field] == "" {
				t.Errorf("problem = %v, want an error on %s", b, tc.field)
			}
		})
	}

	// Idempotency-Key: a repeat creates nothing new and does not show the secret again.
	body := map[string]any{"url": "https://once.example.com/", "events": []string{"post.published"}}
	_, _, first := oc.do("POST", "/api/v1/webhooks", body, "Idempotency-Key", "hook-1")
	st, h, again := oc.do("POST", "/api/v1/webhooks", body, "Idempotency-Key", "hook-1")
	if st != 201 || again["id"] != first["id"] || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat = %d %v, want the first answer for %v", st, again, first["id"])
	}
	if first["secret"] == nil || again["secret"] != nil {
		t.Errorf("secret in the first answer %v, in the replay %v: want it shown once", first["secret"] != nil, again["secret"])
	}
	if _, _, l := oc.do("GET", "/api/v1/webhooks", nil); len(l["items"].([]any)) != 2 {
		t.Errorf("%d endpoints after a repeated create, want 2", len(l["items"].([]any)))
	}
}
