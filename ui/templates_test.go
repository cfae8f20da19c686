package ui

import (
	"io"
	"log/slog"
	"testing"
)

// TestNew_EveryNamedTemplateExists fails when a page or partial a handler names is missing,
// or when a template does not parse.
func TestNew_EveryNamedTemplateExists(t *testing.T) {
	t.Parallel()
	h, err := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, p := range pages {
		if h.templates[p] == nil || h.templates[p].Lookup("content") == nil || h.templates[p].Lookup("title") == nil {
			t.Errorf("page %s lacks its set, content or title", p)
		}
	}
	for _, p := range partials {
		if h.templates[p] == nil || h.templates[p].Lookup(p) == nil {
			t.Errorf("partial %s is not defined", p)
		}
	}
}
