package main

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/heraldhq/herald/adapters/httpapi"
)

// The API tests' client records every answer of /api/v1 (recordingTransport), and when the
// test ends each one is checked against adapters/httpapi/openapi.json: the operation must be
// there, its status described, its content type one the document names, and a JSON body
// valid against that answer's schema (JSON Schema 2020-12, santhosh-tekuri/jsonschema).

// recordedAnswer is one answer of the API as the client saw it.
type recordedAnswer struct {
	method, path string
	status       int
	contentType  string
	body         []byte
}

// recordingTransport sends requests on through next and keeps a copy of every API answer.
type recordingTransport struct {
	next    http.RoundTripper
	mu      sync.Mutex
	answers []recordedAnswer
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := rt.next.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return res, err
	}
	body, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return res, nil // a cut connection (an export that failed midway): nothing whole to check
	}
	rt.mu.Lock()
	rt.answers = append(rt.answers, recordedAnswer{method: req.Method, path: req.URL.Path, status: res.StatusCode,
		contentType: res.Header.Get("Content-Type"), body: body})
	rt.mu.Unlock()
	return res, nil
}

// recordAnswers makes hc record its API answers and checks them against the document when
// t ends.
func recordAnswers(t testing.TB, hc *http.Client) {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	rt := &recordingTransport{next: next}
	hc.Transport = rt
	t.Cleanup(func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		for _, problem := range theOpenAPI(t).check(rt.answers) {
			t.Error(problem)
		}
	})
}

// openAPI is the document, compiled as the checks need it.
type openAPI struct {
	doc     map[string]any
	paths   []openAPIPath
	schemas sync.Map // location -> *jsonschema.Schema
	comp    *jsonschema.Compiler
	compMu  sync.Mutex
}

type openAPIPath struct {
	template string
	re       *regexp.Regexp
	literals int // more literal segments win: /accounts/connect/{platform} before /accounts/{id}
}

const openAPIURL = "https://herald.invalid/api/v1/openapi.json"

var (
	openAPIOnce sync.Once
	openAPIDoc  *openAPI
	openAPIErr  error
)

// theOpenAPI loads and indexes the embedded document once per test binary.
func theOpenAPI(t testing.TB) *openAPI {
	t.Helper()
	openAPIOnce.Do(func() { openAPIDoc, openAPIErr = loadOpenAPIDoc(httpapi.OpenAPI) })
	if openAPIErr != nil {
		t.Fatalf("openapi.json: %v", openAPIErr)
	}
	return openAPIDoc
}

func loadOpenAPIDoc(raw []byte) (*openAPI, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m, _ := doc.(map[string]any)
	paths, _ := m["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, fmt.Errorf("no paths")
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource(openAPIURL, doc); err != nil {
		return nil, err
	}
	o := &openAPI{doc: m, comp: comp}
	param := regexp.MustCompile(`\\\{[^}]+\\\}`)
	for p := range paths {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(p), "[^/]+") + "$")
		lit := 0
		for _, seg := range strings.Split(p, "/") {
			if seg != "" && !strings.HasPrefix(seg, "{") {
				lit++
			}
		}
		o.paths = append(o.paths, openAPIPath{template: p, re: re, literals: lit})
	}
	sort.Slice(o.paths, func(i, j int) bool { return o.paths[i].literals > o.paths[j].literals })
	return o, nil
}

// pointer escapes a JSON pointer token.
func pointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// lookup returns the value at the JSON pointer ptr ("/a/b") of the document.
func (o *openAPI) lookup(ptr string) (any, bool) {
	var cur any = o.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (o *openAPI) schema(ptr string) (*jsonschema.Schema, error) {
	if s, ok := o.schemas.Load(ptr); ok {
		return s.(*jsonschema.Schema), nil
	}
	o.compMu.Lock()
	defer o.compMu.Unlock()
	s, err := o.comp.Compile(openAPIURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	o.schemas.Store(ptr, s)
	return s, nil
}

// secretValue matches the fields of an answer that hold a secret shown once.
var secretValue = regexp.MustCompile(`"(token|secret|accept_url)":"[^"]*"`)

// check returns what is wrong with each answer; answers to addresses the document does not
// have that were refused as such (404, 405) are not the document's to describe.
func (o *openAPI) check(answers []recordedAnswer) []string {
	var out []string
	for _, a := range answers {
		if p := o.checkOne(a); p != "" {
			body := secretValue.ReplaceAll(a.body, []byte(`"$1":"(hidden)"`)) // the failure shows no secret
			out = append(out, fmt.Sprintf("%s %s answered %d (%s), which openapi.json does not describe: %s\n%.600s", a.method, a.path, a.status, a.contentType, p, body))
		}
	}
	return out
}

func (o *openAPI) checkOne(a recordedAnswer) string {
	route := strings.TrimPrefix(a.path, "/api/v1")
	template := ""
	for _, p := range o.paths {
		if p.re.MatchString(route) {
			template = p.template
			break
		}
	}
	unknownAddress := a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed
	if template == "" {
		if unknownAddress {
			return ""
		}
		return "no path matches"
	}
	opPtr := "/paths/" + pointer(template) + "/" + strings.ToLower(a.method)
	if _, ok := o.lookup(opPtr); !ok {
		if unknownAddress || a.method == http.MethodOptions {
			return ""
		}
		return "no operation " + a.method + " " + template
	}
	code := strconv.Itoa(a.status)
	respPtr := ""
	for _, key := range []string{code, code[:1] + "XX", "default"} {
		if _, ok := o.lookup(opPtr + "/responses/" + key); ok {
			respPtr = opPtr + "/responses/" + key
			break
		}
	}
	if respPtr == "" {
		return "status " + code + " is not among the operation's answers"
	}
	resp, _ := o.lookup(respPtr)
	if r, ok := resp.(map[string]any)["$ref"].(string); ok {
		respPtr = strings.TrimPrefix(r, "#")
		resp, _ = o.lookup(respPtr)
	}
	content, _ := resp.(map[string]any)["content"].(map[string]any)
	if len(content) == 0 || a.method == http.MethodHead {
		if len(a.body) > 0 && a.method != http.MethodHead {
			return "a body where the document describes none"
		}
		return ""
	}
	mt, _, err := mime.ParseMediaType(a.contentType)
	if err != nil {
		return "no content type"
	}
	if _, ok := content[mt]; !ok {
		return "content type " + mt + " is not the operation's"
	}
	if mt != "application/json" && mt != "application/problem+json" {
		return ""
	}
	sch, err := o.schema(respPtr + "/content/" + pointer(mt) + "/schema")
	if err != nil {
		return "the schema does not compile: " + err.Error()
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(a.body))
	if err != nil {
		return "the body is not JSON: " + err.Error()
	}
	if err := sch.Validate(v); err != nil {
		return err.Error()
	}
	return ""
}

// TestOpenAPI_RecordedAnswersAreChecked: the check refuses an answer whose body breaks its
// schema, a status the operation does not describe, a wrong content type and an unknown
// operation, and accepts a well-formed problem, so the recording cannot pass by accident.
func TestOpenAPI_RecordedAnswersAreChecked(t *testing.T) {
	t.Parallel()
	o := theOpenAPI(t)
	problem := []byte(`{"type":"urn:herald:problem:not_found","title":"Not Found","status":404,"detail":"No such post."}`)
	ok := []recordedAnswer{
		{"GET", "/api/v1/posts/7b0c9d5e-0000-4000-8000-000000000000", 404, "application/problem+json", problem},
		{"GET", "/api/v1/nothing/here", 404, "application/problem+json", problem},
		{"DELETE", "/api/v1/posts/7b0c9d5e-0000-4000-8000-000000000000", 204, "", nil},
		{"GET", "/api/v1/auth/tokens", 200, "application/json; charset=utf-8", []byte(`{"items":[],"next_cursor":null}`)},
	}
	for _, a := range ok {
		if p := o.checkOne(a); p != "" {
			t.Errorf("%s %s %d refused: %s", a.method, a.path, a.status, p)
		}
	}
	bad := []recordedAnswer{
		{"GET", "/api/v1/auth/tokens", 200, "application/json", []byte(`{"items":[{"id":"x"}],"next_cursor":null}`)},      // items lack fields
		{"GET", "/api/v1/auth/tokens", 200, "application/json", []byte(`{"items":[],"next_cursor":null,"surprise":1}`)},   // a field not described
		{"GET", "/api/v1/auth/tokens", 418, "application/problem+json", problem},                                          // a status not described
		{"GET", "/api/v1/auth/tokens", 200, "text/html", []byte(`<p>hi</p>`)},                                             // a content type not described
		{"PATCH", "/api/v1/auth/tokens", 200, "application/json", []byte(`{}`)},                                           // no such operation
		{"GET", "/api/v1/posts/7b0c9d5e-0000-4000-8000-000000000000", 404, "application/problem+json", []byte(`{"x":1}`)}, // not a problem
	}
	for _, a := range bad {
		if p := o.checkOne(a); p == "" {
			t.Errorf("%s %s %d %s accepted", a.method, a.path, a.status, a.body)
		}
	}
	secret := recordedAnswer{"POST", "/api/v1/auth/tokens", 201, "application/json", []byte(`{"id":"x","name":"CI","token":"hrd_secret"}`)}
	if out := o.check([]recordedAnswer{secret}); len(out) != 1 || strings.Contains(out[0], "hrd_secret") {
		t.Errorf("a refused answer's report shows its secret: %q", out)
	}
}
