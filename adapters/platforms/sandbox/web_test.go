package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/platforms/platformtest"
	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/ports"
)

func TestOperatorPage_ListsPublishedPosts(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	c, account := f.connect(t)
	p := ports.Publication{Reference: uniqueReference(), Text: "Operator, look: " + uniqueReference(), Media: platformtest.URLMedia("https://cdn.example/v.mp4")}
	pub, err := f.s.Publish(context.Background(), c, account, p)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	rec := f.do(t, http.MethodGet, "/sandbox/posts", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /sandbox/posts = %d, want 200", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{`id="post-` + pub.ExternalID + `"`, p.Reference, p.Text, account.DisplayName, "published to the sandbox"} {
		if !strings.Contains(body, want) {
			t.Errorf("operator page lacks %q:\n%s", want, body)
		}
	}
}

func TestOperatorPage_IsBlockedWhenTheOperatorCheckRefuses(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	c, account := f.connect(t)
	p := ports.Publication{Reference: uniqueReference(), Text: "secret " + uniqueReference()}
	if _, err := f.s.Publish(context.Background(), c, account, p); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	e := echo.New()
	f.s.Register(e, func(echo.HandlerFunc) echo.HandlerFunc {
		return func(echo.Context) error { return echo.NewHTTPError(http.StatusForbidden) }
	})
	f.e = e
	rec := f.do(t, http.MethodGet, "/sandbox/posts", nil)
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), p.Text) {
		t.Errorf("GET /sandbox/posts refused by operator = %d:\n%s\nwant 403 without the post", rec.Code, rec.Body)
	}

	e = echo.New()
	f.s.Register(e, nil)
	f.e = e
	if rec := f.do(t, http.MethodGet, "/sandbox/posts", nil); rec.Code != http.StatusNotFound {
		t.Errorf("GET /sandbox/posts without an operator check = %d, want 404", rec.Code)
	}
}

func TestPostPage_UnknownPostIs404(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})

	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nope", "1%27%20OR%201=1"} {
		rec := f.do(t, http.MethodGet, "/sandbox/posts/"+id, nil)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such post") {
			t.Errorf("GET /sandbox/posts/%s = %d:\n%s\nwant the 404 page", id, rec.Code, rec.Body)
		}
	}
}

func TestMigration_DownThenUpAgain(t *testing.T) {
	t.Parallel()
	db := emptyDB(t)

	if err := migrateUp(db); err != nil {
		t.Fatal(err)
	}
	tables := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sandbox\_%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := tables(); n != 4 {
		t.Fatalf("sandbox tables after up = %d, want 4", n)
	}
	if err := runMigration(db, "000005_sandbox.down.sql"); err != nil {
		t.Fatal(err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("sandbox tables after down = %d, want 0", n)
	}
	if err := runMigration(db, "000005_sandbox.up.sql"); err != nil {
		t.Fatal(err)
	}
	if n := tables(); n != 4 {
		t.Fatalf("sandbox tables after up again = %d, want 4", n)
	}
}
