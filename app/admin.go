package app

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Admin holds the superadmin's use cases over every tenant.
type Admin struct {
	store ports.Store
	authz ports.Authorizer
	now   func() time.Time
}

// NewAdmin returns the tenant-management use cases; now is time.Now outside tests.
func NewAdmin(store ports.Store, authz ports.Authorizer, now func() time.Time) *Admin {
	return &Admin{store: store, authz: authz, now: now}
}

// MaxPageSize bounds every list page; DefaultPageSize is used when none is asked for.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Companies returns one page of every company with its counts, and the next page's cursor.
// Errors: CodeForbidden (not a superadmin), CodeInvalid (cursor).
func (a *Admin) Companies(ctx context.Context, actor domain.Actor, page ports.Page) ([]domain.CompanySummary, string, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionRead); err != nil {
		return nil, "", err
	}
	var out []domain.CompanySummary
	var next string
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Companies().List(ctx, page)
		return err
	})
	return out, next, err
}

// UpdateCompany changes a company's plan or status; ifMatch, when not 0, is the version the
// caller last saw. Errors: CodeForbidden, CodeNotFound, CodeInvalid, CodeStale.
func (a *Admin) UpdateCompany(ctx context.Context, actor domain.Actor, id domain.CompanyID, ch domain.CompanyChange, ifMatch int) (domain.Company, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionWrite); err != nil {
		return domain.Company{}, err
	}
	var c domain.Company
	err := a.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if c, err = tx.Companies().Lock(ctx, id); err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, c.Version); err != nil {
			return err
		}
		before := c
		if err := ch.Apply(&c); err != nil {
			return err
		}
		if err := tx.Companies().Update(ctx, c); err != nil {
			return err
		}
		c.Version++
		return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: actor.UserID, IP: actor.IP, Action: "company.updated",
			Subject: string(c.ID), At: a.now(), Details: map[string]string{
				"plan": string(before.Plan) + "->" + string(c.Plan), "status": string(before.Status) + "->" + string(c.Status)}})
	})
	return c, err
}

// Page returns a list page request from the raw query values, or CodeInvalid on limit.
func Page(limit int, cursor string, given bool) (ports.Page, error) {
	if !given {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return ports.Page{}, domain.InvalidField("limit", "must be between 1 and 200")
	}
	return ports.Page{Limit: limit, Cursor: cursor}, nil
}
