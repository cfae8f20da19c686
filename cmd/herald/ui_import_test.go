package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app"
)

// uploadImport sends file as the CSV import form on the import page would, without
// JavaScript: a multipart form with the page's CSRF token.
func (b *browser) uploadImport(name string, file []byte) (*http.Response, *goquery.Document) {
	b.t.Helper()
	_, doc := b.page("/posts/import")
	f := doc.Find("#import-form")
	token := f.Find(`input[name="_csrf"]`).AttrOr("value", "")
	if f.Length() == 0 || token == "" {
		b.t.Fatalf("no import form with a CSRF token: %s", text(doc.Find("main")))
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", token)
	part, _ := w.CreateFormFile("file", name)
	_, _ = part.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest("POST", b.base+f.AttrOr("action", ""), &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.send(req)
}

// TestUI_ImportCSV walks the CSV import without JavaScript: the template downloads, a
// refused file saves nothing and says why, the preview shows every row with each bad
// one's reasons (an unknown account, a bad time, text too long for the platform) and
// saves nothing, and "Schedule N posts" schedules the good rows in the person's zone.
func TestUI_ImportCSV(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	b := newBrowser(t, m)
	email := b.registerUI("importer")
	b.connectSandboxAs("importdesk")
	b.setZone("Europe/Paris")
	var company string
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT m.company_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1`, email).Scan(&company); err != nil {
		t.Fatal(err)
	}

	_, doc := b.page("/posts")
	if doc.Find(`a#import-posts[href="/posts/import"]`).Length() != 1 {
		t.Errorf("the posts page has no link to the import")
	}
	res, _ := b.get("/posts/import/template.csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("template = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	for name, file := range map[string][]byte{"photo.png": []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "empty.csv": nil,
		"header.csv": []byte("time,accounts,text\n"), "columns.csv": []byte("when,who,what\n2026-12-24 09:30,a,b\n")} {
		res, doc := b.uploadImport(name, file)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(doc.Find("#import-refused")), "Nothing was saved") {
			t.Errorf("%s = %d %q, want 422 saying why", name, res.StatusCode, text(doc.Find("#import-refused")))
		}
	}

	year := time.Now().Year() + 1
	file := fmt.Sprintf("time,accounts,text,labels,first comment\n"+
		"%d-03-02 09:30,importdesk,\"Spring, at last\",Spring;Launch,Details soon\n"+
		"%d-03-02 10:00,nobody,Unknown account,,\n"+
		"next week,importdesk,Bad time,,\n"+
		"%d-03-03 09:30,@importdesk,%s,,\n"+
		"%d-03-04 09:30,importdesk,Second good row,,\n", year, year, year, strings.Repeat("x", 5001), year)
	res, doc = b.uploadImport("spring.csv", []byte(file))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview = %d: %s", res.StatusCode, text(doc.Find("main")))
	}
	rows := doc.Find("#import-rows tbody tr")
	if rows.Length() != 4+1 || doc.Find("tr.import-bad").Length() != 3 || doc.Find("tr.import-ok").Length() != 2 {
		t.Fatalf("preview rows = %d (%d bad), want 5 with 3 bad: %s", rows.Length(), doc.Find("tr.import-bad").Length(), text(doc.Find("#import-rows")))
	}
	for line, want := range map[string]string{"3": `no connected account is called "nobody"`, "4": "is not a time", "5": "is 5,001 characters long"} {
		if got := text(doc.Find(`tr[data-line="` + line + `"] .import-problems`)); !strings.Contains(got, want) {
			t.Errorf("line %s problems = %q, want %q", line, got, want)
		}
	}
	if got := text(doc.Find(`tr[data-line="2"] td[data-label="Time"]`)); !strings.Contains(got, "09:30") {
		t.Errorf("line 2 time = %q, want 09:30 in the person's zone", got)
	}
	if n := postCountUI(t, m, company); n != 0 {
		t.Errorf("posts after the preview = %d, want 0", n)
	}
	confirm := doc.Find("#import-confirm")
	if text(confirm) != "Schedule 2 posts" {
		t.Errorf("confirm button = %q", text(confirm))
	}
	at, _ := url.Parse(b.base + "/posts/import/preview")
	res, doc = b.postForm(at, doc, "#import-schedule", nil)
	if res.Request.URL.Path != "/posts" || !strings.Contains(text(doc.Find("main")), "Scheduled 2 posts from spring.csv. Left out: 3 rows with problems.") {
		t.Errorf("schedule landed on %s: %s", res.Request.URL.Path, text(doc.Find("main")))
	}
	if n := postCountUI(t, m, company); n != 2 {
		t.Fatalf("posts after scheduling = %d, want 2", n)
	}
	var when time.Time
	var status, labels string
	err := m.db.Pool().QueryRow(context.Background(), `SELECT status, scheduled_for, array_to_string(labels, ',') FROM posts WHERE company_id = $1 AND content = 'Spring, at last'`, company).
		Scan(&status, &when, &labels)
	paris, _ := time.LoadLocation("Europe/Paris")
	if err != nil || status != "scheduled" || !when.Equal(time.Date(year, 3, 2, 9, 30, 0, 0, paris)) || labels != "Spring,Launch" {
		t.Errorf("imported post = %s at %s labels %q (%v), want scheduled at 09:30 Paris with its labels", status, when, labels, err)
	}
}

// postCountUI returns how many posts the company has.
func postCountUI(t *testing.T, m *Main, company string) int {
	t.Helper()
	var n int
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM posts WHERE company_id = $1`, company).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
