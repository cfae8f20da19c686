package facebook

import (
	"testing"
	"time"
)

func TestAdapter_APIVersion(t *testing.T) {
	t.Parallel()

	got := New(Config{Version: "v24.0"}).APIVersion()
	if got.Version != "v24.0" || !got.Retires.Equal(time.Date(2028, time.February, 18, 0, 0, 0, 0, time.UTC)) || got.Unknown {
		t.Errorf("APIVersion() = %+v; want v24.0 retiring 18 February 2028", got)
	}
	if got := New(Config{}).APIVersion(); got.Version != DefaultVersion || got.Unknown || got.Retires.IsZero() {
		t.Errorf("APIVersion() of the default = %+v; want %s, known, with an end", got, DefaultVersion)
	}
}
