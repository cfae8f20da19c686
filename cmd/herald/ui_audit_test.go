package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// TestUI_AuditLogPage: an owner reads who did what on the page, filters it, gets a clear
// message for a bad date, and the link is for owners and admins only; the operator's page
// spans companies and is closed to everyone else.
func TestUI_AuditLogPage(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	owner := newBrowser(t, m)
	owner.registerUI("Aude")
	mate := newBrowser(t, m)
	mateEmail := mate.registerUI("Bryn")
	mate.accept(owner.invite(mateEmail, "viewer"))
	owner.connectSandbox("/accounts", "allow")

	res, doc := owner.get("/audit")
	rows := doc.Find("#audit-log tbody tr")
	if res.StatusCode != 200 || rows.Length() < 3 || doc.Find(`nav a[href="/audit"]`).Length() != 1 {
		t.Fatalf("audit page = %d with %d rows, nav link %d", res.StatusCode, rows.Length(), doc.Find(`nav a[href="/audit"]`).Length())
	}
	added := doc.Find(`#audit-log tr[data-action="member.invited"]`)
	if added.Length() != 1 || !strings.Contains(added.Text(), "Aude") || !strings.Contains(added.Text(), "role: viewer") ||
		!strings.Contains(added.Text(), "127.0.0.1") || added.Find("time").AttrOr("datetime", "") == "" {
		t.Errorf("member.invited row = %q", strings.Join(strings.Fields(added.Text()), " "))
	}
	_, doc = owner.get("/audit?action=member.")
	doc.Find("#audit-log tbody tr").Each(func(_ int, s *goquery.Selection) {
		if !strings.HasPrefix(s.AttrOr("data-action", ""), "member.") {
			t.Errorf("the members filter shows %s", s.AttrOr("data-action", ""))
		}
	})
	if doc.Find(`#audit-action option[value="member."][selected]`).Length() != 1 {
		t.Error("the chosen filter is not kept")
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if _, doc = owner.get("/audit?to=2001-01-01"); doc.Find("#audit-empty").Length() != 1 || doc.Find("#audit-log").Length() != 0 {
		t.Errorf("an empty range shows %q", doc.Find("main").Text())
	}
	if _, doc = owner.get("/audit?from=" + today); doc.Find("#audit-log tbody tr").Length() < 3 {
		t.Error("today's entries are missing")
	}
	res, doc = owner.get("/audit?from=soon&to=" + today)
	if res.StatusCode != 422 || doc.Find("#audit-from-error").Length() != 1 || doc.Find("#audit-from").AttrOr("value", "") != "soon" {
		t.Errorf("bad date = %d, error %q", res.StatusCode, doc.Find("#audit-from-error").Text())
	}

	// The viewer, in the owner's company, has no link and gets the 403 page.
	_, doc = mate.get("/")
	var company string
	doc.Find("#company-select option").Each(func(_ int, s *goquery.Selection) {
		if s.Text() == "Aude Co" {
			company = s.AttrOr("value", "")
		}
	})
	mate.submit("/", "#company-switcher", map[string]string{"company_id": company})
	res, doc = mate.get("/audit")
	if res.StatusCode != http.StatusForbidden || doc.Find(`nav a[href="/audit"]`).Length() != 0 {
		t.Errorf("viewer's audit page = %d, nav link %d", res.StatusCode, doc.Find(`nav a[href="/audit"]`).Length())
	}
	if res, _ := owner.get("/admin/audit"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an owner opens the operator's log = %d, want 403", res.StatusCode)
	}

	// The operator sees both companies' entries.
	root := newBrowser(t, m)
	rootEmail := root.registerUI("Root")
	if _, _, err := m.App.Auth.EnsureSuperadmin(context.Background(), rootEmail, "", ""); err != nil {
		t.Fatal(err)
	}
	res, doc = root.get("/admin/audit?action=member.")
	if res.StatusCode != 200 || !strings.Contains(doc.Find("#audit-log").Text(), company) {
		t.Errorf("operator's log = %d: %q", res.StatusCode, doc.Find("main").Text())
	}
	if res, doc = root.get("/admin/audit?company=nope"); res.StatusCode != 422 || doc.Find("#audit-company-error").Length() != 1 {
		t.Errorf("operator's bad company filter = %d", res.StatusCode)
	}
}
