package tiktok

import "testing"

func TestAdapter_APIVersion(t *testing.T) {
	t.Parallel()

	got := New(Config{}).APIVersion()
	if got.Version != "v2" || !got.Retires.IsZero() || got.Unknown || got.Doc == "" {
		t.Errorf("APIVersion() = %+v; want v2 with no retirement announced and its documentation", got)
	}
}
