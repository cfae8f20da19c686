package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/heraldhq/herald"

// TestArchitecture fails when an import breaks the dependency rule (README, "Architecture"):
// domain <- ports <- app <- (adapters, ui) <- cmd, adapters never import each other or ui,
// and domain, ports and app import no third-party code.
func TestArchitecture(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], module+"/"), fields[1:]
		for _, imp := range imports {
			if why := forbidden(pkg, imp); why != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, why)
			}
		}
	}
}

// layer returns the architectural layer of a package path inside the module.
func layer(pkg string) string {
	parts := strings.Split(pkg, "/")
	switch parts[0] {
	case "adapters":
		if len(parts) > 1 {
			return "adapters/" + parts[1]
		}
	case "cmd": // cmd/herald and cmd/herald-bench: the composition roots, which may import anything
		return "cmd"
	}
	return parts[0]
}

// testSupport is the one package under app that may import adapters and third-party code.
const testSupport = "app/apptest"

// testBinaries builds the real servers tests run beside Herald; only test support (a
// package named *test) imports it.
const testBinaries = "adapters/testbin"

// sharedAdapter is the layer every adapter may import.
const sharedAdapter = "adapters/outbound"

// forbidden returns why pkg may not import imp, or "".
func forbidden(pkg, imp string) string {
	own := strings.HasPrefix(imp, module+"/")
	std := !strings.Contains(strings.Split(imp, "/")[0], ".")
	from := layer(pkg)
	to := ""
	if own {
		to = layer(strings.TrimPrefix(imp, module+"/"))
	}
	allowed := map[string][]string{
		"domain":     {},
		"ports":      {"domain"},
		"app":        {"domain", "ports"},
		"ui":         {"domain", "ports", "app"},
		"migrations": {},
		"policies":   {},
	}
	switch {
	case imp == module+"/"+testSupport:
		return "only tests import " + testSupport
	case from == "cmd":
		return ""
	case to == testBinaries:
		if !strings.HasSuffix(pkg, "test") {
			return "only test support packages (named *test) and commands import " + testBinaries
		}
		return ""
	case pkg == testSupport:
		// app/apptest builds the use cases on real adapters for tests (package app's own
		// external tests, the adapters' tests): test support only, never imported by code
		// that ships, so it may import what a composition root does.
		return ""
	case from == "domain" || from == "ports" || from == "app":
		if !own && !std {
			return "the core imports only the standard library"
		}
	case from == sharedAdapter:
		if own && to != "domain" {
			return sharedAdapter + " is shared by the adapters and imports only domain"
		}
		return ""
	case strings.HasPrefix(from, "adapters/"):
		// adapters/outbound, the one guard for outbound connections, is the one adapter
		// package the others share.
		if own && to != from && to != sharedAdapter && !contains([]string{"domain", "ports", "app", "migrations", "policies"}, to) {
			return "adapters import inwards only, never another adapter (but " + sharedAdapter + "), ui or cmd"
		}
		return ""
	}
	if own && to != from && !contains(allowed[from], to) {
		return "breaks the dependency rule (" + from + " may import " + strings.Join(allowed[from], ", ") + ")"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestArchitecture_RuleCatchesViolations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pkg, imp string
		bad      bool
	}{
		{"domain", module + "/ports", true},
		{"domain", "github.com/jmoiron/sqlx", true},
		{"domain", "time", false},
		{"app", module + "/adapters/postgres", true},
		{"app", module + "/ports", false},
		{"app/apptest", module + "/adapters/postgres", false},
		{"app/apptest", "github.com/jackc/pgx/v5/pgxpool", false},
		{"app/apptest/other", module + "/adapters/postgres", true},
		{"cmd/herald", module + "/app/apptest", true}, // go list leaves out tests' imports
		{"adapters/httpapi", module + "/adapters/postgres", true},
		{"adapters/mail/mailtest", module + "/adapters/testbin", false},
		{"adapters/mail", module + "/adapters/testbin", true},
		{"adapters/httpapi", module + "/ui", true},
		{"adapters/postgres/pgtest", module + "/adapters/postgres", false},
		{"adapters/authz", module + "/policies", false},
		{"adapters/platforms/linkedin", module + "/adapters/outbound", false},
		{"adapters/webhook", module + "/adapters/outbound", false},
		{"adapters/outbound", module + "/adapters/postgres", true},
		{"adapters/outbound", module + "/ports", true},
		{"ui", module + "/adapters/httpapi", true},
		{"ui", module + "/app", false},
		{"cmd/herald", module + "/adapters/postgres", false},
		{"cmd/herald-bench", module + "/adapters/queue", false}, // a cmd: wires adapters like cmd/herald
	} {
		if got := forbidden(tc.pkg, tc.imp) != ""; got != tc.bad {
			t.Errorf("forbidden(%s -> %s) = %v, want %v", tc.pkg, tc.imp, got, tc.bad)
		}
	}
}
