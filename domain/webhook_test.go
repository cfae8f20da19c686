package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestCheckWebhookURL(t *testing.T) {
	t.Parallel()
	prod := WebhookURLPolicy{RequireHTTPS: true}
	dev := WebhookURLPolicy{}
	open := WebhookURLPolicy{AllowPrivate: true}
	for _, tc := range []struct {
		url    string
		policy WebhookURLPolicy
		ok     bool
	}{
		{"https://hooks.example.com/herald", prod, true},
		{"https://hooks.example.com:8443/herald?x=1", prod, true},
		{"http://hooks.example.com/herald", prod, false},
		{"http://hooks.example.com/herald", dev, true},
		{"", dev, false},
		{"hooks.example.com/herald", dev, false},
		{"/webhooks", dev, false},
		{"ftp://hooks.example.com/", dev, false},
		{"javascript:alert(1)", dev, false},
		{"https://user:pass@hooks.example.com/", dev, false},
		{"https://token@hooks.example.com/", dev, false},
		{"https://hooks.example.com/#frag", dev, false},
		{"https://hooks.example.com:99999/", dev, false},
		{"http://127.0.0.1:8080/", dev, false},
		{"http://localhost/", dev, false},
		{"http://app.localhost/", dev, false},
		{"http://169.254.169.254/latest/meta-data", dev, false},
		{"http://10.0.0.8/", dev, false},
		{"http://192.168.1.1/", dev, false},
		{"http://[::1]/", dev, false},
		{"http://[::ffff:127.0.0.1]/", dev, false},
		{"http://[fe80::1]/", dev, false},
		{"http://0.0.0.0/", dev, false},
		{"http://224.0.0.1/", dev, false},
		{"http://100.64.0.1/", dev, false},
		{"http://8.8.8.8/", dev, true},
		{"http://127.0.0.1:8080/", open, true},
		{"http://localhost:8080/", open, true},
		{"https://" + strings.Repeat("a", 2050) + ".com/", dev, false},
	} {
		_, problem := CheckWebhookURL(tc.url, tc.policy)
		if (problem == "") != tc.ok {
			t.Errorf("CheckWebhookURL(%.60q, %+v) problem = %q, want ok %v", tc.url, tc.policy, problem, tc.ok)
		}
	}
}

func TestNewWebhookEndpoint_ReportsEveryBadField(t *testing.T) {
	t.Parallel()
	_, err := NewWebhookEndpoint("c", "u", WebhookInput{URL: "ftp://x", Events: []string{"post.nope"}, Description: strings.Repeat("d", 501)},
		WebhookURLPolicy{}, time.Now())
	f := FieldsOf(err)
	for _, name := range []string{"url", "events", "description"} {
		if f[name] == "" {
			t.Errorf("fields = %v, want a problem for %s", f, name)
		}
	}
	_, err = NewWebhookEndpoint("c", "u", WebhookInput{URL: "https://x.example", Events: nil}, WebhookURLPolicy{}, time.Now())
	if FieldsOf(err)["events"] == "" {
		t.Errorf("no events: err = %v, want a problem for events", err)
	}
	e, err := NewWebhookEndpoint("c", "u", WebhookInput{URL: " https://x.example/h ", Events: []string{"post.failed", "post.scheduled", "post.failed"}},
		WebhookURLPolicy{RequireHTTPS: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if e.URL != "https://x.example/h" || len(e.Events) != 2 || e.Events[0] != EventPostScheduled || e.Status != WebhookEnabled {
		t.Errorf("endpoint = %+v", e)
	}
	if !e.Subscribed(EventPostFailed) || e.Subscribed(EventPostPublished) {
		t.Errorf("Subscribed is wrong for %v", e.Events)
	}
}

func TestWebhookRetryDelay_FollowsTheSchedule(t *testing.T) {
	t.Parallel()
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		got, ok := WebhookRetryDelay(i + 1)
		if !ok || got != w {
			t.Errorf("WebhookRetryDelay(%d) = %v, %v; want %v, true", i+1, got, ok, w)
		}
	}
	if _, ok := WebhookRetryDelay(len(want) + 1); ok {
		t.Errorf("WebhookRetryDelay(%d) wants another attempt after the last", len(want)+1)
	}
	if _, ok := WebhookRetryDelay(0); ok {
		t.Error("WebhookRetryDelay(0) = ok")
	}
	if WebhookMaxAttempts != 8 {
		t.Errorf("WebhookMaxAttempts = %d, want 8", WebhookMaxAttempts)
	}
	var total time.Duration
	for _, d := range WebhookRetrySchedule {
		total += d
	}
	if total < 27*time.Hour || total > 28*time.Hour {
		t.Errorf("the schedule spans %v, want about 27.6 h", total)
	}
}

func TestWebhookEndpoint_RecordAttempt(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	newEndpoint := func() WebhookEndpoint {
		e, err := NewWebhookEndpoint("c", "u", WebhookInput{URL: "https://x.example", Events: []string{"post.published"}}, WebhookURLPolicy{}, start)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	t.Run("DisabledAfterFiveDaysOfFailures", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint()
		for h := 0; h < 5*24; h += 10 {
			if e.RecordAttempt(500, false, start.Add(time.Duration(h)*time.Hour)) {
				t.Fatalf("disabled after %d h of failures", h)
			}
		}
		if !e.RecordAttempt(0, false, start.Add(WebhookDisableAfter)) {
			t.Fatal("not disabled after 5 days of failures")
		}
		if e.Status != WebhookDisabled || !strings.Contains(e.DisabledReason, "5 days") || e.Subscribed(EventPostPublished) {
			t.Errorf("endpoint = %s %q", e.Status, e.DisabledReason)
		}
	})

	t.Run("ASuccessStartsTheStreakOver", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint()
		e.RecordAttempt(500, false, start)
		e.RecordAttempt(200, true, start.Add(4*24*time.Hour))
		if e.ConsecutiveFailures != 0 || !e.FailingSince.IsZero() {
			t.Fatalf("after a success: %d failures since %v", e.ConsecutiveFailures, e.FailingSince)
		}
		if e.RecordAttempt(500, false, start.Add(6*24*time.Hour)) {
			t.Error("disabled by the first failure after a success")
		}
	})

	t.Run("GoneDisablesAtOnce", func(t *testing.T) {
		t.Parallel()
		e := newEndpoint()
		if !e.RecordAttempt(410, false, start) || e.Status != WebhookDisabled || !strings.Contains(e.DisabledReason, "410") {
			t.Errorf("after 410: %s %q", e.Status, e.DisabledReason)
		}
		e.Enable(start.Add(time.Hour))
		if e.Status != WebhookEnabled || e.ConsecutiveFailures != 0 {
			t.Errorf("after Enable: %s, %d failures", e.Status, e.ConsecutiveFailures)
		}
	})
}

// TestSignWebhook_MatchesTheStandardWebhooksVector checks the signature against the
// example of the Standard Webhooks reference libraries, and against a verification written
// here the way a consumer would.
func TestSignWebhook_MatchesTheStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	at := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	got, err := SignWebhook("msg_p5jXN8AQM9LWM0D4loKWxJek", at, body, secret)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("SignWebhook = %q, want %q", got, want)
	}

	other, _ := WebhookSecret(make([]byte, 32))
	two, err := SignWebhook("msg_1", at, body, secret, other)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(two, " ")
	if len(parts) != 2 {
		t.Fatalf("two secrets give %q, want two signatures", two)
	}
	for i, s := range []string{secret, other} {
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte("msg_1.1614265330." + string(body)))
		if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); parts[i] != want {
			t.Errorf("signature %d = %q, want %q", i, parts[i], want)
		}
	}
	if _, err := SignWebhook("m", at, body, "whsec_!!!"); CodeOf(err) != CodeInvalid {
		t.Errorf("a malformed secret: err = %v", err)
	}
}

func TestWebhookSecret(t *testing.T) {
	t.Parallel()
	if _, err := WebhookSecret(make([]byte, 23)); err == nil {
		t.Error("23 bytes were accepted")
	}
	s, err := WebhookSecret([]byte(strings.Repeat("k", 24)))
	if err != nil || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("WebhookSecret = %q, %v", s, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil || string(key) != strings.Repeat("k", 24) {
		t.Errorf("the secret does not decode to its bytes: %q, %v", key, err)
	}
}

func TestWebhookDelivery_Record(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var d WebhookDelivery
	d.Record(WebhookResponse{Status: 302}, false, now.Add(5*time.Second), now)
	if d.Status != DeliveryPending || d.Attempts != 1 || !strings.Contains(d.Error, "redirect") || d.NextAttemptAt.IsZero() {
		t.Errorf("after a redirect: %+v", d)
	}
	d.Record(WebhookResponse{Status: 500, Body: append([]byte("bad\x00\xff"), make([]byte, 2000)...)}, true, time.Time{}, now)
	if d.Status != DeliveryFailed || d.Attempts != 2 || len(d.ResponseBody) > WebhookResponseKeptBytes+2 || strings.Contains(d.ResponseBody, "\x00") {
		t.Errorf("after the last failure: status %s, attempts %d, body %d bytes", d.Status, d.Attempts, len(d.ResponseBody))
	}
	d.Record(WebhookResponse{Status: 204}, true, time.Time{}, now)
	if d.Status != DeliverySucceeded || d.Error != "" {
		t.Errorf("after a 204: %+v", d)
	}
}
