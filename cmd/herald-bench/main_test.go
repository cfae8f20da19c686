package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
)

// TestBenchPublish_RunsAndChecksExactlyOnce keeps `herald-bench publish` working: a tiny run
// creates its scratch database, publishes, checks exactly-once, measures bare River, and
// drops the database.
func TestBenchPublish_RunsAndChecksExactlyOnce(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": pgtest.URL(t)}[k] }
	var out bytes.Buffer
	err := run(context.Background(), []string{"publish", "--posts", "40", "--companies", "4", "--latency", "5ms", "--idle", "3"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench publish: %v\n%s", err, out.String())
	}
	for _, want := range []string{"idle: 3 posts", "exactly once: 40 targets, 40 sent to the sandbox for 40 distinct targets, 0 posts not published",
		"CPU per published post", "Herald's process", "bare River (riverpgxv5): 40 jobs", "best: workers", "Herald / bare River throughput",
		"bulk scheduling: 40 posts in 4 requests"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), []string{"publish", "--posts", "1", "--companies", "5"}, getenv, &out, io.Discard); err == nil {
		t.Error("more companies than posts was accepted")
	}
}

// TestBenchAnalytics_RunsAndMeasures keeps `herald-bench analytics` working on a tiny data set.
func TestBenchAnalytics_RunsAndMeasures(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": pgtest.URL(t), "HERALD_LOG_LEVEL": "warn"}[k]
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"analytics", "--companies", "3", "--snapshots", "600", "--per-target", "10", "--queries", "5"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench analytics: %v\n%s", err, out.String())
	}
	for _, want := range []string{"data: 3 companies, 20 published targets each, 600 snapshots in all", "p95"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchMedia_UploadsAndMeasures keeps `herald-bench media` working on a tiny video: it
// builds and starts Herald, sends the video through tus in parts, and reads Herald's
// memory. (Images go through POST /media, which this test leaves to the API's own tests.)
func TestBenchMedia_UploadsAndMeasures(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg makes the files: not installed")
	}
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": pgtest.URL(t)}[k] }
	var out bytes.Buffer
	err := run(context.Background(), []string{"media", "--video-mb", "3", "--chunk-mb", "1", "--images", "0"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench media: %v\n%s", err, out.String())
	}
	for _, want := range []string{"through tus in 1 MiB parts", "herald memory (pid", "above idle"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchAPI_RunsAndMeasures keeps `herald-bench api` working on a tiny data set: it
// builds and starts Herald, fills the database, checks the answers see the data, and
// measures every endpoint.
func TestBenchAPI_RunsAndMeasures(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": pgtest.URL(t)}[k] }
	var out bytes.Buffer
	err := run(context.Background(), []string{"api", "--posts", "300", "--companies", "3", "--big", "200", "--requests", "30", "--days", "30"}, getenv, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench api: %v\n%s", err, out.String())
	}
	for _, want := range []string{"data: 300 posts (200 published in the big company over 30 days)", "GET /analytics/overview (30d)",
		"GET /posts (first page)", "GET /posts/:id (random)", "herald CPU/req"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), []string{"api", "--posts", "10", "--big", "20"}, getenv, &out, io.Discard); err == nil {
		t.Error("a big company with more posts than all companies was accepted")
	}
}
