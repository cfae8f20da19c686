package app_test

import (
	"fmt"
	"testing"

	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

func TestSnippets_WriteReadAndRoles(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	editor := a.Company(t, domain.RoleEditor)
	viewer := a.Member(t, editor.CompanyID, domain.RoleViewer)

	sn, err := a.Snippets.Create(a.Ctx, editor, domain.SnippetInput{Name: " Launch tags ", Content: "#launch #herald"})
	if err != nil || sn.Name != "Launch tags" || sn.Version != 1 || sn.CreatedBy != editor.UserID {
		t.Fatalf("Create = %+v, %v", sn, err)
	}
	if _, err := a.Snippets.Create(a.Ctx, editor, domain.SnippetInput{Name: "launch TAGS", Content: "x"}); domain.CodeOf(err) != domain.CodeConflict || domain.FieldsOf(err)["name"] == "" {
		t.Errorf("Create(taken name) = %v, want CodeConflict on name", err)
	}
	if _, err := a.Snippets.Create(a.Ctx, editor, domain.SnippetInput{Name: "", Content: ""}); len(domain.FieldsOf(err)) != 2 {
		t.Errorf("Create(empty) = %v, want both fields named", err)
	}

	// A viewer reads and lists, and changes nothing.
	if list, err := a.Snippets.List(a.Ctx, viewer); err != nil || len(list) != 1 || list[0].ID != sn.ID {
		t.Errorf("List(viewer) = %+v, %v", list, err)
	}
	if _, err := a.Snippets.Create(a.Ctx, viewer, domain.SnippetInput{Name: "v", Content: "v"}); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Create(viewer) = %v, want CodeForbidden", err)
	}
	if _, err := a.Snippets.Update(a.Ctx, viewer, sn.ID, domain.SnippetInput{Name: "v", Content: "v"}, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Update(viewer) = %v, want CodeForbidden", err)
	}
	if err := a.Snippets.Delete(a.Ctx, viewer, sn.ID, 0); domain.CodeOf(err) != domain.CodeForbidden {
		t.Errorf("Delete(viewer) = %v, want CodeForbidden", err)
	}

	// Updates check the version the caller saw.
	up, err := a.Snippets.Update(a.Ctx, editor, sn.ID, domain.SnippetInput{Name: "Launch", Content: "#launch"}, 1)
	if err != nil || up.Version != 2 || up.Content != "#launch" {
		t.Fatalf("Update = %+v, %v", up, err)
	}
	if _, err := a.Snippets.Update(a.Ctx, editor, sn.ID, domain.SnippetInput{Name: "Old", Content: "old"}, 1); domain.CodeOf(err) != domain.CodeStale {
		t.Errorf("Update(stale) = %v, want CodeStale", err)
	}
	if err := a.Snippets.Delete(a.Ctx, editor, sn.ID, 1); domain.CodeOf(err) != domain.CodeStale {
		t.Errorf("Delete(stale) = %v, want CodeStale", err)
	}
	if err := a.Snippets.Delete(a.Ctx, editor, sn.ID, 2); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if _, err := a.Snippets.Get(a.Ctx, editor, sn.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Get(deleted) = %v", err)
	}
	if n := a.Count(t, `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action LIKE 'snippet.%'`, editor.CompanyID); n != 3 {
		t.Errorf("%d audit entries, want 3 (created, updated, deleted)", n)
	}
}

func TestSnippets_OtherCompanysSnippetIsNotFound(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	acme, rival := a.Company(t, domain.RoleOwner), a.Company(t, domain.RoleOwner)
	sn, err := a.Snippets.Create(a.Ctx, acme, domain.SnippetInput{Name: "Tags", Content: "#acme"})
	if err != nil {
		t.Fatal(err)
	}
	// The same name is free in another company.
	if _, err := a.Snippets.Create(a.Ctx, rival, domain.SnippetInput{Name: "Tags", Content: "#rival"}); err != nil {
		t.Fatalf("Create(rival, same name) = %v", err)
	}
	if _, err := a.Snippets.Get(a.Ctx, rival, sn.ID); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Get = %v, want CodeNotFound", err)
	}
	if _, err := a.Snippets.Update(a.Ctx, rival, sn.ID, domain.SnippetInput{Name: "x", Content: "x"}, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Update = %v, want CodeNotFound", err)
	}
	if err := a.Snippets.Delete(a.Ctx, rival, sn.ID, 0); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("Delete = %v, want CodeNotFound", err)
	}
	list, err := a.Snippets.List(a.Ctx, rival)
	if err != nil || len(list) != 1 || list[0].Content != "#rival" {
		t.Errorf("List(rival) = %+v, %v; want only its own", list, err)
	}
	if got, err := a.Snippets.Get(a.Ctx, acme, sn.ID); err != nil || got.Content != "#acme" {
		t.Errorf("acme's snippet after the rival's tries = %+v, %v", got, err)
	}
}

func TestSnippets_AtMost500PerCompany(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	owner := a.Company(t, domain.RoleOwner)
	err := a.DB.InTx(a.Ctx, func(tx ports.Tx) error {
		for i := 0; i < domain.MaxSnippets; i++ {
			sn, _ := domain.NewSnippet(owner.CompanyID, owner.UserID, domain.SnippetInput{Name: fmt.Sprint("s", i), Content: "x"}, a.Clock.Now())
			if err := tx.Snippets().Create(a.Ctx, &sn); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Snippets.Create(a.Ctx, owner, domain.SnippetInput{Name: "one more", Content: "x"}); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("the 501st snippet = %v, want CodeConflict", err)
	}
}
