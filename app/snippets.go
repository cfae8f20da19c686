package app

import (
	"context"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Snippets holds the use cases of a company's saved snippets: text and hashtag groups its
// members insert into posts. Everyone in the company reads them; editors and up write them.
type Snippets struct {
	store ports.Store
	authz ports.Authorizer
	now   func() time.Time
}

// NewSnippets returns the snippet use cases; now is time.Now outside tests.
func NewSnippets(store ports.Store, authz ports.Authorizer, now func() time.Time) *Snippets {
	return &Snippets{store: store, authz: authz, now: now}
}

// List returns every snippet of the actor's company, by name.
// Errors: CodeForbidden.
func (s *Snippets) List(ctx context.Context, actor domain.Actor) ([]domain.Snippet, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSnippets, domain.ActionRead); err != nil {
		return nil, err
	}
	var out []domain.Snippet
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Snippets().List(ctx, actor.CompanyID)
		return err
	})
	return out, err
}

// Get returns a snippet of the actor's company.
// Errors: CodeForbidden; CodeNotFound (also another company's).
func (s *Snippets) Get(ctx context.Context, actor domain.Actor, id domain.SnippetID) (domain.Snippet, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSnippets, domain.ActionRead); err != nil {
		return domain.Snippet{}, err
	}
	var out domain.Snippet
	err := s.store.Read(ctx, func(tx ports.Tx) error {
		var err error
		out, err = tx.Snippets().Get(ctx, actor.CompanyID, id)
		return err
	})
	return out, err
}

// Create saves a new snippet of the actor's company.
// Errors: CodeForbidden; CodeSuspended; CodeInvalid naming every bad field; CodeConflict
// (the name is taken, on the field name; or the company has domain.MaxSnippets).
func (s *Snippets) Create(ctx context.Context, actor domain.Actor, in domain.SnippetInput) (domain.Snippet, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSnippets, domain.ActionWrite); err != nil {
		return domain.Snippet{}, err
	}
	sn, err := domain.NewSnippet(actor.CompanyID, actor.UserID, in, s.now())
	if err != nil {
		return domain.Snippet{}, err
	}
	err = s.store.InTx(ctx, func(tx ports.Tx) error {
		// Serializes the company's creations, so two at once cannot both take the last place.
		if _, err := tx.PlanUsage().Lock(ctx, actor.CompanyID); err != nil {
			return err
		}
		n, err := tx.Snippets().Count(ctx, actor.CompanyID)
		if err != nil {
			return err
		}
		if err := domain.CheckSnippetCount(n); err != nil {
			return err
		}
		if err := tx.Snippets().Create(ctx, &sn); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "snippet.created", sn)
	})
	if err != nil {
		return domain.Snippet{}, err
	}
	return sn, nil
}

// Update replaces the snippet's name and text; ifMatch, when not 0, is the version the
// caller last saw.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound; CodeStale; CodeInvalid; CodeConflict
// (the name is another snippet's).
func (s *Snippets) Update(ctx context.Context, actor domain.Actor, id domain.SnippetID, in domain.SnippetInput, ifMatch int) (domain.Snippet, error) {
	if err := s.authz.Can(ctx, actor, domain.ResourceSnippets, domain.ActionWrite); err != nil {
		return domain.Snippet{}, err
	}
	var sn domain.Snippet
	err := s.store.InTx(ctx, func(tx ports.Tx) error {
		var err error
		if sn, err = tx.Snippets().Lock(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, sn.Version); err != nil {
			return err
		}
		if err := sn.Edit(in, s.now()); err != nil {
			return err
		}
		if err := tx.Snippets().Update(ctx, sn); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "snippet.updated", sn)
	})
	if err != nil {
		return domain.Snippet{}, err
	}
	return sn, nil
}

// Delete removes the snippet; ifMatch, when not 0, is the version the caller last saw.
// Errors: CodeForbidden; CodeSuspended; CodeNotFound; CodeStale.
func (s *Snippets) Delete(ctx context.Context, actor domain.Actor, id domain.SnippetID, ifMatch int) error {
	if err := s.authz.Can(ctx, actor, domain.ResourceSnippets, domain.ActionWrite); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx ports.Tx) error {
		sn, err := tx.Snippets().Lock(ctx, actor.CompanyID, id)
		if err != nil {
			return err
		}
		if err := domain.CheckVersion(ifMatch, sn.Version); err != nil {
			return err
		}
		if err := tx.Snippets().Delete(ctx, actor.CompanyID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "snippet.deleted", sn)
	})
}

func (s *Snippets) audit(ctx context.Context, tx ports.Tx, actor domain.Actor, action string, sn domain.Snippet) error {
	return tx.Audit().Record(ctx, domain.AuditEntry{CompanyID: actor.CompanyID, ActorID: actor.UserID, IP: actor.IP,
		Action: action, Subject: string(sn.ID), Details: map[string]string{"name": sn.Name}, At: s.now()})
}
