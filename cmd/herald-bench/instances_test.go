package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
)

// TestBenchInstances_RunsAndChecksExactlyOnce keeps `herald-bench instances` working: a tiny
// burst published by one herald process, then by two, each checked for exactly-once, with
// the database's numbers printed.
func TestBenchInstances_RunsAndChecksExactlyOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the herald binary")
	}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": pgtest.URL(t)}[k] }
	var out bytes.Buffer
	err := run(context.Background(), []string{"instances", "--instances", "1,2", "--posts", "20", "--companies", "2", "--latency", "5ms"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench instances: %v\n%s", err, out.String())
	}
	for _, want := range []string{"\n1 instance(s), 20 posts", "\n2 instance(s), 20 posts", "published by each instance: ", " + ",
		"CPU per post, publishing: herald processes", "WAL per post:", "table and index bytes per post:", "connections to the database during the burst: at most"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "exactly once: 20 targets, 20 sent to the sandbox for 20 distinct targets, 0 posts not published"); n != 2 {
		t.Errorf("%d runs were exactly once, want 2:\n%s", n, out.String())
	}
	if err := run(context.Background(), []string{"instances", "--instances", "0"}, getenv, &out, io.Discard); err == nil {
		t.Error("--instances 0 was accepted")
	}
}
