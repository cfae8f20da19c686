package main

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// TestUI_EveryLinkOfTheMainPagesIsServed: the web app builds its links from named routes
// (ui/routes.go), some of them pages other packages serve (River UI at /admin/jobs, the
// sandbox's operator pages). Every address a superadmin's main pages link to, style sheet
// or script is answered by a route of the whole server: none is a 404 or an error.
func TestUI_EveryLinkOfTheMainPagesIsServed(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	op := newBrowser(t, m)
	email := op.registerUI("Rhea")
	if _, _, err := m.Auth.EnsureSuperadmin(context.Background(), email, "", ""); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{} // address: the page that links to it
	for _, page := range []string{"/", "/posts", "/posts/new", "/calendar", "/analytics", "/accounts", "/settings", "/team", "/tokens", "/profile",
		"/webhooks", "/audit", "/admin/tenants", "/admin/audit"} {
		res, doc := op.get(page)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", page, res.StatusCode)
		}
		doc.Find("a[href], link[href], script[src]").Each(func(_ int, s *goquery.Selection) {
			addr := s.AttrOr("href", s.AttrOr("src", ""))
			if strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "//") {
				if _, seen := links[addr]; !seen {
					links[addr] = page
				}
			}
		})
	}
	for _, want := range []string{"/admin/jobs", "/sandbox/posts", "/static/app.js"} {
		if _, ok := links[want]; !ok {
			t.Errorf("no page links to %s", want)
		}
	}
	addrs := make([]string, 0, len(links))
	for a := range links {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		if res, _ := op.get(a); res.StatusCode >= 400 {
			t.Errorf("GET %s (linked from %s) = %d", a, links[a], res.StatusCode)
		}
	}
}
