package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter is LinkedIn behind Herald's Platform port.
type Adapter struct {
	cfg   Config
	http  *http.Client
	media *http.Client
	now   func() time.Time
}

var _ ports.Platform = (*Adapter)(nil)

// New returns the adapter for cfg. Empty URLs and version take the production defaults,
// nil Scopes DefaultScopes, a nil HTTPClient a client with a 30 s timeout, a nil
// MediaClient a public-addresses-only client, a nil Now time.Now.
func New(cfg Config) *Adapter {
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Scopes == nil {
		cfg.Scopes = DefaultScopes
	}
	if cfg.MaxMediaBytes <= 0 {
		cfg.MaxMediaBytes = 200 << 20
	}
	if cfg.VideoPollInterval <= 0 {
		cfg.VideoPollInterval = 3 * time.Second
	}
	if cfg.VideoWait <= 0 {
		cfg.VideoWait = 5 * time.Minute
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	media := cfg.MediaClient
	if media == nil {
		media = newMediaClient()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Adapter{cfg: cfg, http: client, media: media, now: now}
}

// Platform names the network.
func (a *Adapter) Platform() domain.Platform { return domain.LinkedIn }

// apiError is LinkedIn's error body.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
type apiError struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
}

// call is one request to the REST API.
type call struct {
	method  string
	path    string // under APIURL, with its query already encoded (Rest.li 2.0 syntax)
	token   string
	body    any // JSON-encoded when not nil
	what    string
	restli  bool // send LinkedIn-Version and X-Restli-Protocol-Version (every /rest/ resource)
	sending bool // the request may create the post: a network error stays unclassified
}

// do sends c and decodes a 2xx JSON answer into out (when not nil). It returns the
// response headers for the caller (x-restli-id).
func (a *Adapter) do(ctx context.Context, c call, out any) (http.Header, error) {
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, fmt.Errorf("linkedin: encode %s: %w", c.what, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, a.cfg.APIURL+c.path, body)
	if err != nil {
		return nil, fmt.Errorf("linkedin: %s: %w", c.what, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.restli {
		// Every versioned API call carries both headers.
		// https://learn.microsoft.com/en-us/linkedin/marketing/versioning
		// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/protocol-version
		req.Header.Set("LinkedIn-Version", a.cfg.Version)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		if c.sending {
			// The post may have been created: Herald reconciles with Lookup.
			return nil, fmt.Errorf("linkedin: %s: %w", c.what, err)
		}
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; Herald will try again.", Err: fmt.Errorf("linkedin: %s: %w", c.what, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if c.sending {
			return nil, fmt.Errorf("linkedin: %s: read answer: %w", c.what, err)
		}
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; Herald will try again.", Err: fmt.Errorf("linkedin: %s: read answer: %w", c.what, err)}
	}
	if resp.StatusCode >= 500 && c.sending {
		// A server error may come after LinkedIn created the post: unclassified, so Herald
		// looks for it before sending it again.
		return nil, fmt.Errorf("linkedin: %s: HTTP %d, the post may or may not exist", c.what, resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, a.classify(resp, raw, c.what)
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("linkedin: %s: decode answer: %w", c.what, err)
		}
	}
	return resp.Header, nil
}

// classify turns a LinkedIn error response into a domain error. Messages never carry the
// body; the cause (for the log) keeps LinkedIn's status, codes and message.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
func (a *Adapter) classify(resp *http.Response, raw []byte, what string) error {
	var e apiError
	_ = json.Unmarshal(raw, &e) // a non-JSON body (a proxy's page) still classifies by status
	cause := fmt.Errorf("linkedin: %s: HTTP %d, code %q, serviceErrorCode %d: %s", what, resp.StatusCode, e.Code, e.ServiceErrorCode, e.Message)
	status := resp.StatusCode
	switch {
	case status == http.StatusUnauthorized:
		return &domain.Error{Code: domain.CodeUnauthenticated, Message: "LinkedIn: the connection has expired or was revoked; please reconnect the account.", Err: cause}
	case status == http.StatusForbidden:
		return &domain.Error{Code: domain.CodeForbidden, Message: fmt.Sprintf("LinkedIn: Herald is not allowed to %s for this account; check the app's permissions and the member's page role.", what), Err: cause}
	case status == http.StatusTooManyRequests:
		return &domain.Error{Code: domain.CodeRateLimited, Message: "LinkedIn: the daily API limit for this account or app was reached; Herald will try again later.", RetryAfter: a.retryAfter(resp.Header), Err: cause}
	case status == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "duplicate"):
		// "Content is a duplicate of urn:li:share:..." (Posts API, 422).
		return &domain.Error{Code: domain.CodeConflict, Message: "LinkedIn: this post duplicates one already published on the account.", Err: cause}
	case status == http.StatusUpgradeRequired || e.Code == "VERSION_MISSING" || e.Code == "NONEXISTENT_VERSION":
		// An inactive or missing LinkedIn-Version: an operator must configure a current one.
		// https://learn.microsoft.com/en-us/linkedin/marketing/versioning
		return &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn: the API version Herald is configured with is not accepted; an operator must update HERALD_LINKEDIN_VERSION.", Err: cause}
	case status >= 500:
		return &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn is having trouble right now; Herald will try again.", Err: cause}
	case status == http.StatusNotFound:
		return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("LinkedIn: could not %s: LinkedIn does not know it.", what), Err: cause}
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("LinkedIn refused to %s.", what), Err: cause}
}

// retryAfter reads Retry-After when LinkedIn sends one; otherwise it waits for the daily
// limits to reset at midnight UTC, which is the only reset LinkedIn documents (no rate
// limit headers are documented).
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	now := a.now()
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	utc := now.UTC()
	midnight := time.Date(utc.Year(), utc.Month(), utc.Day()+1, 0, 0, 0, 0, time.UTC)
	return midnight.Sub(utc)
}

// isCode reports whether err is a domain error with code.
func isCode(err error, code domain.Code) bool {
	var e *domain.Error
	return errors.As(err, &e) && e.Code == code
}
