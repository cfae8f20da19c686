package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestSnippets_StoreIsScopedByCompany stores snippets of two companies under the same
// name and tries to reach one company's from the other.
func TestSnippets_StoreIsScopedByCompany(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := db.InTx(ctx, func(tx ports.Tx) error {
		st := tx.Snippets()
		mine, _ := domain.NewSnippet(acme.company.ID, acme.owner.ID, domain.SnippetInput{Name: "Tags", Content: "#acme"}, now)
		if err := st.Create(ctx, &mine); err != nil || mine.ID == "" {
			t.Fatalf("Create = %v, id %q", err, mine.ID)
		}
		// The same name in another company is another snippet.
		theirs, _ := domain.NewSnippet(rival.company.ID, rival.owner.ID, domain.SnippetInput{Name: "TAGS", Content: "#rival"}, now)
		if err := st.Create(ctx, &theirs); err != nil {
			t.Fatalf("Create(rival, same name) = %v", err)
		}
		got, err := st.Get(ctx, acme.company.ID, mine.ID)
		if err != nil || got.Content != "#acme" || got.CreatedBy != acme.owner.ID || got.Version != 1 || !got.CreatedAt.Equal(now) {
			t.Errorf("Get = %+v, %v", got, err)
		}
		for name, err := range map[string]error{
			"Get":    func() error { _, err := st.Get(ctx, rival.company.ID, mine.ID); return err }(),
			"Lock":   func() error { _, err := st.Lock(ctx, rival.company.ID, mine.ID); return err }(),
			"Update": st.Update(ctx, domain.Snippet{ID: mine.ID, CompanyID: rival.company.ID, Name: "Stolen", Content: "x", Version: 9, UpdatedAt: now}),
			"Delete": st.Delete(ctx, rival.company.ID, mine.ID),
			"GetBad": func() error { _, err := st.Get(ctx, acme.company.ID, "not-a-uuid"); return err }(),
		} {
			if domain.CodeOf(err) != domain.CodeNotFound {
				t.Errorf("%s from another company = %v, want CodeNotFound", name, err)
			}
		}
		list, err := st.List(ctx, acme.company.ID)
		if err != nil || len(list) != 1 || list[0].ID != mine.ID {
			t.Errorf("List(acme) = %+v, %v; want only its snippet", list, err)
		}
		if n, err := st.Count(ctx, rival.company.ID); err != nil || n != 1 {
			t.Errorf("Count(rival) = %d, %v", n, err)
		}
		locked, err := st.Lock(ctx, acme.company.ID, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := locked.Edit(domain.SnippetInput{Name: "Tags v2", Content: "#acme #launch"}, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, locked); err != nil {
			t.Fatalf("Update = %v", err)
		}
		if got, _ := st.Get(ctx, acme.company.ID, mine.ID); got.Name != "Tags v2" || got.Version != 2 {
			t.Errorf("after Update: %+v", got)
		}
		if err := st.Delete(ctx, acme.company.ID, mine.ID); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := st.Get(ctx, rival.company.ID, theirs.ID); err != nil {
			t.Errorf("the rival's snippet went with acme's: %v", err)
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	// The same name in any case in the same company is refused on the name field.
	err = db.InTx(ctx, func(tx ports.Tx) error {
		first, _ := domain.NewSnippet(acme.company.ID, acme.owner.ID, domain.SnippetInput{Name: "Sign-off", Content: "x"}, now)
		if err := tx.Snippets().Create(ctx, &first); err != nil {
			return err
		}
		again, _ := domain.NewSnippet(acme.company.ID, acme.owner.ID, domain.SnippetInput{Name: "SIGN-OFF", Content: "y"}, now)
		return tx.Snippets().Create(ctx, &again)
	})
	if domain.CodeOf(err) != domain.CodeConflict || domain.FieldsOf(err)["name"] == "" {
		t.Errorf("Create(same name, other case) = %v, want CodeConflict on name", err)
	}
}
