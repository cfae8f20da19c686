package graph

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Meta's token endpoint answers failures with a Graph error object; TokenTransport turns its
// throttling into 429 with Retry-After and its transient errors into 503, and leaves the rest.
func TestTokenTransport_TranslatesThrottlingAndTransientErrors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		header     map[string]string
		wantStatus int
		wantRetry  string
	}{
		{"AppThrottledWithEstimate", 400, `{"error":{"message":"(#4) Application request limit reached","code":4}}`,
			map[string]string{"X-Business-Use-Case-Usage": `{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":4}]}`}, 429, "240"},
		{"ThrottledWithoutEstimate", 400, `{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","code":613}}`, nil, 429, "900"},
		{"Transient", 400, `{"error":{"message":"Please retry","code":1,"is_transient":true}}`, nil, 503, ""},
		{"CodeUsedStaysARefusal", 400, `{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"error_subcode":36009}}`, nil, 400, ""},
		{"NotGraphsErrorIsLeftAlone", 400, `{"error":"invalid_grant"}`, nil, 400, ""},
		{"ServerErrorIsLeftAlone", 500, `{"error":{"message":"x","code":2}}`, nil, 500, ""},
		{"SuccessIsLeftAlone", 200, `{"access_token":"t","token_type":"bearer","expires_in":3600}`, nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			c := TokenClient(srv.Client(), func() time.Time { return now })
			resp, err := c.Post(srv.URL+"/v26.0/oauth/access_token", "application/x-www-form-urlencoded", strings.NewReader("code=c"))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("Retry-After") != tc.wantRetry {
				t.Errorf("status %d, Retry-After %q; want %d, %q", resp.StatusCode, resp.Header.Get("Retry-After"), tc.wantStatus, tc.wantRetry)
			}
			if string(body) != tc.body {
				t.Errorf("body = %q, want the answer's own %q", body, tc.body)
			}
		})
	}
}
