package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

func TestParseImport_ReadsRows(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
	}{
		{"Commas", "time,accounts,text,media,labels,first comment\n2026-12-24 09:30,Acme;acme_corp,\"Hello, world\",a.jpg|https://example.com/b.png,Holidays; Brand ,More\n"},
		{"BOMAndCRLF", "\xef\xbb\xbftime,accounts,text,media,labels,first comment\r\n2026-12-24 09:30,Acme;acme_corp,\"Hello, world\",a.jpg;https://example.com/b.png,Holidays;Brand,More\r\n"},
		{"SemicolonSeparated", "time;accounts;text;media;labels;first comment\n2026-12-24 09:30;Acme|acme_corp;\"Hello, world\";a.jpg|https://example.com/b.png;\"Holidays;Brand\";More\n"},
		{"ColumnsInAnyOrderAndCase", "Text,First_Comment,TIME,Accounts,Labels,Media\n\"Hello, world\",More,2026-12-24T09:30,Acme;acme_corp,Holidays;Brand,a.jpg;https://example.com/b.png\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, err := parseImport([]byte(tc.file), paris)
			if err != nil {
				t.Fatalf("parseImport: %v", err)
			}
			if len(rows) != 1 {
				t.Fatalf("rows = %d, want 1", len(rows))
			}
			r := rows[0]
			want := time.Date(2026, 12, 24, 8, 30, 0, 0, time.UTC)
			if !r.At.Equal(want) || r.Text != "Hello, world" || r.Comment != "More" || r.Line != 2 || !r.OK() ||
				strings.Join(r.Accounts, "/") != "Acme/acme_corp" || strings.Join(r.Media, " ") != "a.jpg https://example.com/b.png" ||
				strings.Join(r.Labels, "/") != "Holidays/Brand" {
				t.Errorf("row = %+v", r)
			}
		})
	}
}

func TestParseImport_QuotedTextKeepsLineBreaksAndQuotes(t *testing.T) {
	t.Parallel()
	rows, err := parseImport([]byte("time,accounts,text\n2026-12-24 09:30,Acme,\"Line one\r\nLine \"\"two\"\"\"\n2026-12-25 10:00,Acme,Next\n"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Text != "Line one\nLine \"two\"" || rows[1].Line != 4 || rows[1].Text != "Next" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestParseImport_MarksBadRows(t *testing.T) {
	t.Parallel()
	rows, err := parseImport([]byte("time,accounts,text\n,Acme,No time\nnext tuesday,Acme,Bad time\n2026-13-40 25:00,Acme,Impossible\n2026-12-24 09:30,,No accounts\n\n2026-12-24 09:30,Acme,Fine\n"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	wants := []string{"time is empty", "is not a time", "is not a time", "accounts is empty", ""}
	if len(rows) != len(wants) {
		t.Fatalf("rows = %d, want %d (the blank line skipped)", len(rows), len(wants))
	}
	for i, w := range wants {
		got := strings.Join(rows[i].Problems, "; ")
		if (w == "" && got != "") || !strings.Contains(got, w) {
			t.Errorf("row %d problems = %q, want %q", i, got, w)
		}
	}
}

func TestParseImport_RefusesTheFile(t *testing.T) {
	t.Parallel()
	many := "time,accounts,text\n" + strings.Repeat("2026-12-24 09:30,Acme,Hi\n", app.MaxBulkPosts+1)
	for _, tc := range []struct{ name, file, want string }{
		{"Empty", "", "is empty"},
		{"OnlyHeader", "time,accounts,text\n", "has no posts"},
		{"Binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"},
		{"NotUTF8", "time,accounts,text\n2026-12-24 09:30,Acme,caf\xe9\n", "not a CSV text file"},
		{"MissingColumns", "when,accounts,message\n2026-12-24 09:30,Acme,Hi\n", "does not know"},
		{"MissingRequiredColumn", "time,accounts,media\n2026-12-24 09:30,Acme,a.jpg\n", "no text column"},
		{"BadQuotes", "time,accounts,text\n2026-12-24 09:30,Acme,\"unclosed\n", "line 2"},
		{"TooManyRows", many, "more than 1000 posts"},
		{"TooBig", "time,accounts,text\n" + strings.Repeat("x", maxImportBytes), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseImport([]byte(tc.file), time.UTC)
			if domain.CodeOf(err) != domain.CodeInvalid || !strings.Contains(domain.FieldsOf(err)["file"], tc.want) {
				t.Errorf("parseImport = %v, want the file refused: %q", err, tc.want)
			}
		})
	}
}

func TestResolveImport_FindsAccountsAndMedia(t *testing.T) {
	t.Parallel()
	accounts := []domain.Account{
		{ID: "a1", Platform: domain.Sandbox, ExternalID: "acme_corp", DisplayName: "Acme"},
		{ID: "a2", Platform: domain.LinkedIn, ExternalID: "urn:li:1", DisplayName: "Acme"},
		{ID: "a3", Platform: domain.TikTok, ExternalID: "tt", DisplayName: "Beta"},
	}
	rows := []importRow{
		{Accounts: []string{"@acme_corp", "beta", "Acme (LinkedIn)"}, Media: []string{"Card.JPG", "https://example.com/x.png"}},
		{Accounts: []string{"Acme", "Nobody"}, Media: []string{"missing.png"}},
	}
	library := map[string]domain.MediaID{"card.jpg": "m1"}
	resolveImport(rows, accounts, func(name string) (domain.MediaID, bool) {
		id, ok := library[strings.ToLower(name)]
		return id, ok
	})
	if !rows[0].OK() || len(rows[0].accountIDs) != 3 || rows[0].accountIDs[2] != "a2" || len(rows[0].mediaIDs) != 1 || rows[0].mediaIDs[0] != "m1" ||
		len(rows[0].mediaURLs) != 1 {
		t.Errorf("row 0 = %+v", rows[0])
	}
	got := strings.Join(rows[1].Problems, "; ")
	for _, w := range []string{`"Acme" names 2 accounts`, `no connected account is called "Nobody"`, `no file called "missing.png"`} {
		if !strings.Contains(got, w) {
			t.Errorf("row 1 problems = %q, want %q", got, w)
		}
	}
}
