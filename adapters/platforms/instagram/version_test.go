package instagram

import (
	"testing"
	"time"
)

func TestAdapter_APIVersion(t *testing.T) {
	t.Parallel()

	got := New(Config{APIVersion: "v25.0"}).APIVersion()
	if got.Version != "v25.0" || !got.Retires.Equal(time.Date(2028, time.July, 29, 0, 0, 0, 0, time.UTC)) || got.Unknown {
		t.Errorf("APIVersion() = %+v; want v25.0 retiring 29 July 2028", got)
	}
	if got := New(Config{APIVersion: "v99.0"}).APIVersion(); !got.Unknown {
		t.Errorf("APIVersion() of a version Herald does not know = %+v; want Unknown", got)
	}
}
