package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/app"
)

// openAPIDoc is the part of the document the route checks read.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Servers []struct{ URL string }                `json:"servers"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi.json: version %q, servers %v; want 3.1.0 at /api/v1", doc.OpenAPI, doc.Servers)
	}
	return doc
}

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPI_DescribesExactlyTheRegisteredRoutes: every route Register adds under /api/v1
// is in openapi.json with its method, and the document names no path and method that is
// not a route (Echo's :param is the document's {param}).
func TestOpenAPI_DescribesExactlyTheRegisteredRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	e := echo.New()
	New(&app.Services{}, slog.New(slog.DiscardHandler)).Register(e.Group("/api/v1"))

	routes := map[string]bool{}
	for _, r := range e.Routes() {
		path, ok := strings.CutPrefix(r.Path, "/api/v1")
		if !ok || r.Method == echo.RouteNotFound {
			continue
		}
		routes[r.Method+" "+echoParam.ReplaceAllString(path, "{$1}")] = true
	}
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered under /api/v1: %v", len(routes), routes)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json names operations that are not routes:\n  %s", strings.Join(extra, "\n  "))
	}
}

// TestOpenAPI_EveryOperationIsComplete: each operation has an id, a summary and answers;
// every {param} of its path is declared as a path parameter; every $ref points into the
// document.
func TestOpenAPI_EveryOperationIsComplete(t *testing.T) {
	doc := loadOpenAPI(t)
	var whole map[string]any
	if err := json.Unmarshal(OpenAPI, &whole); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				OperationID string            `json:"operationId"`
				Summary     string            `json:"summary"`
				Responses   map[string]any    `json:"responses"`
				Parameters  []json.RawMessage `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			name := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Responses) == 0 {
				t.Errorf("%s: operationId %q, summary %q, %d answers", name, op.OperationID, op.Summary, len(op.Responses))
			}
			if prev, ok := ids[op.OperationID]; ok {
				t.Errorf("%s and %s share operationId %q", prev, name, op.OperationID)
			}
			ids[op.OperationID] = name
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				var param struct{ Name, In string }
				_ = json.Unmarshal(p, &param)
				if param.In == "path" {
					declared[param.Name] = true
				}
			}
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %q is not declared", name, m[1])
				}
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok && !resolves(whole, r) {
				t.Errorf("$ref %q points nowhere", r)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(whole)
}

// resolves reports whether the local JSON pointer ref names a value of doc.
func resolves(doc map[string]any, ref string) bool {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[tok]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPI_ServedWithoutCredentialsAndCached: GET /api/v1/openapi.json answers the
// embedded document to anyone, with an ETag that revalidates to 304; the reference page
// has its own Content-Security-Policy and loads only Herald's own files.
func TestOpenAPI_ServedWithoutCredentialsAndCached(t *testing.T) {
	e := echo.New()
	New(&app.Services{}, slog.New(slog.DiscardHandler)).Register(e.Group("/api/v1"))
	get := func(path string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/api/v1/openapi.json")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
		rec.Body.String() != string(OpenAPI) || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age") {
		t.Fatalf("openapi.json: %d, Content-Type %q, Cache-Control %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), rec.Body.Len())
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("openapi.json has no ETag")
	}
	if again := get("/api/v1/openapi.json", "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidating with the ETag = %d, %d bytes; want 304", again.Code, again.Body.Len())
	}
	if other := get("/api/v1/openapi.json", "If-None-Match", `"other"`); other.Code != http.StatusOK {
		t.Errorf("another ETag = %d, want 200", other.Code)
	}

	page := get("/api/v1/docs")
	body := page.Body.String()
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") || page.Header().Get("Content-Security-Policy") != DocsCSP {
		t.Fatalf("docs: %d, Content-Type %q, CSP %q", page.Code, page.Header().Get("Content-Type"), page.Header().Get("Content-Security-Policy"))
	}
	for _, src := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.HasPrefix(src[1], "/") || strings.HasPrefix(src[1], "//") {
			t.Errorf("docs page loads %q from another site", src[1])
		}
	}
	if strings.Contains(body, "<style") || regexp.MustCompile(`<script>`).MatchString(body) || strings.Contains(DocsCSP, "unsafe") {
		t.Error("docs page has inline script or style, or its CSP allows them")
	}
}
