package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUI_HomeShowsOnlyTheCompanysOwnPostsAndKeepsATypedName: two companies schedule posts
// through their pages; each start page lists its own upcoming post and never the other's,
// and the start page's event stream answers for the viewer's company only. A blank company
// name is a field error on the start page (422) with its sections still there.
func TestUI_HomeShowsOnlyTheCompanysOwnPostsAndKeepsATypedName(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	acme, rival := newBrowser(t, m), newBrowser(t, m)
	acme.registerUI("Hilde")
	rival.registerUI("Ruth")
	acme.connectSandboxAs("hilde-desk")
	rival.connectSandboxAs("ruth-desk")
	at := time.Now().Add(48 * time.Hour)
	mine := acme.schedulePost("Hilde's launch note", at, acme.accountIDs("hilde-desk")["hilde-desk"])
	theirs := rival.schedulePost("Ruth's secret plan", at, rival.accountIDs("ruth-desk")["ruth-desk"])

	res, doc := acme.get("/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	if doc.Find(`#home-upcoming [data-post="`+mine+`"]`).Length() != 1 {
		t.Errorf("Acme's upcoming lacks its post: %q", text(doc.Find("#home-upcoming")))
	}
	if doc.Find(`[data-post="`+theirs+`"]`).Length() != 0 || strings.Contains(doc.Text(), "Ruth's secret plan") || strings.Contains(doc.Text(), "ruth-desk") {
		t.Error("Acme's start page shows Rival's post or account")
	}
	// The live refresh (an htmx request for the region) answers the same way.
	_, part := acme.get("/", "HX-Request", "true")
	if part.Find(`#home-live [data-post="`+mine+`"]`).Length() != 1 || part.Find(`[data-post="`+theirs+`"]`).Length() != 0 {
		t.Errorf("the live region's refresh: %q", text(part.Find("#home-live")))
	}

	// The stream starts with the fingerprint of the viewer's own page: given Acme's as
	// "since", Rival's stream announces a change (its page differs), Acme's does not.
	since := doc.Find("#home-live").AttrOr("data-live-events", "")
	if !strings.HasPrefix(since, "/home/events?since=") {
		t.Fatalf("data-live-events = %q", since)
	}
	first := func(b *browser) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", b.base+since, nil)
		res, err := b.http.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", since, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("GET %s = %d %s", since, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var seen strings.Builder
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() { // until the deadline cuts the stream
			seen.WriteString(sc.Text() + "\n")
		}
		return seen.String()
	}
	if got := first(acme); strings.Contains(got, "event: change") {
		t.Errorf("Acme's stream, given its own page's fingerprint, announced a change: %q", got)
	}
	if got := first(rival); !strings.Contains(got, "event: change") {
		t.Errorf("Rival's stream, given Acme's fingerprint, announced nothing: %q", got)
	}

	res, doc = acme.submit("/", `form[action="/companies"]`, map[string]string{"name": "   "})
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find("#new-company-error").Length() != 1 || doc.Find("#home-upcoming").Length() != 1 {
		t.Errorf("blank company name: %d, error %q, upcoming shown %t", res.StatusCode, doc.Find("#new-company-error").Text(), doc.Find("#home-upcoming").Length() == 1)
	}
}
