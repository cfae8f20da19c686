package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/adapters/platforms/platformauth"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter is LinkedIn behind Herald's Platform port.
type Adapter struct {
	cfg   Config
	oauth *platformauth.Client
	http  *http.Client
	media *http.Client
	now   func() time.Time
}

var _ ports.Platform = (*Adapter)(nil)

// New returns the adapter for cfg. Empty URLs and version take the production defaults, a
// nil HTTPClient a client with a 30 s timeout, a nil MediaClient adapters/outbound's guarded
// client (honouring MediaAllowPrivate), a nil Now time.Now.
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
		// The download of one file (up to MaxMediaBytes) is bounded by this timeout and the
		// caller's context.
		media = outbound.Client(outbound.Options{AllowPrivate: cfg.MediaAllowPrivate, Timeout: 5 * time.Minute})
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Adapter{cfg: cfg, oauth: newOAuth(cfg, client), http: client, media: media, now: now}
}

// Platform names the network.
func (a *Adapter) Platform() domain.Platform { return domain.LinkedIn }

// apiError is LinkedIn's error body; validation failures (422) add errorDetails with one
// code per input, such as DUPLICATE_POST.
// https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling
type apiError struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
	ErrorDetails     struct {
		InputErrors []struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"inputErrors"`
	} `json:"errorDetails"`
}

// hasInputError reports whether LinkedIn named code among the input errors.
func (e apiError) hasInputError(code string) bool {
	for _, ie := range e.ErrorDetails.InputErrors {
		if ie.Code == code {
			return true
		}
	}
	return false
}

// call is one request to the REST API.
type call struct {
	method string
	path   string // under APIURL, with its query already encoded (Rest.li 2.0 syntax)
	token  string
	body   any // JSON-encoded when not nil
	what   string
	restli bool // send LinkedIn-Version and X-Restli-Protocol-Version (every /rest/ resource)
}

// answer is a response LinkedIn gave, read whole (up to 1 MiB).
type answer struct {
	resp *http.Response
	raw  []byte
}

// send sends c and reads the answer. sent tells whether any of the request was written
// before an error (then LinkedIn may have acted on it); an error is never a LinkedIn answer.
func (a *Adapter) send(ctx context.Context, c call) (ans answer, sent bool, err error) {
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return answer{}, false, fmt.Errorf("linkedin: encode %s: %w", c.what, err)
		}
		body = bytes.NewReader(b)
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, c.method, a.cfg.APIURL+c.path, body)
	if err != nil {
		return answer{}, false, fmt.Errorf("linkedin: %s: %w", c.what, err)
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
		return answer{}, wrote.Load(), fmt.Errorf("linkedin: %s: %w", c.what, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, true, fmt.Errorf("linkedin: %s: HTTP %d, read answer: %w", c.what, resp.StatusCode, err)
	}
	return answer{resp: resp, raw: raw}, true, nil
}

// do sends c and decodes a 2xx JSON answer into out (when not nil). It returns the
// response headers for the caller. A failure to reach LinkedIn is CodeUnavailable (a
// cancelled context stays itself); LinkedIn's refusals are classified by classify. It is
// for every call but the one that creates the post (see create).
func (a *Adapter) do(ctx context.Context, c call, out any) (http.Header, error) {
	ans, _, err := a.send(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; Herald will try again.", Err: err}
	}
	if ans.resp.StatusCode < 200 || ans.resp.StatusCode > 299 {
		return nil, a.classify(ans.resp, ans.raw, c.what)
	}
	if out != nil && len(bytes.TrimSpace(ans.raw)) > 0 {
		if err := json.Unmarshal(ans.raw, out); err != nil {
			return nil, fmt.Errorf("linkedin: %s: decode answer: %w", c.what, err)
		}
	}
	return ans.resp.Header, nil
}

// create sends the call that creates the post, and returns its answer's headers. Every
// error after any of the request may have reached LinkedIn wraps domain.ErrMaybePublished:
// a broken connection, an unreadable answer, a server error (LinkedIn does not document
// that a 5xx means nothing was created), or a success without the post's id. Herald then
// looks the post up before it ever sends it again. A refusal LinkedIn answered (4xx) and a
// request never sent are not.
func (a *Adapter) create(ctx context.Context, c call) (http.Header, error) {
	const unclear = "LinkedIn did not say whether the post was published; Herald will check before trying again."
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ans, sent, err := a.send(ctx, c)
	switch {
	case err != nil && sent:
		return nil, domain.MaybePublished(unclear, err)
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil:
		return nil, &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached; Herald will try again.", Err: err}
	case ans.resp.StatusCode >= 500:
		return nil, domain.MaybePublished(unclear, a.classify(ans.resp, ans.raw, c.what))
	case ans.resp.StatusCode < 200 || ans.resp.StatusCode > 299:
		return nil, a.classify(ans.resp, ans.raw, c.what)
	}
	return ans.resp.Header, nil
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
	case status == http.StatusUnprocessableEntity && (e.hasInputError("DUPLICATE_POST") || strings.Contains(strings.ToLower(e.Message), "duplicate")):
		// 422 with errorDetails.inputErrors[].code DUPLICATE_POST and the message "Content
		// is a duplicate of urn:li:share:...": the same text was posted on the account.
		// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
		// (the answer's shape as LinkedIn sends it: https://github.com/Arisamiga/Linkedin-RSS/issues/5)
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

// granted reports whether the account's token carries scope: the scopes LinkedIn answered
// at the exchange when Herald has them, otherwise the scopes the consent page asks for
// (LinkedIn refuses consent for a scope the app was not granted, so an account connected
// with them has them).
// https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
func (a *Adapter) granted(c domain.Credentials, scope string) bool {
	if len(c.Scopes) > 0 {
		return slices.Contains(c.Scopes, scope)
	}
	return slices.Contains(a.cfg.scopes(), scope)
}
