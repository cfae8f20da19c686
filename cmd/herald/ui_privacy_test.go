package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app"
)

// getJSONFile downloads path as a browser following a link would, and decodes it.
func (b *browser) getJSONFile(path string) (*http.Response, exportDoc) {
	b.t.Helper()
	res, err := b.http.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var doc exportDoc
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &doc); err != nil {
			b.t.Fatalf("%s is not JSON: %v\n%s", path, err, raw)
		}
	}
	return res, doc
}

func TestUI_CompanyDataExportAndDeletion(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	owner.registerUI("Ida")
	admin := joinAs(t, m, owner, "Jon", "Ida Co", "admin")

	at, doc := owner.page("/settings")
	link := doc.Find("#company-data a#export-company")
	if _, dl := link.Attr("download"); link.AttrOr("href", "") != "/settings/export" || !dl || link.Closest(`[hx-boost="false"]`).Length() != 1 {
		t.Errorf("export link = %v", link.Nodes)
	}
	res, file := owner.getJSONFile("/settings/export")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=") ||
		file.Format != app.CompanyExportFormat || len(file.Sections["company"]) != 1 || file.Sections["company"][0]["name"] != "Ida Co" ||
		len(file.Sections["members"]) != 2 {
		t.Errorf("export = %d %v: %+v", res.StatusCode, res.Header, file)
	}

	// An admin sees neither the export nor the deletion, and cannot use them.
	_, adoc := admin.page("/settings")
	if adoc.Find("#company-data, #export-company, #delete-company-form").Length() != 0 {
		t.Error("an admin sees the company data controls")
	}
	if res, _ := admin.getJSONFile("/settings/export"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an admin's export = %d, want 403", res.StatusCode)
	}
	if res, _ := admin.postWithToken("/settings/delete", url.Values{"confirm": {"Ida Co"}}, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("an admin's deletion = %d, want 403", res.StatusCode)
	}

	// A wrong name: the form comes back with the problem beside the field.
	res, doc = owner.postForm(at, doc, "#delete-company-form", url.Values{"confirm": {"ida co"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#confirm-company-error")), "does not match") ||
		doc.Find("#confirm-company").AttrOr("value", "") != "ida co" || doc.Find("#confirm-company").AttrOr("aria-invalid", "") != "true" {
		t.Fatalf("wrong name = %d: %q", res.StatusCode, text(doc.Find("#company-data")))
	}
	if f, ok := doc.Find("#delete-company-form").Attr("data-confirm"); !ok || !strings.Contains(f, "cannot be undone") {
		t.Error("the deletion form does not ask before sending")
	}

	res, doc = owner.postForm(at, doc, "#delete-company-form", url.Values{"confirm": {"Ida Co"}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/" || !strings.Contains(text(doc.Find("#alerts")), "Deleted Ida Co and all its data") ||
		!strings.Contains(text(doc.Find("main")), "You do not belong to any company yet") {
		t.Fatalf("delete = %d at %s: alerts %q, main %q", res.StatusCode, res.Request.URL.Path, text(doc.Find("#alerts")), text(doc.Find("main")))
	}
	// The admin goes back to their own company; the deleted one is gone from their list.
	if _, doc := admin.page("/"); doc.Find("#company-name").Text() != "Jon Co" || strings.Contains(text(doc.Find("#company-select")), "Ida Co") {
		t.Errorf("the admin's home after the deletion: %q, companies %q", doc.Find("#company-name").Text(), text(doc.Find("#company-select")))
	}
}

func TestUI_ProfileDataExportAndDeletion(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	owner := newBrowser(t, m)
	ownerEmail := owner.registerUI("Kim")
	lou := joinAs(t, m, owner, "Lou", "Kim Co", "editor")

	at, doc := owner.page("/profile")
	if link := doc.Find("a#export-me"); link.AttrOr("href", "") != "/profile/export" || link.Closest(`[hx-boost="false"]`).Length() != 1 {
		t.Errorf("export link = %v", link.Nodes)
	}
	res, file := owner.getJSONFile("/profile/export")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=") ||
		file.Format != app.UserExportFormat || len(file.Sections["profile"]) != 1 || file.Sections["profile"][0]["email"] != ownerEmail {
		t.Errorf("export = %d %v: %+v", res.StatusCode, res.Header, file)
	}

	res, doc = owner.postForm(at, doc, "#delete-me-form", url.Values{"confirm": {"someone@example.com"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#confirm-email-error")), "does not match") {
		t.Fatalf("wrong email = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
	// The last owner of a company with another member is told what to do first.
	res, doc = owner.postForm(at, doc, "#delete-me-form", url.Values{"confirm": {ownerEmail}})
	if msg := text(doc.Find("#delete-me-error")); res.StatusCode != http.StatusConflict || !strings.Contains(msg, "last owner of Kim Co") || !strings.Contains(msg, "owner") {
		t.Fatalf("last owner = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
	if _, doc := owner.page("/team"); !strings.Contains(text(doc.Find("#members")), "Lou") {
		t.Fatal("the refused deletion changed the team")
	}

	// Lou, an editor here and the only member of Lou Co, deletes his account.
	at, doc = lou.page("/profile")
	louEmail := strings.TrimSpace(doc.Find("#confirm-email").Parent().Find("label strong").Text())
	res, doc = lou.postForm(at, doc, "#delete-me-form", url.Values{"confirm": {louEmail}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/login" || !strings.Contains(text(doc.Find("#alerts")), "Your account was deleted. Lou Co, where you were the only member, was deleted with it.") {
		t.Fatalf("delete account = %d at %s: %q", res.StatusCode, res.Request.URL.Path, text(doc.Find("#alerts")))
	}
	if res, _ := lou.get("/profile"); res.Request.URL.Path != "/login" {
		t.Errorf("after deleting the account, the profile page ended at %s", res.Request.URL.Path)
	}
	if _, doc := owner.page("/team"); strings.Contains(text(doc.Find("#members")), "Lou") {
		t.Errorf("Lou is still on the team: %q", text(doc.Find("#members")))
	}
	res, doc = lou.submit("/login", `form[action="/login"]`, map[string]string{"email": louEmail, "password": "correct horse battery"})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("login after deletion = %d: %q", res.StatusCode, text(doc.Find("main")))
	}
}
