package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/heraldhq/herald/adapters/httpapi"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// server is the JSON API alone on an httptest server, over apptest's use cases: what
// cmd/herald mounts at /api/v1, without the web app and the rest of Herald around it.
type server struct {
	*apptest.App
	t   *testing.T
	url string
}

func newServer(t *testing.T, opts ...apptest.Option) *server {
	t.Helper()
	a := apptest.New(t, opts...)
	return serveAPI(t, a, a.Services)
}

// serveAPI serves the API over svc, which may differ from a's own services.
func serveAPI(t *testing.T, a *apptest.App, svc *app.Services) *server {
	t.Helper()
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	log := apptest.Quiet()
	e.HTTPErrorHandler = func(err error, c echo.Context) { httpapi.HandleError(err, c, log) }
	httpapi.New(svc, log).Register(e.Group("/api/v1"))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &server{App: a, t: t, url: srv.URL + "/api/v1"}
}

// client is a person signed in through the API, acting in company unless a request names
// another.
type client struct {
	s       *server
	token   string
	company string
	actor   domain.Actor
}

var people atomic.Int64

// register signs a new person up with a company of their own, through the API.
func (s *server) register(company string) *client {
	s.t.Helper()
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
		Company struct {
			ID string `json:"id"`
		} `json:"company"`
	}
	email := fmt.Sprintf("p%d-%s@example.com", people.Add(1), strings.ToLower(strings.ReplaceAll(company, " ", "")))
	anon := &client{s: s}
	res := anon.do("POST", "/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": "Person", "company": company})
	res.want(http.StatusCreated).decode(&out)
	c := &client{s: s, token: out.Token, company: out.Company.ID}
	c.actor = domain.Actor{UserID: domain.UserID(out.User.ID), CompanyID: domain.CompanyID(out.Company.ID), Role: domain.RoleOwner}
	return c
}

// response is an answer read whole.
type response struct {
	t      *testing.T
	req    string
	status int
	header http.Header
	body   []byte
}

// do sends a request; body is sent as JSON unless it is a string (sent as is) or nil;
// headers are name, value pairs and override the client's.
func (c *client) do(method, path string, body any, headers ...string) *response {
	c.s.t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.s.t.Fatal(err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	return c.send(method, path, r, -1, ctype, headers...)
}

// send sends a request with a raw body of type ctype ("": none) and length size (-1:
// unknown, sent chunked, or taken from a strings or bytes reader), with the client's token
// and company; headers are name, value pairs and override the client's ("" deletes one).
func (c *client) send(method, path string, body io.Reader, size int64, ctype string, headers ...string) *response {
	c.s.t.Helper()
	req, err := http.NewRequest(method, c.s.url+path, body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if size >= 0 {
		req.ContentLength = size
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.company != "" {
		req.Header.Set("X-Company-ID", c.company)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return &response{t: c.s.t, req: method + " " + path, status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless the answer has status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s = %d %s, want %d", r.req, r.status, r.body, status)
	}
	return r
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("%s: %v in %s", r.req, err, r.body)
	}
}

// problem is an RFC 9457 problem answer.
type problem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// problem checks the answer is a problem of status and returns it.
func (r *response) problem(status int) problem {
	r.t.Helper()
	r.want(status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		r.t.Fatalf("%s: Content-Type %q, want application/problem+json", r.req, ct)
	}
	var p problem
	r.decode(&p)
	if p.Status != status || p.Type == "" || p.Detail == "" {
		r.t.Fatalf("%s: problem %+v", r.req, p)
	}
	return p
}

// fields returns the fields a problem names.
func (p problem) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// post creates a draft through the API and returns its id and ETag.
func (c *client) post(content string, accounts ...domain.AccountID) (id, etag string) {
	c.s.t.Helper()
	if accounts == nil {
		accounts = []domain.AccountID{}
	}
	res := c.do("POST", "/posts", map[string]any{"content": content, "account_ids": accounts}).want(http.StatusCreated)
	var p struct {
		ID string `json:"id"`
	}
	res.decode(&p)
	return p.ID, res.header.Get("ETag")
}
