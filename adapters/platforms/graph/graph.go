// Package graph is Herald's one client for Meta's Graph API, shared by the Facebook and
// Instagram adapters: the versioned base URL, appsecret_proof on every call that carries an
// access token, one table from Graph error codes to Herald's codes, the usage headers that
// say how long to wait, cursor paging, one cap on answer size, and form, JSON and streamed
// multipart requests. Errors never carry an access token, the app secret or a proof.
//
// Documentation it follows:
//   - Requests and versions: https://developers.facebook.com/docs/graph-api/overview
//   - appsecret_proof: https://developers.facebook.com/docs/graph-api/securing-requests/
//   - Errors: https://developers.facebook.com/docs/graph-api/guides/error-handling
//   - Rate limits and usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
//   - Paging: https://developers.facebook.com/docs/graph-api/results
//
// It imports only the domain and the standard library (and x/oauth2 for token-endpoint
// errors); adapters import it, never the other way round.
package graph

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// DefaultVersion is the Graph API version Herald calls unless HERALD_FACEBOOK_API_VERSION
// says otherwise: the newest in the changelog
// (https://developers.facebook.com/docs/graph-api/changelog, v26.0 introduced July 29, 2026).
const DefaultVersion = "v26.0"

// DefaultBaseURL is the Graph API host, without the version.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultMaxBody is how much of an answer is read; a longer answer is an error, never a
// silently cut JSON document.
const DefaultMaxBody = 4 << 20

var versionPattern = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)$`)

// ParseVersion reads HERALD_FACEBOOK_API_VERSION through getenv, the one Graph API version
// both the Facebook and the Instagram adapters call: DefaultVersion when unset, an error
// naming the variable when it is not of the form "v26.0".
func ParseVersion(getenv func(string) string) (string, error) {
	v := strings.TrimSpace(getenv("HERALD_FACEBOOK_API_VERSION"))
	if v == "" {
		return DefaultVersion, nil
	}
	if !versionPattern.MatchString(v) {
		return "", fmt.Errorf("HERALD_FACEBOOK_API_VERSION: %q is not a Graph API version such as %s", v, DefaultVersion)
	}
	return v, nil
}

// ValidVersion reports whether v has the form of a Graph API version path element ("v26.0").
func ValidVersion(v string) bool { return versionPattern.MatchString(v) }

// Config sets up a Client. Zero fields take the defaults New documents.
type Config struct {
	// Platform names the network in messages for people (domain.Facebook, domain.Instagram).
	Platform domain.Platform
	// BaseURL is the host without the version (default DefaultBaseURL); Instagram Login
	// uses https://graph.instagram.com.
	BaseURL string
	// Version is the path element put before every path (default DefaultVersion).
	Version string
	// AppSecret keys appsecret_proof. Empty sends no proof (only for tests of apps that do
	// not require it).
	AppSecret string
	// HTTPClient makes the requests; nil means one with a 60 s timeout.
	HTTPClient *http.Client
	// MaxBody caps what is read of an answer (default DefaultMaxBody).
	MaxBody int64
	// Now is the clock (for Retry-After dates); nil means time.Now.
	Now func() time.Time
}

// Client calls the Graph API. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client for cfg; zero fields take DefaultBaseURL, DefaultVersion,
// DefaultMaxBody, an HTTP client with a 60 s timeout and time.Now.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Platform == "" {
		cfg.Platform = domain.Facebook
	}
	return &Client{cfg: cfg}
}

// Version returns the Graph API version the client calls.
func (c *Client) Version() string { return c.cfg.Version }

// URL returns the address of path: {BaseURL}/{Version}/{path}. An absolute http(s) URL is
// returned unchanged.
func (c *Client) URL(path string) string {
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path
	}
	return c.cfg.BaseURL + "/" + c.cfg.Version + "/" + strings.TrimLeft(path, "/")
}

// AppSecretProof returns the HMAC-SHA256 of token keyed by the app secret, hex-encoded: the
// appsecret_proof parameter
// (https://developers.facebook.com/docs/graph-api/securing-requests/).
func AppSecretProof(appSecret, token string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// ErrNoAnswer is wrapped by every error after which the request may have reached Meta but
// no usable answer came back: the connection broke after sending, the context ended while
// waiting, the answer could not be read or was larger than the cap. A call that creates
// something may have done so (see MayHaveCreated).
var ErrNoAnswer = errors.New("graph: no usable answer")

// ErrNotSent is wrapped by errors that happened before the request left (a context already
// done, a request that could not be built, a connection that could not be opened).
var ErrNotSent = errors.New("graph: request not sent")

// Get calls GET path with params and token in the query, and decodes the JSON answer into
// out (nil: ignore it). Errors are *domain.Error (see Classify); see ErrNoAnswer and
// ErrNotSent for transport failures.
func (c *Client) Get(ctx context.Context, path, token string, params url.Values, out any) error {
	q := c.withToken(params, token)
	return c.send(ctx, http.MethodGet, c.URL(path), q, nil, "", token, out)
}

// Post calls POST path with params and token form-encoded in the body (so the token is in
// no URL), and decodes the JSON answer into out.
func (c *Client) Post(ctx context.Context, path, token string, params url.Values, out any) error {
	form := c.withToken(params, token)
	return c.send(ctx, http.MethodPost, c.URL(path), nil, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", token, out)
}

// PostJSON calls POST path with body encoded as JSON, token and proof in the query (the
// Graph API reads parameters from either), and decodes the JSON answer into out.
func (c *Client) PostJSON(ctx context.Context, path, token string, body any, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("graph: encode body: %w: %w", ErrNotSent, err)
	}
	q := c.withToken(nil, token)
	return c.send(ctx, http.MethodPost, c.URL(path), q, bytes.NewReader(raw), "application/json", token, out)
}

// Delete calls DELETE path with token in the query and decodes the answer into out.
func (c *Client) Delete(ctx context.Context, path, token string, params url.Values, out any) error {
	q := c.withToken(params, token)
	return c.send(ctx, http.MethodDelete, c.URL(path), q, nil, "", token, out)
}

// File is one file of a multipart upload, read from Body as the request is sent.
type File struct {
	Field       string // the form field, such as "source"
	Name        string // the file name sent
	ContentType string // default application/octet-stream
	Body        io.Reader
}

// Upload calls POST path as multipart/form-data: params, the token and its proof as fields,
// then f, streamed from f.Body without holding it in memory
// (https://developers.facebook.com/docs/graph-api/overview, "multipart/form-data"; non-resumable
// video uploads https://developers.facebook.com/docs/video-api/guides/publishing).
func (c *Client) Upload(ctx context.Context, path, token string, params url.Values, f File, out any) error {
	fields := c.withToken(params, token)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeMultipart(mw, fields, f))
	}()
	// Whatever happens to the request, the writer stops: its next write fails.
	defer pr.Close()
	return c.send(ctx, http.MethodPost, c.URL(path), nil, pr, mw.FormDataContentType(), token, out)
}

func writeMultipart(mw *multipart.Writer, fields url.Values, f File) error {
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				return err
			}
		}
	}
	if f.Body != nil {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename=%q`, f.Field, f.Name)}
		h["Content-Type"] = []string{ct}
		part, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := io.Copy(part, f.Body); err != nil {
			return fmt.Errorf("read the file: %w", err)
		}
	}
	return mw.Close()
}

// Call sends method to endpoint (a path, or an absolute URL such as the token endpoint)
// with params in the query for GET and in a form body otherwise, without an access token:
// for calls that authenticate with the app's id and secret in params. Secrets in params
// never reach an error.
func (c *Client) Call(ctx context.Context, method, endpoint string, params url.Values, out any) error {
	secret := params.Get("client_secret")
	if method == http.MethodGet {
		return c.send(ctx, method, c.URL(endpoint), params, nil, "", secret, out)
	}
	return c.send(ctx, method, c.URL(endpoint), nil, strings.NewReader(params.Encode()), "application/x-www-form-urlencoded", secret, out)
}

// withToken returns a copy of params with the access token and its proof.
func (c *Client) withToken(params url.Values, token string) url.Values {
	q := url.Values{}
	for k, v := range params {
		q[k] = append([]string(nil), v...)
	}
	if token != "" {
		q.Set("access_token", token)
		if c.cfg.AppSecret != "" {
			q.Set("appsecret_proof", AppSecretProof(c.cfg.AppSecret, token))
		}
	}
	return q
}

// send makes one request and reads its answer. secret is the token (or client secret) of
// the call, kept out of every error.
func (c *Client) send(ctx context.Context, method, endpoint string, query url.Values, body io.Reader, contentType, secret string, out any) error {
	where := method + " " + pathOf(endpoint)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("graph: %s: %w: %w", where, ErrNotSent, err)
	}
	target := endpoint
	if len(query) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("graph: %s: build request: %w: %s", where, ErrNotSent, c.redact(stripURL(err), secret))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return c.transportError(ctx, where, err, secret)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return c.noAnswer(where, fmt.Errorf("read answer: %s", c.redact(stripURL(err), secret)), ctx.Err())
	}
	if int64(len(raw)) > c.cfg.MaxBody {
		return c.noAnswer(where, fmt.Errorf("answer longer than %d bytes (HTTP %d)", c.cfg.MaxBody, resp.StatusCode), nil)
	}
	g := parseError(raw, resp.StatusCode)
	if g != nil {
		return c.Classify(g, resp.Header, secret)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return c.noAnswer(where, fmt.Errorf("decode answer (HTTP %d): %w", resp.StatusCode, err), nil)
	}
	return nil
}

// parseError returns the Graph error of an answer: the error object of a failed answer
// (a 2xx answer may carry one too), or an Error with only the status when a failed answer
// has none. It returns nil for a successful answer.
func parseError(raw []byte, status int) *Error {
	var envelope struct {
		Error *Error `json:"error"`
	}
	decoded := json.Unmarshal(raw, &envelope) == nil && envelope.Error != nil
	ok := status >= 200 && status < 300
	switch {
	case ok && (!decoded || (envelope.Error.Code == 0 && envelope.Error.Message == "")):
		return nil
	case !decoded:
		return &Error{Status: status}
	}
	envelope.Error.Status = status
	return envelope.Error
}

// transportError turns a failed round trip into an error without the URL (it carries the
// token): ErrNotSent when no connection was made, ErrNoAnswer otherwise.
func (c *Client) transportError(ctx context.Context, where string, err error, secret string) error {
	msg := c.redact(stripURL(err), secret)
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") {
		return &domain.Error{Code: domain.CodeUnavailable, Message: c.name() + " could not be reached; Herald will try again.",
			Err: fmt.Errorf("graph: %s: %w: %s", where, ErrNotSent, msg)}
	}
	return c.noAnswer(where, errors.New(msg), ctx.Err())
}

// noAnswer is an error after which the request may have been processed. ctxErr, when the
// context ended, is kept so errors.Is finds context.Canceled or DeadlineExceeded.
func (c *Client) noAnswer(where string, cause, ctxErr error) error {
	err := fmt.Errorf("graph: %s: %w: %w", where, ErrNoAnswer, cause)
	if ctxErr != nil {
		err = fmt.Errorf("%w (%w)", err, ctxErr)
	}
	return &domain.Error{Code: domain.CodeUnavailable, Message: c.name() + " did not answer clearly; Herald will check and try again.", Err: err}
}

func (c *Client) name() string { return c.cfg.Platform.Title() }

// redact removes the call's secret, the app secret and the proof from s.
func (c *Client) redact(s, secret string) string {
	for _, v := range []string{secret, c.cfg.AppSecret} {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(v), "[redacted]")
		}
	}
	if secret != "" && c.cfg.AppSecret != "" {
		s = strings.ReplaceAll(s, AppSecretProof(c.cfg.AppSecret, secret), "[redacted]")
	}
	return s
}

// stripURL returns err's text without the request URL.
func stripURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// pathOf is endpoint without its query, for messages in the log.
func pathOf(endpoint string) string {
	if i := strings.IndexByte(endpoint, '?'); i >= 0 {
		return endpoint[:i]
	}
	return endpoint
}

// MayHaveCreated reports whether a call that creates something (a post, a container) may
// have done so although it returned err: no usable answer came back (ErrNoAnswer), or Graph
// answered with a server-side error (HTTP 5xx, codes 1 and 2, is_transient) that does not
// say the call was refused. Refusals (a bad token, a permission, a rate limit, invalid
// parameters, a duplicate) and requests never sent did not create anything.
func MayHaveCreated(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNotSent) {
		return false
	}
	if errors.Is(err, ErrNoAnswer) {
		return true
	}
	var g *Error
	if errors.As(err, &g) {
		return domain.CodeOf(err) == domain.CodeUnavailable
	}
	// Anything else did not come from the client's round trip.
	return false
}
