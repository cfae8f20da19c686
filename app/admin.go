package app

import (
	"context"
	"strings"
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

// Companies returns one page of every company with its counts and this month's usage of
// its plan, and the next page's cursor.
// Errors: CodeForbidden (not a superadmin), CodeInvalid (cursor).
func (a *Admin) Companies(ctx context.Context, actor domain.Actor, page ports.Page) ([]domain.CompanySummary, string, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionRead); err != nil {
		return nil, "", err
	}
	var out []domain.CompanySummary
	var next string
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, next, err = tx.Companies().List(ctx, page, a.now())
		return err
	})
	return out, next, err
}

// Tenant is one company as the operator sees it: its counts and usage, its people and
// open invitations.
type Tenant struct {
	domain.CompanySummary
	People      []domain.Member
	Invitations []domain.Invitation
}

// Company returns one company with its counts, this month's usage and its people.
// Errors: CodeForbidden (not a superadmin), CodeNotFound.
func (a *Admin) Company(ctx context.Context, actor domain.Actor, id domain.CompanyID) (Tenant, error) {
	if err := a.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionRead); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := a.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		if t.CompanySummary, err = tx.Companies().Summary(ctx, id, a.now()); err != nil {
			return err
		}
		if t.People, err = tx.Memberships().Members(ctx, id); err != nil {
			return err
		}
		t.Invitations, err = tx.Invitations().List(ctx, id)
		return err
	})
	return t, err
}

// UpdateCompany changes a company's plan or status, with the reason (required to
// suspend); ifMatch, when not 0, is the version the caller last saw. Each change is
// audited (company.plan_changed, company.suspended, company.reactivated) with the actor,
// their address and the reason; a change that changes nothing writes nothing.
// Errors: CodeForbidden, CodeNotFound, CodeInvalid, CodeStale.
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
		before, now := c, a.now()
		actions, err := ch.Apply(&c, now)
		if err != nil || len(actions) == 0 {
			return err
		}
		if err := tx.Companies().Update(ctx, c); err != nil {
			return err
		}
		c.Version++
		reason := strings.TrimSpace(ch.Reason)
		for _, action := range actions {
			d := map[string]string{"reason": reason}
			switch action {
			case domain.ActionPlanChanged:
				d["from"], d["to"] = string(before.Plan), string(c.Plan)
			case domain.ActionSuspended:
				d["from"] = string(before.Status)
			case domain.ActionReactivated:
				d["suspension_reason"] = before.StatusReason
			}
			if err := tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: c.ID, ActorID: actor.UserID, IP: actor.IP, Action: action,
				Subject: string(c.ID), At: now, Details: d}); err != nil {
				return err
			}
		}
		return nil
	})
	return c, err
}

// Authorize returns nil when the actor may operate this Herald (superadmins): look with
// ActionRead, change with ActionWrite. It guards operator tools outside the app, such as
// the job dashboard. Errors: CodeForbidden.
func (a *Admin) Authorize(ctx context.Context, actor domain.Actor, act domain.Action) error {
	return a.authz.Can(ctx, actor, domain.ResourceTenants, act)
}

// RecordOperatorChange audits a change a superadmin made through an operator tool outside
// the app's use cases (the job dashboard: cancelling, retrying or deleting jobs, pausing
// queues), with what was asked. Errors: CodeForbidden (not a superadmin).
func (a *Admin) RecordOperatorChange(ctx context.Context, actor domain.Actor, tool string, details map[string]string) error {
	if err := a.authz.Can(ctx, actor, domain.ResourceTenants, domain.ActionWrite); err != nil {
		return err
	}
	return a.store.InTx(ctx, func(tx ports.Tx) error {
		return tx.Audit().Record(ctx, domain.AuditEntry{ActorID: actor.UserID, IP: actor.IP, Action: tool + ".changed", Details: details, At: a.now()})
	})
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

// Allows reports whether actor's role may do act on res in its company, by the Casbin
// policy: what pages offer follows the policy instead of copies of its role lists. A
// suspended company's members keep seeing what their role offers (the refusal then says
// why, and nothing typed is lost). Every use case still checks for itself.
func (a *Admin) Allows(ctx context.Context, actor domain.Actor, res domain.Resource, act domain.Action) bool {
	err := a.authz.Can(ctx, actor, res, act)
	return err == nil || domain.CodeOf(err) == domain.CodeSuspended
}
