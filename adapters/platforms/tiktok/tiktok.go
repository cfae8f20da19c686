// Package tiktok publishes videos and photos to TikTok creators' accounts through the
// Content Posting API (direct post or inbox upload; videos pulled from their URL or uploaded
// in chunks) and connects them with Login Kit for Web (OAuth v2).
package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/adapters/outbound"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Adapter is TikTok behind ports.Platform.
type Adapter struct {
	cfg      Config
	client   *http.Client
	media    *http.Client // downloads videos to upload
	transfer *http.Client // sends chunks to TikTok's upload_url
	now      func() time.Time
	rules    chunkRules
}

var _ ports.Platform = (*Adapter)(nil)

// New returns the adapter for cfg. Empty URLs are the production endpoints, a nil
// HTTPClient is a client with a 30 s timeout, a nil Now is time.Now, an empty PrivacyLevel
// is PUBLIC_TO_EVERYONE, and zero poll settings are 5 s between checks for up to 2 min.
// An empty UploadMode is auto and an empty PostMode direct; a zero MaxVideoBytes is 4 GB and
// a zero ChunkBytes 10 MB; a nil MediaClient refuses addresses that are not public.
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
	if cfg.PrivacyLevel == "" {
		cfg.PrivacyLevel = defaultPrivacyLevel
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = defaultPollTimeout
	}
	if cfg.UploadMode == "" {
		cfg.UploadMode = UploadAuto
	}
	if cfg.PostMode == "" {
		cfg.PostMode = PostDirect
	}
	if cfg.MaxVideoBytes <= 0 {
		cfg.MaxVideoBytes = defaultMaxVideoBytes
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = defaultChunkBytes
	}
	a := &Adapter{cfg: cfg, client: cfg.HTTPClient, media: cfg.MediaClient, transfer: cfg.HTTPClient, now: cfg.Now, rules: tiktokChunkRules}
	if a.client == nil {
		a.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if a.transfer == nil {
		a.transfer = &http.Client{Timeout: defaultTransferTimeout}
	}
	if a.media == nil {
		a.media = outbound.Client(outbound.Options{AllowPrivate: cfg.AllowPrivateMedia, Timeout: defaultTransferTimeout})
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Platform returns domain.TikTok.
func (a *Adapter) Platform() domain.Platform { return domain.TikTok }

// apiError is the error object of every v2 API answer; code is "ok" on success.
// https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	LogID   string `json:"log_id"`
}

// envelope is every v2 API answer: {"data": {...}, "error": {...}}.
type envelope struct {
	Data  json.RawMessage `json:"data"`
	Error apiError        `json:"error"`
}

// call sends one v2 API request with the user's token and decodes the answer's data into
// out. A request that never got an answer (network error, timeout) is returned as a plain
// error; every answer TikTok gave is classified with a domain code.
func (a *Adapter) call(ctx context.Context, method, path string, query url.Values, token string, body, out any) error {
	return a.send(ctx, method, path, query, token, body, out, false)
}

// create sends the request that makes TikTok publish (an init that pulls the media from
// its URL): once it may have reached TikTok, an outcome Herald cannot read (the connection
// broke after the request was written, the answer was cut or unreadable, or it accepted
// the post without a publish_id) is domain.MaybePublished, because TikTok may be
// publishing the post. An answer in TikTok's error envelope is TikTok's refusal and is
// classified as call classifies it: TikTok created nothing.
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
// https://developers.tiktok.com/doc/tiktok-api-v2-error-handling
func (a *Adapter) create(ctx context.Context, path, token string, body, out any) error {
	return a.send(ctx, http.MethodPost, path, nil, token, body, out, true)
}

// maybePublished is the message of every publish whose outcome Herald could not read.
const maybePublished = "TikTok may have received the post, but its answer was lost; Herald will check before sending it again."

func (a *Adapter) send(ctx context.Context, method, path string, query url.Values, token string, body, out any, create bool) error {
	u := a.cfg.APIURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("tiktok: encode %s: %w", path, err)
		}
		reader = bytes.NewReader(b)
	}
	// wrote says whether any of the request reached the connection: before that, a failed
	// create is surely not at TikTok.
	var wrote atomic.Bool
	if create {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return fmt.Errorf("tiktok: %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if method == http.MethodPost {
		// Every Content Posting and Display API POST takes this content type.
		// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	lost := func(err error) error {
		if create && wrote.Load() {
			return domain.MaybePublished(maybePublished, err)
		}
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return lost(fmt.Errorf("tiktok: %s %s: %w", method, path, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodyLength))
	if err != nil {
		return lost(fmt.Errorf("tiktok: read %s: %w", path, err))
	}
	var env envelope
	decodeErr := json.Unmarshal(raw, &env)
	if decodeErr == nil && env.Error.Code == "ok" && resp.StatusCode < 300 {
		if out == nil || len(env.Data) == 0 {
			return nil
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			cause := fmt.Errorf("tiktok: decode %s data: %w", path, err)
			if create {
				return domain.MaybePublished(maybePublished, cause)
			}
			return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok: the answer could not be read; please try again.", Err: cause}
		}
		return nil
	}
	cause := &apiFailure{method: method, path: path, status: resp.StatusCode, code: env.Error.Code, logID: env.Error.LogID}
	if decodeErr != nil || env.Error.Code == "" {
		// Not TikTok's envelope: a proxy or gateway answered. A 429 is a refusal before
		// TikTok took the request; anything else after a create may hide a post.
		if create && resp.StatusCode != http.StatusTooManyRequests {
			return domain.MaybePublished(maybePublished, cause)
		}
		return classifyStatus(resp, cause)
	}
	return classify(env.Error.Code, resp, cause)
}

// apiFailure is the cause of every error TikTok answered: its error code stays readable
// (errors.As) so Publish can tell url_ownership_unverified from other refusals.
type apiFailure struct {
	method, path string
	status       int
	code, logID  string
}

func (e *apiFailure) Error() string {
	return fmt.Sprintf("tiktok: %s %s: HTTP %d, code %q, log_id %q", e.method, e.path, e.status, e.code, e.logID)
}

// hasCode reports whether err is TikTok's answer with that error code.
func hasCode(err error, code string) bool {
	var f *apiFailure
	return errors.As(err, &f) && f.code == code
}

// classify turns a v2 API error code into a domain error. The codes and their HTTP statuses
// are listed in https://developers.tiktok.com/doc/tiktok-api-v2-error-handling; the posting
// ones (spam_risk_*, url_ownership_unverified, privacy_level_option_mismatch, ...) in
// https://developers.tiktok.com/doc/content-posting-api-reference-direct-post.
func classify(code string, resp *http.Response, cause error) error {
	e := func(c domain.Code, msg string) *domain.Error {
		return &domain.Error{Code: c, Message: msg, Err: cause}
	}
	switch code {
	case "access_token_invalid":
		return e(domain.CodeUnauthenticated, "TikTok: the connection has expired or was revoked; please reconnect the account.")
	case "scope_not_authorized", "scope_permission_missed":
		return e(domain.CodeForbidden, "TikTok: the account did not grant Herald every permission it needs; please reconnect it and allow them all.")
	case "rate_limit_exceeded":
		// https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit: HTTP 429, one-minute window.
		err := e(domain.CodeRateLimited, "TikTok: too many requests for now; Herald will try again shortly.")
		err.RetryAfter = retryAfter(resp, time.Minute)
		return err
	case "spam_risk_too_many_posts":
		err := e(domain.CodeRateLimited, "TikTok: this account reached its daily posting limit; Herald will try again later.")
		err.RetryAfter = retryAfter(resp, time.Hour)
		return err
	case "spam_risk_too_many_pending_share":
		err := e(domain.CodeRateLimited, "TikTok: this account has too many posts still waiting in TikTok; Herald will try again later.")
		err.RetryAfter = retryAfter(resp, time.Hour)
		return err
	case "reached_active_user_cap":
		err := e(domain.CodeRateLimited, "TikTok: Herald's app reached its daily quota of posting users; Herald will try again later.")
		err.RetryAfter = retryAfter(resp, time.Hour)
		return err
	case "spam_risk_user_banned_from_posting":
		return e(domain.CodeForbidden, "TikTok: this account is banned from posting.")
	case "spam_risk_text", "spam_risk":
		return e(domain.CodeInvalid, "TikTok: the post was refused as possible spam.")
	case "unaudited_client_can_only_post_to_private_accounts":
		return e(domain.CodeForbidden, "TikTok: Herald's TikTok app is not audited yet and may only post privately; the operator must set HERALD_TIKTOK_PRIVACY_LEVEL=SELF_ONLY or have the app audited.")
	case "url_ownership_unverified":
		return e(domain.CodeForbidden, "TikTok: the video's web address is not on a domain verified for Herald's TikTok app; the operator must verify the media domain or URL prefix in the TikTok developer portal.")
	case "privacy_level_option_mismatch":
		return e(domain.CodeInvalid, "TikTok: the creator does not allow the chosen privacy level.")
	case "invalid_params", "invalid_file_upload":
		return e(domain.CodeInvalid, "TikTok: the post was refused as invalid.")
	case "internal_error":
		return e(domain.CodeUnavailable, "TikTok: the service had an internal error; Herald will try again.")
	}
	return classifyStatus(resp, cause)
}

// classifyStatus classifies an answer by its HTTP status alone.
func classifyStatus(resp *http.Response, cause error) error {
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return &domain.Error{Code: domain.CodeRateLimited, Message: "TikTok: too many requests for now; Herald will try again shortly.", RetryAfter: retryAfter(resp, time.Minute), Err: cause}
	case s == http.StatusUnauthorized:
		return &domain.Error{Code: domain.CodeUnauthenticated, Message: "TikTok: the connection has expired or was revoked; please reconnect the account.", Err: cause}
	case s == http.StatusForbidden:
		return &domain.Error{Code: domain.CodeForbidden, Message: "TikTok: the account may not do this.", Err: cause}
	case s >= 500 || s < 400:
		// 5xx, or a 2xx/3xx that is not a readable answer: something between us and TikTok.
		return &domain.Error{Code: domain.CodeUnavailable, Message: "TikTok is not answering properly right now; Herald will try again.", Err: cause}
	}
	return &domain.Error{Code: domain.CodeInvalid, Message: "TikTok refused the request.", Err: cause}
}

// retryAfter reads the Retry-After header (seconds or an HTTP date), else returns def.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return def
}
