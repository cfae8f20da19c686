package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/app"
)

// TestBrowser_WebhookEndpointTestEventAndAuditLog is the integrator's first minutes with
// JavaScript on: an owner adds an endpoint, copies the secret shown once, sends a test
// event, sees it delivered on the page, and finds both changes in the audit log. The
// receiver checks the signature with the copied secret, as a consumer would.
func TestBrowser_WebhookEndpointTestEventAndAuditLog(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	m := startHeraldWith(t, app.Limits{}, map[string]string{"HERALD_WEBHOOK_ALLOW_PRIVATE": "true"})
	ctx := chrome(t, 1280, 1000)
	type css = chromedp.CSS
	step := stepper(t, ctx)
	text := func(sel string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(out)
	}

	step("register",
		chromedp.Navigate(m.URL()+"/register"),
		chromedp.SendKeys(css("#name"), "Hana"),
		chromedp.SendKeys(css("#email"), strings.ToLower(uniqueEmail("hana"))),
		chromedp.SendKeys(css("#password"), "correct horse battery"),
		chromedp.SendKeys(css("#company"), "Hana Hooks"),
		chromedp.Submit(css("#company")),
		chromedp.WaitVisible(css("#company-name")))
	step("add an endpoint",
		chromedp.Navigate(m.URL()+"/webhooks"),
		chromedp.WaitVisible(css("#add-endpoint")),
		chromedp.SendKeys(css("#webhook-url"), receiver.URL+"/herald"),
		chromedp.Click(css(`input[name="events"][value="post.published"]`)),
		chromedp.SendKeys(css("#webhook-description"), "Our CRM"),
		chromedp.Click(css("#add-webhook")),
		chromedp.WaitVisible(css("#new-secret")))
	secret := ""
	for _, f := range strings.Fields(text("#new-secret")) {
		if strings.HasPrefix(f, "whsec_") {
			secret = f
		}
	}
	if secret == "" {
		t.Fatalf("no secret shown after adding the endpoint: %q", text("#new-secret"))
	}
	screenshot(t, ctx, "webhook-created.png")

	step("open the endpoint and send a test event",
		chromedp.Click(css("#endpoints .endpoint header a")),
		chromedp.WaitVisible(css("#send-test")),
		chromedp.Click(css("#send-test")),
		chromedp.WaitVisible(css("#deliveries")))
	deadline := time.Now().Add(pollDeadline)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#deliveries tr[data-status="succeeded"]')`))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test event is not shown delivered: %q", text("#deliveries"))
		}
		time.Sleep(300 * time.Millisecond)
		step("reload", chromedp.Reload(), chromedp.WaitVisible(css("#deliveries")))
	}
	if row := text(`#deliveries tr[data-status="succeeded"]`); !strings.Contains(row, "webhook.test") || !strings.Contains(row, "HTTP 204") {
		t.Errorf("delivered row = %q", row)
	}
	screenshot(t, ctx, "webhook.png")

	// The consumer's side: the signature verifies with the secret the page showed.
	mu.Lock()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	r, body := got[0], bodies[0]
	mu.Unlock()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !strings.Contains(" "+r.Header.Get("webhook-signature")+" ", " "+want+" ") || !strings.Contains(string(body), `"type":"webhook.test"`) {
		t.Errorf("the test event does not verify: signature %q, want %q; body %s", r.Header.Get("webhook-signature"), want, body)
	}

	step("audit log", chromedp.Navigate(m.URL()+"/audit"), chromedp.WaitVisible(css("#audit-log")))
	if log := text("#audit-log"); !strings.Contains(log, "webhook.created") || !strings.Contains(log, "Hana") {
		t.Errorf("the audit log lacks the endpoint's creation by Hana: %q", log)
	}
	screenshot(t, ctx, "audit.png")
}
