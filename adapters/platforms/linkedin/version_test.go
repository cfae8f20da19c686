package linkedin

import (
	"testing"
	"time"
)

func TestAdapter_APIVersion(t *testing.T) {
	t.Parallel()

	got := New(Config{Version: "202605"}).APIVersion()
	released, retires := time.Date(2026, time.May, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, time.May, 1, 0, 0, 0, 0, time.UTC)
	if got.Version != "202605" || !got.Released.Equal(released) || !got.Retires.Equal(retires) || got.Unknown || got.Doc != versioningDoc {
		t.Errorf("APIVersion() = %+v; want 202605 released %s, retiring %s", got, released, retires)
	}
	if got := New(Config{Version: "2026-05"}).APIVersion(); !got.Unknown || !got.Retires.IsZero() {
		t.Errorf("APIVersion() of a malformed version = %+v; want Unknown without an end", got)
	}
	if got := New(Config{}).APIVersion(); got.Version != DefaultVersion {
		t.Errorf("APIVersion().Version without configuration = %q; want the default %q", got.Version, DefaultVersion)
	}
}
