package ui

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// maxImportBytes is the largest CSV file the import reads.
const maxImportBytes = 4 << 20

// importColumns are the columns of an import file, as its header names them (in any case,
// in any order); time, accounts and text are required.
var importColumns = []string{"time", "accounts", "text", "media", "labels", "first comment"}

// importTemplate is the downloadable example file.
const importTemplate = "time,accounts,text,media,labels,first comment\r\n" +
	"2026-12-24 09:30,Acme;acme_corp,\"Happy holidays from all of us! 🎄\",holiday-card.jpg,Holidays;Brand,Our opening hours: https://example.com/hours\r\n" +
	"2026-12-31 17:00,acme_corp,\"See you in 2027, and thank you for this year.\",https://example.com/fireworks.png,Holidays,\r\n"

// importRow is one row of a CSV import: the values as written, what Herald made of them,
// and every reason it cannot be saved (none: it is ready).
type importRow struct {
	Line     int // the row's line in the file; the header is line 1
	Time     string
	At       time.Time // Time read in the person's zone; zero when unreadable
	Accounts []string  // names as written
	Text     string
	Media    []string // library file names or URLs, as written
	Labels   []string
	Comment  string
	Problems []string

	accountIDs []domain.AccountID
	mediaIDs   []domain.MediaID
	mediaURLs  []string
}

// OK reports whether the row has no problem.
func (r importRow) OK() bool { return len(r.Problems) == 0 }

// importTimeLayouts are the ways a time may be written, in the person's zone unless it
// carries its own offset.
var importTimeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseImport reads a CSV import file: a header row naming the columns, then one post per
// row. A file Herald refuses as a whole (not CSV text, too big, no rows, more than
// app.MaxBulkPosts rows, a missing or unknown column) returns CodeInvalid naming "file";
// problems of one row are in its Problems.
func parseImport(data []byte, loc *time.Location) ([]importRow, error) {
	refuse := func(format string, args ...any) error {
		return domain.InvalidField("file", fmt.Sprintf(format, args...))
	}
	if len(data) > maxImportBytes {
		return nil, refuse("is larger than %d MiB; split it into several files", maxImportBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // the byte order mark spreadsheets write
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, refuse("is not a CSV text file (UTF-8); export the sheet as CSV and try again")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, refuse("is empty")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';' // spreadsheets in many languages separate columns with semicolons
	}
	header, err := r.Read()
	if err != nil {
		return nil, refuse("is not a CSV file Herald can read (%s)", csvProblem(err))
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(h, "_", " ")), " "))
		known := false
		for _, c := range importColumns {
			known = known || c == name
		}
		if !known {
			return nil, refuse("has a column %q Herald does not know; the columns are %s", h, strings.Join(importColumns, ", "))
		}
		col[name] = i
	}
	var missing []string
	for _, c := range importColumns[:3] {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, refuse("has no %s column; its first row must name the columns (%s)", strings.Join(missing, " or "), strings.Join(importColumns, ", "))
	}
	var rows []importRow
	for {
		line, _ := r.FieldPos(0)
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, refuse("is not a CSV file Herald can read (%s)", csvProblem(err))
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a blank line
		}
		if len(rows) == app.MaxBulkPosts {
			return nil, refuse("has more than %d posts; split it into several files", app.MaxBulkPosts)
		}
		line, _ = r.FieldPos(0)
		row := importRow{Line: line, Time: get("time"), Text: strings.ReplaceAll(get("text"), "\r\n", "\n"), Comment: get("first comment"),
			Accounts: splitImportList(get("accounts"), ";|"), Media: splitImportList(get("media"), ";|"), Labels: splitImportList(get("labels"), ";")}
		switch at, err := importTime(row.Time, loc); {
		case row.Time == "":
			row.Problems = append(row.Problems, "time is empty")
		case err != nil:
			row.Problems = append(row.Problems, fmt.Sprintf("time %q is not a time like 2026-12-24 09:30", row.Time))
		default:
			row.At = at
		}
		if len(row.Accounts) == 0 {
			row.Problems = append(row.Problems, "accounts is empty")
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, refuse("has no posts: only a header row")
	}
	return rows, nil
}

// csvProblem says where and why encoding/csv stopped.
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.StartLine, pe.Err)
	}
	return err.Error()
}

// importTime reads a time as the import takes it: with its own offset (RFC 3339), or in loc.
func importTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range importTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("unreadable time")
}

// splitImportList splits s at any of seps, trimming each item and dropping empty ones.
func splitImportList(s, seps string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// resolveImport finds each row's accounts among the company's (by the name Herald shows,
// with or without an @, or as "Name (Platform)") and its media: URLs as they are, other
// names in the library through media (nil: no library). Names it cannot find, or that
// match several accounts, are the row's problems.
func resolveImport(rows []importRow, accounts []domain.Account, media func(name string) (domain.MediaID, bool)) {
	byName := map[string][]domain.Account{}
	for _, a := range accounts {
		for _, k := range []string{a.DisplayName, a.ExternalID, a.DisplayName + " (" + a.Platform.Title() + ")"} {
			k = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(k), "@"))
			if k != "" && !containsAccount(byName[k], a.ID) {
				byName[k] = append(byName[k], a)
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		for _, name := range r.Accounts {
			found := byName[strings.ToLower(strings.TrimPrefix(name, "@"))]
			switch {
			case len(found) == 0:
				r.Problems = append(r.Problems, fmt.Sprintf("no connected account is called %q", name))
			case len(found) > 1:
				r.Problems = append(r.Problems, fmt.Sprintf("%q names %d accounts; write it as %q", name, len(found), found[0].DisplayName+" ("+found[0].Platform.Title()+")"))
			case !containsID(r.accountIDs, found[0].ID):
				r.accountIDs = append(r.accountIDs, found[0].ID)
			}
		}
		for _, m := range r.Media {
			if u, err := url.Parse(m); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				r.mediaURLs = append(r.mediaURLs, m)
				continue
			}
			id, ok := domain.MediaID(""), false
			if media != nil {
				id, ok = media(m)
			}
			if !ok {
				r.Problems = append(r.Problems, fmt.Sprintf("no file called %q is in the media library (or give its https address)", m))
				continue
			}
			r.mediaIDs = append(r.mediaIDs, id)
		}
	}
}

func containsAccount(as []domain.Account, id domain.AccountID) bool {
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}

func containsID(ids []domain.AccountID, id domain.AccountID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// bulkPost is the row as the bulk use case takes it.
func (r importRow) bulkPost() app.BulkPost {
	return app.BulkPost{Input: domain.PostInput{Content: r.Text, AccountIDs: r.accountIDs, MediaIDs: r.mediaIDs, MediaURLs: r.mediaURLs,
		Labels: r.Labels, FirstComment: r.Comment}, Schedule: true, At: r.At}
}

// importProblems writes a bulk item's problem for a person reading the preview: each
// field named by its column (a platform's rule names its account in the message).
func importProblems(err error) []string {
	fields := domain.FieldsOf(err)
	if len(fields) == 0 {
		return []string{domain.MessageOf(err)}
	}
	var out []string
	for _, f := range domain.SortedFields(fields) {
		name := f
		switch {
		case f == "content":
			name = "text"
		case f == "scheduled_for":
			name = "time"
		case f == "first_comment":
			name = "first comment"
		case strings.HasPrefix(f, "account_ids"):
			name = "accounts"
		case strings.HasPrefix(f, "media"):
			name = "media"
		case strings.HasPrefix(f, "labels"):
			name = "labels"
		case strings.HasPrefix(f, "targets."), strings.HasPrefix(f, "variants."), strings.HasPrefix(f, "rules."):
			name = "" // the message names the account itself
		}
		if name == "" {
			out = append(out, fields[f])
		} else {
			out = append(out, name+": "+fields[f])
		}
	}
	return out
}
