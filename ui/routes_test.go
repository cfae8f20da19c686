package ui

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/labstack/echo/v4"
)

// paramCount is how many parameters the route's path takes.
func paramCount(r route) int {
	n := 0
	for _, s := range strings.Split(r.path, "/") {
		if strings.HasPrefix(s, ":") || s == "*" {
			n++
		}
	}
	return n
}

// registered is Echo with the web app's routes, by name.
func registered(t *testing.T) (*echo.Echo, map[string]*echo.Route) {
	t.Helper()
	h, err := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	h.Register(e)
	byName := map[string]*echo.Route{}
	for _, r := range e.Routes() {
		byName[r.Name] = r
	}
	return e, byName
}

// TestRegister_EveryRouteNamedAndReverseAgrees: each route of the table is registered with
// its name, method and path, and Echo's Reverse builds the path buildPath builds.
func TestRegister_EveryRouteNamedAndReverseAgrees(t *testing.T) {
	t.Parallel()
	e, byName := registered(t)
	for _, r := range routeTable() {
		got, ok := byName[r.name]
		if r.guard == guardExternal {
			if ok {
				t.Errorf("external route %s is registered by the web app", r.name)
			}
			continue
		}
		if !ok || got.Method != r.method || got.Path != r.path {
			t.Errorf("route %s: registered as %+v, want %s %s", r.name, got, r.method, r.path)
			continue
		}
		params := make([]any, paramCount(r))
		for i := range params {
			params[i] = "p" + strconv.Itoa(i)
		}
		want, err := buildPath(r.name, params...)
		if err != nil {
			t.Errorf("buildPath(%s): %v", r.name, err)
		}
		if rev := e.Reverse(r.name, params...); rev != want {
			t.Errorf("Reverse(%s) = %q, buildPath = %q", r.name, rev, want)
		}
	}
}

func TestBuildPath_EscapesAndFailsLoudly(t *testing.T) {
	t.Parallel()
	if got, err := buildPath("post.target.resolve", "a/b c", "x?y#z"); err != nil || got != "/posts/a%2Fb%20c/targets/x%3Fy%23z/resolve" {
		t.Errorf("buildPath escaped = %q, %v", got, err)
	}
	if got, err := buildPath("home"); err != nil || got != "/" {
		t.Errorf("buildPath(home) = %q, %v", got, err)
	}
	for _, c := range []struct {
		name   string
		params []any
	}{{"no.such.route", nil}, {"post", nil}, {"post", []any{"a", "b"}}, {"posts", []any{"a"}}} {
		if got, err := buildPath(c.name, c.params...); err == nil {
			t.Errorf("buildPath(%s, %v) = %q, want an error", c.name, c.params, got)
		}
	}
	if got, err := withQuery("/login", "next", "/invitations/accept?token=a b&c"); err != nil || got != "/login?next=%2Finvitations%2Faccept%3Ftoken%3Da+b%26c" {
		t.Errorf("withQuery = %q, %v", got, err)
	}
	if got, err := withQuery("/x?a=1", "b", 2, "c", ""); err != nil || got != "/x?a=1&b=2&c=" {
		t.Errorf("withQuery on a query = %q, %v", got, err)
	}
	if _, err := withQuery("/x", "a"); err == nil {
		t.Error("withQuery with an odd number of arguments: no error")
	}
	if got, err := staticPath("vendor/htmx-2.0.11.min.js"); err != nil || got != "/static/vendor/htmx-2.0.11.min.js" {
		t.Errorf("staticPath = %q, %v", got, err)
	}
	for _, bad := range []string{"nope.js", "vendor", "../ui.go", "vendor/../app.js", ""} {
		if got, err := staticPath(bad); err == nil {
			t.Errorf("staticPath(%q) = %q, want an error", bad, got)
		}
	}
	// In a template the errors stop the rendering instead of writing an empty address.
	for _, src := range []string{`<a href="{{path "no.such.route"}}">`, `<a href="{{path "post"}}">`, `<a href="{{path "home" 1}}">`,
		`<a href="{{static "gone.css"}}">`, `<a href="{{withQuery (path "home") "next"}}">`} {
		tp := template.Must(template.New("t").Funcs(funcs).Parse(src))
		var buf bytes.Buffer
		if err := tp.Execute(&buf, nil); err == nil {
			t.Errorf("%s rendered %q without an error", src, buf.String())
		}
	}
	tp := template.Must(template.New("t").Funcs(funcs).Parse(`<a href="{{path "post.edit" .}}">`))
	var buf bytes.Buffer
	if err := tp.Execute(&buf, `"><script>`); err != nil || buf.String() != `<a href="/posts/%22%3E%3Cscript%3E/edit">` {
		t.Errorf("escaped in a template: %q, %v", buf.String(), err)
	}
}

// templateSources are the template files by name, with comments removed.
func templateSources(t *testing.T) map[string]string {
	t.Helper()
	comment := regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}`)
	out := map[string]string{}
	err := fs.WalkDir(files, "templates", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".html") {
			return err
		}
		b, err := fs.ReadFile(files, name)
		out[name] = comment.ReplaceAllString(string(b), "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 30 {
		t.Fatalf("found %d templates, expected all of them", len(out))
	}
	return out
}

// hardCodedPath finds an address written out in a template: a slash and a letter right
// after a quote, an equals sign or the end of an action ("/posts", ="/login",
// }}/admin). Addresses come from path, withQuery and static.
var hardCodedPath = regexp.MustCompile(`(?:["'=` + "`" + `]|\}\})/[A-Za-z0-9_.~-]`)

func hardCodedPaths(name, src string) []string {
	var out []string
	for i, line := range strings.Split(src, "\n") {
		for _, m := range hardCodedPath.FindAllString(line, -1) {
			out = append(out, name+":"+strconv.Itoa(i+1)+": "+m+"… in "+strings.TrimSpace(line))
		}
	}
	return out
}

// TestTemplates_NoHardCodedPaths fails when a template writes an internal address out
// instead of naming its route.
func TestTemplates_NoHardCodedPaths(t *testing.T) {
	t.Parallel()
	for name, src := range templateSources(t) {
		for _, hit := range hardCodedPaths(name, src) {
			t.Errorf("hard-coded path: %s", hit)
		}
	}
	// The check finds what it is for.
	for _, bad := range []string{`<a href="/posts">`, `<form action='/logout'>`, `<div hx-get="/posts/{{.ID}}/status">`,
		`<script src="/static/app.js">`, `{{if eq .Path "/team"}}`, `<a href="{{if .All}}/admin/audit{{end}}">`, "<input value=/accounts>"} {
		if len(hardCodedPaths("t", bad)) == 0 {
			t.Errorf("hard-coded path not found in %s", bad)
		}
	}
	for _, good := range []string{`<a href="{{path "posts"}}">`, `<p>24/7 and/or 1/2</p>`, `<a href="#top">`, `<a href="https://example.com/x">`} {
		if hits := hardCodedPaths("t", good); len(hits) > 0 {
			t.Errorf("false alarm: %v", hits)
		}
	}
}

// routeUse is one call of path or static in a template, with a literal first argument.
type routeUse struct {
	fn, name string
	params   int
	where    string
}

// routeUses walks a parsed template for calls of path and static.
func routeUses(where string, n parse.Node, out *[]routeUse) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				routeUses(where, c, out)
			}
		}
	case *parse.ActionNode:
		routeUses(where, n.Pipe, out)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				routeUses(where, c, out)
			}
		}
	case *parse.CommandNode:
		if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "path" || id.Ident == "static") {
			u := routeUse{fn: id.Ident, where: where, params: len(n.Args) - 2}
			if len(n.Args) > 1 {
				if s, ok := n.Args[1].(*parse.StringNode); ok {
					u.name = s.Text
				}
			}
			*out = append(*out, u)
		}
		for _, a := range n.Args {
			routeUses(where, a, out)
		}
	case *parse.IfNode:
		routeUses(where, n.Pipe, out)
		routeUses(where, n.List, out)
		routeUses(where, n.ElseList, out)
	case *parse.RangeNode:
		routeUses(where, n.Pipe, out)
		routeUses(where, n.List, out)
		routeUses(where, n.ElseList, out)
	case *parse.WithNode:
		routeUses(where, n.Pipe, out)
		routeUses(where, n.List, out)
		routeUses(where, n.ElseList, out)
	case *parse.TemplateNode:
		routeUses(where, n.Pipe, out)
	}
}

// checkRouteUses reports each call of path or static that names no registered route (or
// no embedded file), or passes the wrong number of parameters.
func checkRouteUses(uses []routeUse, byName map[string]*echo.Route) []string {
	var bad []string
	for _, u := range uses {
		switch {
		case u.name == "":
			bad = append(bad, u.where+": "+u.fn+" without a literal name")
		case u.fn == "static":
			if _, err := staticPath(u.name); err != nil || u.params != 0 {
				bad = append(bad, u.where+": static "+u.name)
			}
		default:
			r, ok := routeIndex[u.name]
			if _, reg := byName[u.name]; !ok || (!reg && r.guard != guardExternal) {
				bad = append(bad, u.where+": path "+strconv.Quote(u.name)+" names no route")
			} else if u.params != paramCount(r) {
				bad = append(bad, u.where+": path "+u.name+" with "+strconv.Itoa(u.params)+" parameters, the route takes "+strconv.Itoa(paramCount(r)))
			}
		}
	}
	return bad
}

// TestTemplates_RouteNamesExist parses every template and checks each path and static call
// against the routes Register adds (and the listed pages of other packages).
func TestTemplates_RouteNamesExist(t *testing.T) {
	t.Parallel()
	_, byName := registered(t)
	var uses []routeUse
	for name, src := range templateSources(t) {
		trees, err := parse.Parse(name, src, "{{", "}}", map[string]any(funcs), builtinStubs)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for tn, tree := range trees {
			routeUses(name+"#"+tn, tree.Root, &uses)
		}
	}
	if len(uses) < 100 {
		t.Fatalf("found %d uses of path and static, expected every link", len(uses))
	}
	for _, b := range checkRouteUses(uses, byName) {
		t.Error(b)
	}
	// The check finds what it is for.
	for _, bad := range []routeUse{{fn: "path", name: "post.edt", params: 1}, {fn: "path", name: "post.edit"},
		{fn: "path", name: "jobs", params: 1}, {fn: "static", name: "vendor/htmx-1.0.0.min.js"}, {fn: "path"}} {
		if len(checkRouteUses([]routeUse{bad}, byName)) == 0 {
			t.Errorf("%+v passed the check", bad)
		}
	}
}

// builtinStubs lets parse.Parse accept html/template's and text/template's builtins.
var builtinStubs = func() map[string]any {
	m := map[string]any{}
	for _, n := range []string{"and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge", "html", "js", "urlquery", "call"} {
		m[n] = fmt0
	}
	return m
}()

func fmt0(...any) string { return "" }

// TestHandlers_NoHardCodedPaths fails when a handler file writes an internal address out
// (a string starting with a slash, other than the cookie path "/") instead of calling
// routePath, and when a routePath call names no route or passes the wrong number of
// parameters. routes.go, where the paths are written once, is exempt.
func TestHandlers_NoHardCodedPaths(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	calls := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || name == "routes.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && strings.HasPrefix(s, "/") && s != "/" {
					t.Errorf("%s: hard-coded path %s", fset.Position(n.Pos()), n.Value)
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "routePath" {
					calls++
					lit, ok := n.Args[0].(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: routePath without a literal name", fset.Position(n.Pos()))
						return true
					}
					rn, _ := strconv.Unquote(lit.Value)
					if r, ok := routeIndex[rn]; !ok {
						t.Errorf("%s: routePath(%s) names no route", fset.Position(n.Pos()), lit.Value)
					} else if n.Ellipsis == token.NoPos && len(n.Args)-1 != paramCount(r) {
						t.Errorf("%s: routePath(%s) with %d parameters, the route takes %d", fset.Position(n.Pos()), lit.Value, len(n.Args)-1, paramCount(r))
					}
				}
			}
			return true
		})
	}
	if calls < 30 {
		t.Errorf("found %d routePath calls, expected every redirect and link built in Go", calls)
	}
}

// TestRouteTable_NamesUnique is a guard against a name used twice, which init would
// also refuse: Echo's Reverse takes the first route of a name.
func TestRouteTable_NamesUnique(t *testing.T) {
	t.Parallel()
	var names []string
	for _, r := range routeTable() {
		names = append(names, r.name)
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("route name %s used twice", names[i])
		}
	}
}
