package app

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// AuditLog holds the use cases of reading the audit log: a company's admins read their
// company's entries, superadmins read everyone's.
type AuditLog struct {
	store ports.Store
	authz ports.Authorizer
}

// NewAuditLog returns the audit-log readers.
func NewAuditLog(store ports.Store, authz ports.Authorizer) *AuditLog {
	return &AuditLog{store: store, authz: authz}
}

// AuditQuery is an audit log filter as people and clients write it; empty fields do not
// filter. From and To are dates (YYYY-MM-DD, To included) in the reader's zone, or RFC
// 3339 instants. Action is an action ("post.scheduled") or a family ending in a dot
// ("post."). Company is for superadmins only.
type AuditQuery struct {
	Action, Actor, From, To, Company string
}

// AuditFamily is a family of audit actions, for pickers: Prefix such as "post." filters.
type AuditFamily struct{ Prefix, Label string }

// AuditFamilies are the action families the audit log filters by.
var AuditFamilies = []AuditFamily{{"post.", "Posts"}, {"account.", "Social accounts"}, {"member.", "Members"},
	{"webhook.", "Webhooks"}, {"company.", "Company"}, {"brand.", "Brand voice"}, {"token.", "API tokens"}, {"user.", "People"}}

var (
	actionPattern = regexp.MustCompile(`^[a-z_]+(\.[a-z_]*)?$`)
	uuidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// filter turns q into a filter, naming every bad field at once (CodeInvalid).
func (q AuditQuery) filter(zone *time.Location) (domain.AuditFilter, error) {
	if zone == nil {
		zone = time.UTC
	}
	var f domain.AuditFilter
	v := domain.Violations{}
	if a := strings.TrimSpace(q.Action); a != "" {
		if len(a) > 64 || !actionPattern.MatchString(a) {
			v.Add("action", "must be an action such as post.scheduled, or a family such as post.")
		}
		f.Action = a
	}
	if u := strings.TrimSpace(q.Actor); u != "" {
		if !uuidPattern.MatchString(u) {
			v.Add("actor", "must be a person's id")
		}
		f.ActorID = domain.UserID(strings.ToLower(u))
	}
	if c := strings.TrimSpace(q.Company); c != "" {
		if !uuidPattern.MatchString(c) {
			v.Add("company", "must be a company's id")
		}
		f.CompanyID = domain.CompanyID(strings.ToLower(c))
	}
	instant := func(field, s string, end bool) time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t
		}
		d, err := time.ParseInLocation(time.DateOnly, s, zone)
		if err != nil {
			v.Add(field, "must be a date such as 2026-11-24, or an RFC 3339 time")
			return time.Time{}
		}
		if end { // a "to" date includes its whole day
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	f.From, f.To = instant("from", q.From, false), instant("to", q.To, true)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Add("to", "must be after from")
	}
	return f, v.Err()
}

// Company returns one page of the actor's company's entries, newest first, and the next
// page's cursor. Errors: CodeForbidden (not an admin), CodeInvalid (filter, cursor).
func (l *AuditLog) Company(ctx context.Context, actor domain.Actor, q AuditQuery, zone *time.Location, page ports.Page) ([]domain.AuditEntry, string, error) {
	if err := l.authz.Can(ctx, actor, domain.ResourceAudit, domain.ActionRead); err != nil {
		return nil, "", err
	}
	if actor.CompanyID == "" {
		return nil, "", domain.Errorf(domain.CodeNotFound, "You are not a member of any company.")
	}
	q.Company = ""
	f, err := q.filter(zone)
	if err != nil {
		return nil, "", err
	}
	f.CompanyID = actor.CompanyID // never another company's, whatever was asked
	return l.list(ctx, f, page)
}

// All returns one page of every company's entries (or one company's, by q.Company),
// including those outside any company. Errors: CodeForbidden (not a superadmin),
// CodeInvalid (filter, cursor).
func (l *AuditLog) All(ctx context.Context, actor domain.Actor, q AuditQuery, zone *time.Location, page ports.Page) ([]domain.AuditEntry, string, error) {
	if err := l.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionRead); err != nil {
		return nil, "", err
	}
	f, err := q.filter(zone)
	if err != nil {
		return nil, "", err
	}
	return l.list(ctx, f, page)
}

func (l *AuditLog) list(ctx context.Context, f domain.AuditFilter, page ports.Page) ([]domain.AuditEntry, string, error) {
	var out []domain.AuditEntry
	var next string
	err := l.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Audit().List(ctx, f, page)
		return err
	})
	return out, next, err
}
