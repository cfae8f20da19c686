package sandbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/heraldhq/herald/adapters/platforms/sandbox"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestStored_CountsThisValuesPostsOnly: Stored counts the posts this Sandbox value stored (a
// lost answer included), not refused ones, and not those another value (another Herald
// process) stored in the same database.
func TestStored_CountsThisValuesPostsOnly(t *testing.T) {
	t.Parallel()
	f := setup(t, sandbox.Config{})
	ctx := context.Background()
	c, account := f.connect(t)
	for range 2 {
		if _, err := f.s.Publish(ctx, c, account, ports.Publication{Reference: uniqueReference(), Text: "counted"}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if _, err := f.s.Publish(ctx, domain.Credentials{AccessToken: "sbx_at_nonsense"}, account, ports.Publication{Reference: uniqueReference(), Text: "refused"}); err == nil {
		t.Fatal("Publish with an unknown token succeeded")
	}
	lost := sandbox.New(f.db, sandbox.Config{BaseURL: baseURL, Now: f.clock.Now, After: f.clock.After, LostRate: 1})
	if _, err := lost.Publish(ctx, c, account, ports.Publication{Reference: uniqueReference(), Text: "answer lost"}); !errors.Is(err, domain.ErrMaybePublished) {
		t.Fatalf("Publish with every answer lost = %v, want a maybe-published error", err)
	}
	if got := f.s.Stored(); got != 2 {
		t.Errorf("Stored() = %d, want 2", got)
	}
	if got := lost.Stored(); got != 1 {
		t.Errorf("the other value's Stored() = %d, want 1 (its answer was lost, the post is stored)", got)
	}
}
