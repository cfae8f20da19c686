package main

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/platforms/facebook"
	"github.com/heraldhq/herald/adapters/platforms/linkedin"
	"github.com/heraldhq/herald/adapters/platforms/tiktok"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/ports"
)

// TestVersions_WarnedAtStartOnAdminPagesAndInMetrics starts Herald with a LinkedIn version
// whose year of support ends within a month, a retired Graph API version and TikTok's v2:
// the log names the first two, the admin pages show them to operators only, and /metrics
// has the days left of each.
func TestVersions_WarnedAtStartOnAdminPagesAndInMetrics(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	// Released eleven months before this month began: supported until the first of next month.
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	soon := thisMonth.AddDate(0, -11, 0).Format("200601")
	logs := &lockedBuffer{}
	m := startHeraldWith(t, app.Limits{}, nil, func(m *Main) {
		m.Log = slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelWarn}))
		m.Platforms = []ports.Platform{linkedin.New(linkedin.Config{Version: soon}), facebook.New(facebook.Config{Version: "v20.0"}), tiktok.New(tiktok.Config{})}
	})

	log := logs.String()
	for _, want := range []string{"platform=linkedin version=" + soon, "platform=facebook version=v20.0", "retired on 24 September 2026"} {
		if !strings.Contains(log, want) {
			t.Errorf("the start log does not contain %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "platform=tiktok") {
		t.Errorf("the start log warns about TikTok's v2, which has no retirement announced:\n%s", log)
	}

	res, err := http.Get(m.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	gauge := func(platform, version string) (float64, bool) {
		re := regexp.MustCompile(`(?m)^herald_platform_api_days_left\{platform="` + platform + `",version="` + regexp.QuoteMeta(version) + `"\} (\S+)$`)
		sub := re.FindSubmatch(raw)
		if sub == nil {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(sub[1]), 64)
		return f, err == nil
	}
	if d, ok := gauge("linkedin", soon); !ok || d <= 0 || d > 32 {
		t.Errorf("herald_platform_api_days_left for LinkedIn %s = %v, %v; want between 0 and 32 days\n%s", soon, d, ok, raw)
	}
	if d, ok := gauge("facebook", "v20.0"); !ok || d >= 0 {
		t.Errorf("herald_platform_api_days_left for Facebook v20.0 = %v, %v; want negative (retired)", d, ok)
	}
	if d, ok := gauge("tiktok", "v2"); !ok || !(d > 1e308) {
		t.Errorf("herald_platform_api_days_left for TikTok v2 = %v, %v; want +Inf (no retirement announced)", d, ok)
	}

	op := newBrowser(t, m)
	opEmail := op.registerUI("Opal")
	if _, _, err := m.App.Auth.EnsureSuperadmin(t.Context(), opEmail, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/tenants", "/admin/audit"} {
		_, doc := op.get(path)
		banner := doc.Find("#api-versions")
		if banner.Find(`li[data-platform="linkedin"]`).Length() != 1 || banner.Find(`li[data-platform="facebook"]`).Length() != 1 ||
			banner.Find(`li[data-platform="tiktok"]`).Length() != 0 {
			t.Errorf("%s: the banner = %q; want LinkedIn and Facebook, not TikTok", path, banner.Text())
		}
	}
	if _, doc := op.get("/"); doc.Find("#api-versions").Length() != 0 {
		t.Error("the banner shows outside the admin pages")
	}
	person := newBrowser(t, m)
	person.registerUI("Pia")
	if _, doc := person.get("/admin/tenants"); doc.Find("#api-versions").Length() != 0 {
		t.Error("someone who is not an operator sees the banner")
	}
}
