package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// ExportTables are the tables a report exports: one row per day, or one per top post.
var ExportTables = []string{"daily", "posts"}

// MetricColumns are the metric columns of an export, in order.
var MetricColumns = []struct {
	Key   string
	Value func(domain.Metrics) int64
}{
	{"likes", func(m domain.Metrics) int64 { return m.Likes }},
	{"comments", func(m domain.Metrics) int64 { return m.Comments }},
	{"shares", func(m domain.Metrics) int64 { return m.Shares }},
	{"reach", func(m domain.Metrics) int64 { return m.Reach }},
	{"impressions", func(m domain.Metrics) int64 { return m.Impressions }},
}

// Export is a report written as a table for a spreadsheet: a header row, then the rows.
type Export struct {
	Filename string // herald-<table>-<first day>-<last day>.csv
	Rows     [][]string
}

// Export returns the report for platform ("" for every platform) and the range from..to
// (as Overview reads them) as table "daily" or "posts". Text cells a spreadsheet would
// read as a formula get a leading apostrophe. Errors: those of Overview and Platform;
// CodeInvalid (table).
func (a *Analytics) Export(ctx context.Context, actor domain.Actor, platform, from, to, table string) (Export, error) {
	if table == "" {
		table = "daily"
	}
	if table != "daily" && table != "posts" {
		return Export{}, &domain.Error{Code: domain.CodeInvalid, Message: "table must be daily or posts.", Fields: map[string]string{"table": "must be daily or posts"}}
	}
	var r Report
	var err error
	if platform == "" {
		r, err = a.Overview(ctx, actor, from, to)
	} else {
		r, err = a.Platform(ctx, actor, platform, from, to)
	}
	if err != nil {
		return Export{}, err
	}
	loc, err := LoadZone(r.Zone)
	if err != nil {
		loc = time.UTC
	}
	out := Export{Filename: fmt.Sprintf("herald-%s-%s-%s.csv", table, r.From.In(loc).Format(time.DateOnly), r.To.In(loc).AddDate(0, 0, -1).Format(time.DateOnly))}
	if table == "daily" {
		out.Rows = ExportRows(r, table, nil, nil)
		return out, nil
	}
	err = a.store.Read(ctx, func(tx ports.Tx) error {
		accounts, err := tx.Accounts().List(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		names := make(map[domain.AccountID]domain.Account, len(accounts))
		for _, acct := range accounts {
			names[acct.ID] = acct
		}
		posts := make(map[string]domain.Post, len(r.TopPosts))
		for _, row := range r.TopPosts {
			p, err := tx.Posts().Get(ctx, actor.CompanyID, domain.PostID(row.Key))
			switch {
			case err == nil:
				posts[row.Key] = p
			case domain.CodeOf(err) != domain.CodeNotFound: // a deleted post keeps its row, without text
				return err
			}
		}
		out.Rows = ExportRows(r, table, posts, names)
		return nil
	})
	if err != nil {
		return Export{}, err
	}
	return out, nil
}

// ExportRows writes report r as table "daily" or "posts": a header row, then one row per
// day or per top post. posts and accounts give the posts' text and their accounts' names;
// a post or account missing from them is written without text or as "Disconnected account".
func ExportRows(r Report, table string, posts map[string]domain.Post, accounts map[domain.AccountID]domain.Account) [][]string {
	head := make([]string, len(MetricColumns))
	for i, c := range MetricColumns {
		head[i] = c.Key
	}
	nums := func(m domain.Metrics) []string {
		out := make([]string, len(MetricColumns))
		for i, c := range MetricColumns {
			out[i] = strconv.FormatInt(c.Value(m), 10)
		}
		return out
	}
	var rows [][]string
	if table == "daily" {
		rows = append(rows, append([]string{"date"}, head...))
		for _, d := range r.Daily {
			rows = append(rows, append([]string{d.Date}, nums(d.Metrics)...))
		}
		return rows
	}
	rows = append(rows, append([]string{"post_id", "content", "accounts"}, head...))
	for _, row := range r.TopPosts {
		content, accts := "", ""
		if p, ok := posts[row.Key]; ok {
			content = domain.Excerpt(p.Content, 200)
			as := make([]string, len(p.Targets))
			for i, t := range p.Targets {
				name := "Disconnected account"
				if acct, ok := accounts[t.AccountID]; ok {
					name = acct.DisplayName
				}
				as[i] = name + " (" + t.Platform.Title() + ")"
			}
			accts = strings.Join(as, "; ")
		}
		rows = append(rows, append([]string{CSVText(row.Key), CSVText(content), CSVText(accts)}, nums(row.Metrics)...))
	}
	return rows
}

// formulaStart are the first characters a spreadsheet reads as a formula.
const formulaStart = "=+-@\t\r"

// CSVText guards a text cell against formula injection: a cell a spreadsheet would
// evaluate gets a leading apostrophe.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune(formulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}
