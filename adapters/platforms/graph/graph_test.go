package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/domain"
)

const (
	testSecret = "app-secret-0123456789"
	testToken  = "EAAB-page-token-abcdef"
)

// fakeGraph answers like the Graph API: it requires appsecret_proof with every access token
// (an app with "Require App Secret" on, https://developers.facebook.com/docs/graph-api/securing-requests/)
// and answers a missing or wrong one with the documented error object.
type fakeGraph struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []string // "METHOD /path"
	handler func(w http.ResponseWriter, r *http.Request, params url.Values)
}

func newFakeGraph(t *testing.T, h func(w http.ResponseWriter, r *http.Request, params url.Values)) *fakeGraph {
	f := &fakeGraph{t: t, handler: h}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	params := r.URL.Query()
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		if err := r.ParseForm(); err != nil {
			graphError(w, 400, 100, 0, "bad form")
			return
		}
		for k, v := range r.PostForm {
			params[k] = v
		}
	case strings.HasPrefix(ct, "application/json"):
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			graphError(w, 400, 100, 0, "bad JSON body")
			return
		}
		for k, v := range body {
			params.Set(k, fmt.Sprint(v))
		}
	case strings.HasPrefix(ct, "multipart/form-data"):
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			graphError(w, 400, 100, 0, "bad multipart body")
			return
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = v
		}
	}
	if tok := params.Get("access_token"); tok != "" {
		if params.Get("appsecret_proof") != AppSecretProof(testSecret, tok) {
			// The answer Graph gives an app that requires the proof.
			graphError(w, 400, 100, 0, "API calls from the server require an appsecret_proof argument")
			return
		}
	}
	f.handler(w, r, params)
}

func (f *fakeGraph) client(t *testing.T, mod func(*Config)) *Client {
	cfg := Config{Platform: domain.Facebook, BaseURL: f.srv.URL, Version: "v26.0", AppSecret: testSecret, HTTPClient: f.srv.Client()}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func graphError(w http.ResponseWriter, status, code, subcode int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"error": map[string]any{"message": message, "type": "OAuthException", "code": code, "error_subcode": subcode, "fbtrace_id": "AbCdEf"}}
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestAppSecretProof_IsTheHexHMACSHA256OfTheTokenKeyedByTheSecret(t *testing.T) {
	t.Parallel()
	// Worked out independently (Python: hmac.new(b"secret", b"token", hashlib.sha256).hexdigest()).
	const want = "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
	if got := AppSecretProof("secret", "token"); got != want {
		t.Errorf("AppSecretProof = %q, want %q", got, want)
	}
}

func TestClient_SendsTheProofWithEveryCall(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]url.Values{}
	rawQuery := map[string]string{}
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = p
		rawQuery[r.Method+" "+r.URL.Path] = r.URL.RawQuery
		mu.Unlock()
		switch r.URL.Path {
		case "/v26.0/me/accounts":
			if p.Get("after") == "" {
				writeJSON(w, map[string]any{"data": []map[string]string{{"id": "1"}}, "paging": map[string]any{
					"next": "http://" + r.Host + "/v26.0/me/accounts?access_token=stale&appsecret_proof=stale&after=c1&limit=1"}})
				return
			}
			writeJSON(w, map[string]any{"data": []map[string]string{{"id": "2"}}})
		default:
			writeJSON(w, map[string]any{"id": "ok"})
		}
	})
	c := f.client(t, nil)
	var out struct{ ID string }
	if err := c.Get(ctx(t), "me", testToken, url.Values{"fields": {"id"}}, &out); err != nil || out.ID != "ok" {
		t.Fatalf("Get: %v %+v", err, out)
	}
	if err := c.Post(ctx(t), "1/feed", testToken, url.Values{"message": {"hi"}}, &out); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if err := c.PostJSON(ctx(t), "1/json", testToken, map[string]string{"a": "b"}, &out); err != nil {
		t.Fatalf("PostJSON: %v", err)
	}
	if err := c.Delete(ctx(t), "1_2", testToken, nil, &out); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := c.Upload(ctx(t), "1/videos", testToken, url.Values{"description": {"d"}}, File{Field: "source", Name: "v.mp4", Body: strings.NewReader("data")}, &out); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	var ids []string
	err := Each(ctx(t), c, "me/accounts", testToken, url.Values{"limit": {"1"}}, 5, func(p struct{ ID string }) bool {
		ids = append(ids, p.ID)
		return true
	})
	if err != nil || strings.Join(ids, ",") != "1,2" {
		t.Fatalf("Each: %v, ids %v", err, ids)
	}
	proof := AppSecretProof(testSecret, testToken)
	for _, call := range []string{"GET /v26.0/me", "POST /v26.0/1/feed", "POST /v26.0/1/json", "DELETE /v26.0/1_2", "POST /v26.0/1/videos", "GET /v26.0/me/accounts"} {
		p, ok := seen[call]
		if !ok {
			t.Errorf("%s: never called", call)
			continue
		}
		if p.Get("access_token") != testToken || p.Get("appsecret_proof") != proof {
			t.Errorf("%s: access_token=%q appsecret_proof=%q, want the token and its proof", call, p.Get("access_token"), p.Get("appsecret_proof"))
		}
	}
	// Form and multipart bodies carry the token, so it is in no URL; JSON bodies carry the data.
	for _, call := range []string{"POST /v26.0/1/feed", "POST /v26.0/1/videos"} {
		if strings.Contains(rawQuery[call], "access_token") {
			t.Errorf("%s: the token is in the URL: %s", call, rawQuery[call])
		}
	}
	if got := seen["POST /v26.0/1/json"].Get("a"); got != "b" {
		t.Errorf("PostJSON body a = %q, want b", got)
	}
	if got := seen["POST /v26.0/1/feed"].Get("message"); got != "hi" {
		t.Errorf("Post form message = %q, want hi", got)
	}
	// The second page was asked with the client's own token and proof, not the stale ones.
	if p := seen["GET /v26.0/me/accounts"]; p.Get("after") != "c1" {
		t.Errorf("second page asked with %v, want after=c1", p)
	}
}

func TestClient_AProofTheAppDoesNotMatchIsRefused(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) { writeJSON(w, map[string]string{"id": "1"}) })
	c := f.client(t, func(cfg *Config) { cfg.AppSecret = "another-secret-value" })
	err := c.Get(ctx(t), "me", testToken, nil, nil)
	if domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("a wrong proof: %v, want the fake's refusal (invalid)", err)
	}
	if strings.Contains(err.Error(), "another-secret-value") {
		t.Errorf("the error carries the app secret: %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env     string
		want    string
		wantErr bool
	}{
		{"", DefaultVersion, false},
		{"v25.0", "v25.0", false},
		{" v24.0 ", "v24.0", false},
		{"25.0", "", true},
		{"v25", "", true},
		{"v25.0/../x", "", true},
	} {
		got, err := ParseVersion(func(k string) string {
			if k == "HERALD_FACEBOOK_API_VERSION" {
				return tc.env
			}
			return ""
		})
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q, error %v", tc.env, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "HERALD_FACEBOOK_API_VERSION") {
			t.Errorf("the error does not name the variable: %v", err)
		}
	}
}

func TestClient_CallsTheConfiguredVersion(t *testing.T) {
	t.Parallel()
	var path string
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		path = r.URL.Path
		writeJSON(w, map[string]string{"id": "1"})
	})
	c := f.client(t, func(cfg *Config) { cfg.Version = "v24.0" })
	if err := c.Get(ctx(t), "/17841/media", testToken, nil, nil); err != nil {
		t.Fatal(err)
	}
	if path != "/v24.0/17841/media" {
		t.Errorf("path = %q, want /v24.0/17841/media", path)
	}
}

// The error bodies below are those of
// https://developers.facebook.com/docs/graph-api/guides/error-handling and the throttling
// answers of https://developers.facebook.com/docs/graph-api/overview/rate-limiting/.
func TestClient_ClassifiesGraphErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	type answer struct {
		status  int
		body    string
		headers map[string]string
	}
	for _, tc := range []struct {
		name     string
		answer   answer
		code     domain.Code
		wait     time.Duration
		maybe    bool
		inMsg    string
		graphErr int
	}{
		{"ExpiredToken", answer{400, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A"}}`, nil}, domain.CodeUnauthenticated, 0, false, "expired", 190},
		{"PasswordChanged", answer{400, `{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":460}}`, nil}, domain.CodeUnauthenticated, 0, false, "password", 190},
		{"AppRemoved", answer{400, `{"error":{"message":"x","type":"OAuthException","code":190,"error_subcode":458}}`, nil}, domain.CodeUnauthenticated, 0, false, "removed", 190},
		{"Checkpoint", answer{400, `{"error":{"message":"x","type":"OAuthException","code":190,"error_subcode":459}}`, nil}, domain.CodeUnauthenticated, 0, false, "log in", 190},
		{"Unconfirmed", answer{400, `{"error":{"message":"x","type":"OAuthException","code":190,"error_subcode":464}}`, nil}, domain.CodeUnauthenticated, 0, false, "log in", 190},
		{"InvalidToken", answer{400, `{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190,"error_subcode":467}}`, nil}, domain.CodeUnauthenticated, 0, false, "refused the access token", 190},
		{"Session", answer{400, `{"error":{"message":"x","type":"OAuthException","code":102}}`, nil}, domain.CodeUnauthenticated, 0, false, "", 102},
		{"AppRateLimitFull", answer{403, `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true}}`,
			map[string]string{"X-App-Usage": `{"call_count":100,"total_time":40,"total_cputime":20}`}}, domain.CodeRateLimited, DefaultRateLimitWait, false, "limiting", 4},
		{"UserRateLimit", answer{400, `{"error":{"message":"(#17) User request limit reached","type":"OAuthException","code":17,"is_transient":true}}`, nil}, domain.CodeRateLimited, DefaultRateLimitWait, false, "", 17},
		{"PageRateLimitWithEstimate", answer{400, `{"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32}}`,
			map[string]string{"X-Page-Usage": `{"call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":7}`}}, domain.CodeRateLimited, 7 * time.Minute, false, "", 32},
		{"CustomRateLimit", answer{400, `{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613}}`, nil}, domain.CodeRateLimited, DefaultRateLimitWait, false, "", 613},
		{"PagesBUCRateLimit", answer{400, `{"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001}}`,
			map[string]string{"X-Business-Use-Case-Usage": `{"1234":[{"type":"pages","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19}],"5678":[{"type":"pages","call_count":10,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}`}},
			domain.CodeRateLimited, 19 * time.Minute, false, "", 80001},
		{"InstagramBUCRateLimit", answer{400, `{"error":{"message":"too many calls","type":"OAuthException","code":80002}}`, nil}, domain.CodeRateLimited, DefaultRateLimitWait, false, "", 80002},
		{"LastBUCRateLimit", answer{400, `{"error":{"message":"too many calls","type":"OAuthException","code":80014}}`, nil}, domain.CodeRateLimited, DefaultRateLimitWait, false, "", 80014},
		{"ApplicationLimitReached", answer{400, `{"error":{"message":"(#341) Application limit reached","code":341}}`, nil}, domain.CodeRateLimited, DefaultRateLimitWait, false, "", 341},
		{"HTTP429WithoutBody", answer{429, ``, map[string]string{"Retry-After": "120"}}, domain.CodeRateLimited, 2 * time.Minute, false, "", 0},
		{"PolicyBlock", answer{400, `{"error":{"message":"(#368) The action attempted has been deemed abusive or is otherwise disallowed","code":368}}`, nil}, domain.CodeRateLimited, PolicyBlockWait, false, "policy", 368},
		{"Duplicate", answer{400, `{"error":{"message":"(#506) Duplicate status message","type":"OAuthException","code":506}}`, nil}, domain.CodeConflict, 0, false, "same post", 506},
		{"PermissionDenied", answer{403, `{"error":{"message":"(#10) Permission denied","code":10}}`, nil}, domain.CodeForbidden, 0, false, "permission", 10},
		{"Permission200", answer{403, `{"error":{"message":"(#200) The user hasn't authorized the application to perform this action","type":"OAuthException","code":200}}`, nil}, domain.CodeForbidden, 0, false, "", 200},
		{"Permission299", answer{403, `{"error":{"message":"(#299) x","code":299}}`, nil}, domain.CodeForbidden, 0, false, "", 299},
		{"Unknown", answer{500, `{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true}}`, nil}, domain.CodeUnavailable, 0, true, "trouble", 1},
		{"Service", answer{503, `{"error":{"message":"Service temporarily unavailable","code":2,"is_transient":true}}`, nil}, domain.CodeUnavailable, 0, true, "", 2},
		{"TransientOtherCode", answer{400, `{"error":{"message":"Please retry","code":9007,"is_transient":true}}`, nil}, domain.CodeUnavailable, 0, true, "", 9007},
		{"ServerErrorWithoutBody", answer{502, `<html>Bad gateway</html>`, nil}, domain.CodeUnavailable, 0, true, "", 0},
		{"NoSuchObject", answer{400, `{"error":{"message":"Unsupported get request. Object with ID '1_2' does not exist","type":"GraphMethodException","code":100,"error_subcode":33}}`, nil}, domain.CodeNotFound, 0, false, "", 100},
		{"InvalidParameter", answer{400, `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}}`, nil}, domain.CodeInvalid, 0, false, "invalid", 100},
		{"UserMessageShown", answer{400, `{"error":{"message":"(#100) x","code":100,"error_user_title":"Video too long","error_user_msg":"The video is longer than allowed."}}`, nil}, domain.CodeInvalid, 0, false, "The video is longer than allowed.", 100},
		{"LinkError", answer{400, `{"error":{"message":"Error posting link","code":1609005}}`, nil}, domain.CodeInvalid, 0, false, "link", 1609005},
		{"ErrorIn200", answer{200, `{"error":{"message":"(#100) x","code":100}}`, nil}, domain.CodeInvalid, 0, false, "", 100},
		{"Unauthorized401WithoutBody", answer{401, ``, nil}, domain.CodeUnauthenticated, 0, false, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
				for k, v := range tc.answer.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			})
			c := f.client(t, func(cfg *Config) { cfg.Now = func() time.Time { return now } })
			err := c.Post(ctx(t), "1/feed", testToken, url.Values{"message": {"m"}}, nil)
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *domain.Error", err)
			}
			if de.Code != tc.code {
				t.Errorf("code = %s, want %s (%v)", de.Code, tc.code, err)
			}
			if tc.code == domain.CodeRateLimited && de.RetryAfter != tc.wait {
				t.Errorf("RetryAfter = %s, want %s", de.RetryAfter, tc.wait)
			}
			if got := MayHaveCreated(err); got != tc.maybe {
				t.Errorf("MayHaveCreated = %v, want %v", got, tc.maybe)
			}
			if tc.inMsg != "" && !strings.Contains(de.Message, tc.inMsg) {
				t.Errorf("message %q does not say %q", de.Message, tc.inMsg)
			}
			if !strings.Contains(de.Message, "Facebook") {
				t.Errorf("message %q does not name the platform", de.Message)
			}
			if code, _ := CodeOf(err); code != tc.graphErr {
				t.Errorf("CodeOf = %d, want %d", code, tc.graphErr)
			}
			for _, s := range []string{testToken, testSecret, AppSecretProof(testSecret, testToken)} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error carries a secret: %v", err)
				}
			}
		})
	}
}

func TestClient_KeepsSecretsOutOfErrors(t *testing.T) {
	t.Parallel()
	t.Run("EchoedInGraphsMessage", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
			graphError(w, 400, 100, 0, "Invalid parameter access_token="+p.Get("access_token")+" proof="+p.Get("appsecret_proof")+" secret="+testSecret)
		})
		err := f.client(t, nil).Get(ctx(t), "me", testToken, nil, nil)
		for _, s := range []string{testToken, testSecret, AppSecretProof(testSecret, testToken)} {
			if strings.Contains(err.Error(), s) || strings.Contains(domain.MessageOf(err), s) {
				t.Errorf("the error carries %q: %v", s, err)
			}
		}
	})
	t.Run("ConnectionBrokenAfterTheRequest", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
		})
		err := f.client(t, nil).Get(ctx(t), "me", testToken, url.Values{"fields": {"id"}}, nil)
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "access_token") {
			t.Errorf("the error carries the URL with its token: %v", err)
		}
		if !errors.Is(err, ErrNoAnswer) || !MayHaveCreated(err) {
			t.Errorf("a broken connection after sending: %v, want ErrNoAnswer and MayHaveCreated", err)
		}
		if domain.CodeOf(err) != domain.CodeUnavailable {
			t.Errorf("code = %s, want unavailable", domain.CodeOf(err))
		}
	})
	t.Run("TokenEndpointSecretInAnAbsoluteURL", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
			graphError(w, 400, 100, 36009, "This authorization code has been used. client_secret="+p.Get("client_secret"))
		})
		c := f.client(t, nil)
		err := c.Call(ctx(t), http.MethodGet, f.srv.URL+"/v26.0/oauth/access_token", url.Values{"client_id": {"1"}, "client_secret": {testSecret}}, nil)
		if err == nil || strings.Contains(err.Error(), testSecret) {
			t.Errorf("Call: %v (must fail without the secret)", err)
		}
	})
}

func TestClient_RequestsNeverSentSayNotSent(t *testing.T) {
	t.Parallel()
	t.Run("CancelledContext", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) { writeJSON(w, map[string]string{"id": "1"}) })
		c, cancel := context.WithCancel(context.Background())
		cancel()
		err := f.client(t, nil).Post(c, "1/feed", testToken, url.Values{"message": {"m"}}, nil)
		if !errors.Is(err, ErrNotSent) || !errors.Is(err, context.Canceled) || MayHaveCreated(err) {
			t.Errorf("cancelled before sending: %v, want ErrNotSent wrapping context.Canceled", err)
		}
		if len(f.calls) != 0 {
			t.Errorf("the fake got %v", f.calls)
		}
	})
	t.Run("NothingListening", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		c := New(Config{BaseURL: "http://" + addr, AppSecret: testSecret})
		err = c.Post(ctx(t), "1/feed", testToken, url.Values{"message": {"m"}}, nil)
		if !errors.Is(err, ErrNotSent) || MayHaveCreated(err) || domain.CodeOf(err) != domain.CodeUnavailable {
			t.Errorf("connection refused: %v, want unavailable, ErrNotSent", err)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("the error carries the token: %v", err)
		}
	})
}

func TestClient_CapsTheAnswer(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+strings.Repeat("x", 2000)+`"}`)
	})
	c := f.client(t, func(cfg *Config) { cfg.MaxBody = 1000 })
	var out struct{ ID string }
	err := c.Post(ctx(t), "1/feed", testToken, nil, &out)
	if !errors.Is(err, ErrNoAnswer) || !MayHaveCreated(err) || out.ID != "" {
		t.Errorf("an answer over the cap: %v (id %d bytes), want ErrNoAnswer and nothing decoded", err, len(out.ID))
	}
	// Under the cap it is read.
	c = f.client(t, func(cfg *Config) { cfg.MaxBody = 4000 })
	if err := c.Post(ctx(t), "1/feed", testToken, nil, &out); err != nil || len(out.ID) != 2000 {
		t.Errorf("an answer under the cap: %v, id %d bytes", err, len(out.ID))
	}
}

func TestClient_UnreadableSuccessIsNoAnswer(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": `)
	})
	err := f.client(t, nil).Post(ctx(t), "1/feed", testToken, nil, &struct{ ID string }{})
	if !errors.Is(err, ErrNoAnswer) || !MayHaveCreated(err) {
		t.Errorf("an unreadable 200: %v, want ErrNoAnswer", err)
	}
}

func TestEach_FollowsCursorsAndStops(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		n := 0
		_, _ = fmt.Sscan(p.Get("after"), &n)
		items := []map[string]int{{"n": n*2 + 1}, {"n": n*2 + 2}}
		ans := map[string]any{"data": items, "paging": map[string]any{"cursors": map[string]string{"after": fmt.Sprint(n + 1)}}}
		if n < 3 {
			ans["paging"].(map[string]any)["next"] = "http://" + r.Host + r.URL.Path + "?limit=2&after=" + fmt.Sprint(n+1) + "&access_token=" + p.Get("access_token")
		}
		writeJSON(w, ans)
	})
	c := f.client(t, nil)
	type item struct{ N int }
	var got []int
	if err := Each(ctx(t), c, "1/posts", testToken, url.Values{"limit": {"2"}}, 10, func(i item) bool { got = append(got, i.N); return true }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7 8]" {
		t.Errorf("all pages: %v", got)
	}
	got = nil
	if err := Each(ctx(t), c, "1/posts", testToken, nil, 2, func(i item) bool { got = append(got, i.N); return true }); err != nil || fmt.Sprint(got) != "[1 2 3 4]" {
		t.Errorf("two pages at most: %v %v", got, err)
	}
	got = nil
	calls := len(f.calls)
	if err := Each(ctx(t), c, "1/posts", testToken, nil, 10, func(i item) bool { got = append(got, i.N); return i.N < 3 }); err != nil || fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("stopped at 3: %v %v", got, err)
	}
	if len(f.calls)-calls != 2 {
		t.Errorf("stopping early made %d calls, want 2", len(f.calls)-calls)
	}
}

func TestEach_DoesNotFollowNextToAnotherHost(t *testing.T) {
	t.Parallel()
	var elsewhere sync.Mutex
	hit := false
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Lock()
		hit = true
		elsewhere.Unlock()
	}))
	t.Cleanup(other.Close)
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		writeJSON(w, map[string]any{"data": []map[string]int{{"n": 1}}, "paging": map[string]string{"next": other.URL + "/v26.0/1/posts?after=x"}})
	})
	err := Each(ctx(t), f.client(t, nil), "1/posts", testToken, nil, 5, func(struct{ N int }) bool { return true })
	if domain.CodeOf(err) != domain.CodeUnavailable {
		t.Errorf("next on another host: %v, want unavailable", err)
	}
	elsewhere.Lock()
	defer elsewhere.Unlock()
	if hit {
		t.Error("the token was sent to another host")
	}
}

func TestUpload_StreamsTheFileWithItsFields(t *testing.T) {
	t.Parallel()
	data := make([]byte, 3<<20)
	_, _ = rand.Read(data)
	var got []byte
	var fields url.Values
	var chunked bool
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		fields = p
		chunked = r.ContentLength == -1
		file, hdr, err := r.FormFile("source")
		if err != nil {
			graphError(w, 400, 100, 0, "no source")
			return
		}
		defer file.Close()
		got, _ = io.ReadAll(file)
		if hdr.Filename != "clip.mp4" || hdr.Header.Get("Content-Type") != "video/mp4" {
			graphError(w, 400, 100, 0, "bad part header")
			return
		}
		writeJSON(w, map[string]string{"id": "v1"})
	})
	var out struct{ ID string }
	err := f.client(t, nil).Upload(ctx(t), "1/videos", testToken, url.Values{"description": {"A clip"}},
		File{Field: "source", Name: "clip.mp4", ContentType: "video/mp4", Body: bytes.NewReader(data)}, &out)
	if err != nil || out.ID != "v1" {
		t.Fatalf("Upload: %v %+v", err, out)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the fake got %d bytes, want the %d sent", len(got), len(data))
	}
	if fields.Get("description") != "A clip" {
		t.Errorf("fields = %v", fields)
	}
	if !chunked {
		t.Error("the body had a length: it was buffered, not streamed")
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		n := min(len(p), r.n)
		r.n -= n
		return n, nil
	}
	return 0, errors.New("disk gone")
}

func TestUpload_AFileThatCannotBeReadFailsTheCall(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		if _, _, err := r.FormFile("source"); err != nil {
			graphError(w, 400, 100, 0, "bad multipart body")
			return
		}
		writeJSON(w, map[string]string{"id": "v1"})
	})
	err := f.client(t, nil).Upload(ctx(t), "1/videos", testToken, nil, File{Field: "source", Name: "a.mp4", Body: &failingReader{n: 1 << 16}}, nil)
	if err == nil {
		t.Fatal("an unreadable file uploaded without error")
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"Nothing", nil, 5 * time.Minute},
		{"BusinessEstimate", map[string]string{"X-Business-Use-Case-Usage": `{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":12}]}`}, 12 * time.Minute},
		{"LongestEstimateWins", map[string]string{
			"X-Business-Use-Case-Usage": `{"1":[{"type":"pages","estimated_time_to_regain_access":2}]}`,
			"X-Page-Usage":              `{"call_count":100,"estimated_time_to_regain_access":30}`}, 30 * time.Minute},
		{"HighUsageWithoutEstimate", map[string]string{"X-App-Usage": `{"call_count":100,"total_cputime":3,"total_time":4}`}, 5 * time.Minute},
		{"RetryAfterSeconds", map[string]string{"Retry-After": "90"}, 90 * time.Second},
		{"RetryAfterDate", map[string]string{"Retry-After": now.Add(3 * time.Minute).Format(http.TimeFormat)}, 3 * time.Minute},
		{"UnreadableHeaders", map[string]string{"X-App-Usage": `{call_count:1`, "X-Business-Use-Case-Usage": `[]`}, 5 * time.Minute},
	} {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		if got := Wait(h, now, 5*time.Minute); got != tc.want {
			t.Errorf("%s: Wait = %s, want %s", tc.name, got, tc.want)
		}
	}
	u := ParseUsage(http.Header{"X-App-Usage": {`{"call_count":28,"total_time":95,"total_cputime":25}`}})
	if u.App == nil || u.Max() != 95 {
		t.Errorf("ParseUsage(X-App-Usage) = %+v, max %v; want 95", u.App, u.Max())
	}
}

func TestMayHaveCreated(t *testing.T) {
	t.Parallel()
	if MayHaveCreated(nil) || MayHaveCreated(errors.New("x")) || MayHaveCreated(context.Canceled) {
		t.Error("errors not from the client's round trip are not maybe-created")
	}
	c := New(Config{})
	if !MayHaveCreated(c.Classify(&Error{Status: 500, Code: 2}, nil, "")) {
		t.Error("a 5xx Graph error may have created")
	}
	if MayHaveCreated(c.Classify(&Error{Status: 400, Code: 190}, nil, "")) {
		t.Error("a refused token did not create")
	}
}

func TestEach_AnErrorOnALaterPageIsReturned(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		if p.Get("after") != "" {
			graphError(w, 400, 190, 463, "Error validating access token: Session has expired")
			return
		}
		writeJSON(w, map[string]any{"data": []map[string]int{{"n": 1}}, "paging": map[string]string{"next": "http://" + r.Host + r.URL.Path + "?after=1"}})
	})
	var got []int
	err := Each(ctx(t), f.client(t, nil), "me/accounts", testToken, nil, 5, func(i struct{ N int }) bool { got = append(got, i.N); return true })
	if domain.CodeOf(err) != domain.CodeUnauthenticated || fmt.Sprint(got) != "[1]" {
		t.Errorf("Each = %v after %v, want unauthenticated after [1]", err, got)
	}
}

func TestCall_SendsTheAppsCredentialsWithoutAToken(t *testing.T) {
	t.Parallel()
	var seen url.Values
	var method string
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, p url.Values) {
		seen, method = p, r.Method
		writeJSON(w, map[string]string{"access_token": "long-token", "token_type": "bearer"})
	})
	var out struct {
		AccessToken string `json:"access_token"`
	}
	c := f.client(t, nil)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		err := c.Call(ctx(t), m, "oauth/access_token", url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {"1"}, "client_secret": {testSecret}, "fb_exchange_token": {"short"}}, &out)
		if err != nil || out.AccessToken != "long-token" || method != m {
			t.Fatalf("Call %s: %v %+v (method %s)", m, err, out, method)
		}
		if seen.Get("client_secret") != testSecret || seen.Has("appsecret_proof") || seen.Has("access_token") {
			t.Errorf("Call %s sent %v, want the app's credentials and no token or proof", m, seen)
		}
	}
}
