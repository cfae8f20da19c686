package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/httpapi"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/adapters/secret"
	"github.com/heraldhq/herald/migrations"
)

func TestRun_MigrateAndCreateSuperadmin(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": pgtest.URL(t)}[k] }
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "version"}, getenv, nil, &out, &errs); err != nil {
		t.Fatalf("migrate version: %v", err)
	}
	ups, _ := fs.Glob(migrations.FS, "*.up.sql")
	slices.Sort(ups) // the newest migration's number is the schema version
	if latest := strings.TrimLeft(strings.SplitN(ups[len(ups)-1], "_", 2)[0], "0"); !strings.Contains(out.String(), "herald schema version "+latest+"\n") {
		t.Errorf("migrate version printed %q", out.String())
	}

	out.Reset()
	email := uniqueEmail("super")
	err := run(context.Background(), []string{"admin", "create-superadmin", "--email", email, "--password-stdin"}, getenv,
		strings.NewReader("a long enough password\n"), &out, &errs)
	if err != nil || !strings.Contains(out.String(), "Created superadmin") {
		t.Fatalf("create-superadmin = %v, printed %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"admin", "create-superadmin", "--email", email}, getenv, nil, &out, &errs); err != nil ||
		!strings.Contains(out.String(), "is now a superadmin") {
		t.Errorf("create-superadmin again = %v, printed %q", err, out.String())
	}
	err = run(context.Background(), []string{"admin", "create-superadmin", "--email", uniqueEmail("weak"), "--password-stdin"}, getenv,
		strings.NewReader("short\n"), &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("create-superadmin with a short password = %v, want a password problem", err)
	}
	for _, args := range [][]string{{"nonsense"}, {"migrate"}, {"migrate", "sideways"}, {"admin", "create-superadmin"}} {
		if err := run(context.Background(), args, getenv, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("run %v = nil error", args)
		}
	}
}

func TestRecoverPanics_AnswersAProblemAndLogs(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := newLogger(&logs, "json", "info")
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) { httpapi.HandleError(err, c, log) }
	e.Use(requestID, recoverPanics(log))
	e.GET("/api/v1/boom", func(echo.Context) error { panic(errors.New("nil map somewhere")) })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/boom", nil))
	id := rec.Header().Get(echo.HeaderXRequestID)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "nil map") || !strings.Contains(rec.Body.String(), `"status":500`) {
		t.Errorf("panic answer = %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "nil map somewhere") || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
		t.Errorf("panic log lacks the cause or request id %s:\n%s", id, logs.String())
	}
}

func TestRequestID_RejectsInjectedValues(t *testing.T) {
	t.Parallel()
	e := echo.New()
	e.Use(requestID)
	e.GET("/", func(c echo.Context) error { return c.NoContent(204) })
	for in, keep := range map[string]bool{"abc-123.proxy": true, "bad id\nlevel=ERROR": false, strings.Repeat("x", 65): false} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(echo.HeaderXRequestID, in)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if got := rec.Header().Get(echo.HeaderXRequestID); (got == in) != keep || got == "" {
			t.Errorf("request id %q became %q, keep = %v", in, got, keep)
		}
	}
}

func TestKeys_ProductionNeedsAKeyAndDevelopmentMakesOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": pgtest.FreshURL(t), "HERALD_ADDR": "127.0.0.1:0", "HERALD_METRICS_ADDR": "127.0.0.1:0", "HERALD_DATA_DIR": dir, "HERALD_ENV": "production"}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "HERALD_ENCRYPTION_KEYS") {
		t.Fatalf("production start without keys: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "encryption-keys")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("production wrote a key file: %v", err)
	}

	var out bytes.Buffer
	env["HERALD_ENV"] = "development"
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"keys", "rotate"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "encryption-keys"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("development key file: %v %v", info, err)
	}
	if !strings.Contains(out.String(), "re-encrypted the tokens of 0 accounts") {
		t.Errorf("keys rotate printed %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"keys", "generate", "--id", "k9"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	spec := strings.SplitN(out.String(), "\n", 2)[0]
	if _, err := secret.ParseKeyRing(spec); err != nil || !strings.HasPrefix(spec, "k9:") {
		t.Errorf("keys generate printed %q (%v)", spec, err)
	}
}

// TestBench_NotInTheProductionBinary: the benchmarks live in cmd/herald-bench.
func TestBench_NotInTheProductionBinary(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "publish"}, func(string) string { return "" }, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `unknown command "bench"`) {
		t.Errorf("herald bench publish: %v, want unknown command", err)
	}
}

// TestPlatforms_ConfiguredOnesAppearAndTheSandboxStepsAside: a platform appears when its
// client id and secret are set; in production the sandbox is offered only while no real
// platform is configured (HERALD_SANDBOX=auto).
func TestPlatforms_ConfiguredOnesAppearAndTheSandboxStepsAside(t *testing.T) {
	t.Parallel()
	key, _ := secret.GenerateKeySpec("k1")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "sandbox"},
		{map[string]string{"HERALD_TIKTOK_CLIENT_ID": "ck", "HERALD_TIKTOK_CLIENT_SECRET": "cs", "HERALD_LINKEDIN_CLIENT_ID": "li", "HERALD_LINKEDIN_CLIENT_SECRET": "ls"}, "linkedin tiktok sandbox"},
		{map[string]string{"HERALD_ENV": "production", "HERALD_ENCRYPTION_KEYS": key, "HERALD_FACEBOOK_CLIENT_ID": "fb", "HERALD_FACEBOOK_CLIENT_SECRET": "fs",
			"HERALD_INSTAGRAM_CLIENT_ID": "ig", "HERALD_INSTAGRAM_CLIENT_SECRET": "is"}, "instagram facebook"},
		{map[string]string{"HERALD_ENV": "production", "HERALD_ENCRYPTION_KEYS": key}, "sandbox"},
		{map[string]string{"HERALD_SANDBOX": "off", "HERALD_TIKTOK_CLIENT_ID": "ck", "HERALD_TIKTOK_CLIENT_SECRET": "cs"}, "tiktok"},
	} {
		env := map[string]string{"DATABASE_URL": pgtest.FreshURL(t), "HERALD_ADDR": "127.0.0.1:0", "HERALD_METRICS_ADDR": "127.0.0.1:0", "HERALD_DATA_DIR": t.TempDir()}
		for k, v := range tc.env {
			env[k] = v
		}
		cfg, err := LoadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := m.Run(context.Background()); err != nil {
			m.Close()
			t.Fatal(err)
		}
		var got []string
		for _, p := range m.App.Platforms.Names() {
			got = append(got, string(p))
		}
		m.Close()
		// Accounts.Platforms lists in domain order: linkedin, instagram, facebook, tiktok, sandbox.
		want := strings.Fields(tc.want)
		slices.SortFunc(want, func(a, b string) int { return platformOrder(a) - platformOrder(b) })
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("with %v: platforms %v, want %v", tc.env, got, want)
		}
	}
	if _, err := LoadConfig(func(k string) string { return map[string]string{"HERALD_TIKTOK_CLIENT_ID": "only-the-id"}[k] }); err == nil ||
		!strings.Contains(err.Error(), "HERALD_TIKTOK_CLIENT_SECRET") {
		t.Errorf("a client id without its secret: %v", err)
	}
}

func platformOrder(p string) int {
	for i, q := range []string{"linkedin", "instagram", "facebook", "tiktok", "sandbox"} {
		if p == q {
			return i
		}
	}
	return 99
}
