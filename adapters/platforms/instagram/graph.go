package instagram

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// graphError is the Graph API's error body:
// {"error": {"message","type","code","error_subcode","is_transient","error_user_title",
// "error_user_msg","fbtrace_id"}}.
// https://developers.facebook.com/docs/graph-api/guides/error-handling
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
}

// errorBody is a Graph API answer that failed.
type errorBody struct {
	Error *graphError `json:"error"`
}

const maxBody = 1 << 20

// get calls GET path on the Graph API (the version is put in front) with params and the
// access token, and decodes the JSON answer into out.
func (a *Adapter) get(ctx context.Context, path string, params url.Values, token string, out any) error {
	if params == nil {
		params = url.Values{}
	}
	return a.do(ctx, http.MethodGet, a.apiURL(path)+"?"+params.Encode(), nil, token, out)
}

// post calls POST path with params form-encoded in the body (with the access token, so it
// never shows in a URL), and decodes the JSON answer into out.
func (a *Adapter) post(ctx context.Context, path string, params url.Values, token string, out any) error {
	return a.do(ctx, http.MethodPost, a.apiURL(path), params, token, out)
}

func (a *Adapter) apiURL(path string) string {
	return a.cfg.APIURL + "/" + a.cfg.APIVersion + "/" + strings.TrimLeft(path, "/")
}

// appSecretProof is the HMAC-SHA256 of the access token keyed by the app secret, in hex,
// sent with every call so an app that requires it ("Require App Secret") accepts them.
// https://developers.facebook.com/docs/graph-api/securing-requests
func appSecretProof(secret, token string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// do sends one request, with token and its appsecret_proof when token is set (in the
// query of a GET, in the form of a POST), and decodes a 2xx JSON answer into out, or
// returns the classified Graph error. A network failure is returned unclassified, without
// the URL (it may carry a token).
func (a *Adapter) do(ctx context.Context, method, rawURL string, form url.Values, token string, out any) error {
	if token != "" {
		proof := appSecretProof(a.cfg.ClientSecret, token)
		if form != nil {
			form.Set("access_token", token)
			form.Set("appsecret_proof", proof)
		} else {
			sep := "?"
			if strings.Contains(rawURL, "?") {
				sep = "&"
			}
			rawURL += sep + url.Values{"access_token": {token}, "appsecret_proof": {proof}}.Encode()
		}
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return fmt.Errorf("instagram: build request: %w", errors.New(stripURL(err)))
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL may hold an access token: never keep it
		}
		return fmt.Errorf("instagram: %s %s: %w", method, pathOf(rawURL), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("instagram: %s %s: read answer: %w", method, pathOf(rawURL), err)
	}
	if resp.StatusCode/100 != 2 {
		return classify(resp, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &domain.Error{Code: domain.CodeUnavailable, Message: "Instagram: the platform sent an answer Herald could not read; it will try again.",
			Err: fmt.Errorf("instagram: %s %s: decode: %w", method, pathOf(rawURL), err)}
	}
	return nil
}

func pathOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Path
	}
	return "?"
}

func stripURL(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Op + ": " + uerr.Err.Error()
	}
	return "bad request"
}

// Graph API error codes Herald tells apart.
// https://developers.facebook.com/docs/graph-api/guides/error-handling
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
// https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
const (
	codeUnknown        = 1
	codeService        = 2
	codeTooManyCalls   = 4
	codeIGPublishLimit = 9 // with subcode 2207042: the 24-hour publishing limit
	codePermission     = 10
	codeUserTooMany    = 17
	codePageTooMany    = 32
	codeInvalidParam   = 100
	codeSession        = 102
	codeAccessToken    = 190
	codeAppLimit       = 341
	codeBlocked        = 368
	codeDuplicate      = 506
	codeCustomRate     = 613
	codeBUCRate        = 80002 // Instagram business use case rate limit

	subcodePublishLimit = 2207042
	subcodeSpam         = 2207051 // comes with code 4, which otherwise means throttling
	subcodeRestricted   = 2207050 // code 25: the account is inactive or checkpointed
)

// Subcodes Instagram documents as worth another try (error-codes page: "Try again").
var transientSubcodes = map[int]bool{
	2207001: true, // Instagram server error
	2207003: true, // it takes too long to download the media
	2207032: true, // create media fail, please try to re-create media
	2207053: true, // unknown upload error
	2207008: true, // media builder expired: "temporary error, retry in 30 s to 2 min"
	2207027: true, // the media is not ready for publishing, please wait for a moment
}

// Subcodes with a sentence Herald can say about the media.
var mediaProblems = map[int]string{
	2207004: "the image is too large (Instagram takes up to 8 MiB)",
	2207005: "the image format is not supported (use JPEG)",
	2207009: "the image's aspect ratio is not supported",
	2207010: "the caption is too long",
	2207020: "the media expired before it was published",
	2207026: "the video format is not supported",
	2207052: "Instagram could not fetch the media from its URL",
}

// apiError is the cause kept in a classified error: what the log needs, no message text.
type apiError struct {
	Status, Code, Subcode int
	Type, TraceID         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("instagram: HTTP %d, code %d, subcode %d, type %q, fbtrace_id %q", e.Status, e.Code, e.Subcode, e.Type, e.TraceID)
}

// classify turns a failed Graph API answer into a domain error. The platform's text goes
// into the cause for the log, never into the message.
func classify(resp *http.Response, raw []byte) error {
	var body errorBody
	_ = json.Unmarshal(raw, &body)
	g := body.Error
	if g == nil {
		g = &graphError{}
	}
	cause := &apiError{Status: resp.StatusCode, Code: g.Code, Subcode: g.Subcode, Type: g.Type, TraceID: g.FBTraceID}
	e := func(code domain.Code, msg string) *domain.Error {
		return &domain.Error{Code: code, Message: msg, Err: cause}
	}
	switch {
	case g.Code == codeIGPublishLimit && g.Subcode == subcodePublishLimit:
		r := e(domain.CodeRateLimited, "Instagram: this account reached its 24-hour publishing limit.")
		r.RetryAfter = retryAfter(resp.Header, time.Hour)
		return r
	case g.Subcode == subcodeSpam:
		return e(domain.CodeForbidden, "Instagram: Instagram restricted this publication as suspected spam.")
	case g.Subcode == subcodeRestricted:
		return e(domain.CodeForbidden, "Instagram: the account is inactive or restricted; sign in to the Instagram app to fix it.")
	case g.Code == codeAccessToken || g.Code == codeSession || resp.StatusCode == http.StatusUnauthorized:
		return e(domain.CodeUnauthenticated, "Instagram: the connection expired or was revoked; please reconnect the account.")
	case g.Code == codeTooManyCalls || g.Code == codeUserTooMany || g.Code == codePageTooMany ||
		g.Code == codeCustomRate || g.Code == codeBUCRate || g.Code == codeAppLimit || resp.StatusCode == http.StatusTooManyRequests:
		r := e(domain.CodeRateLimited, "Instagram: Herald is sending too many requests for now; it will try again later.")
		r.RetryAfter = retryAfter(resp.Header, 5*time.Minute)
		return r
	case g.Code == codeBlocked:
		// "Temporarily blocked for policies violations: wait and retry the operation."
		r := e(domain.CodeRateLimited, "Instagram: the account is temporarily blocked from publishing; Herald will try again later.")
		r.RetryAfter = retryAfter(resp.Header, time.Hour)
		return r
	case g.Code == codeDuplicate:
		return e(domain.CodeConflict, "Instagram: this post duplicates one already published.")
	case g.Code == codePermission || (g.Code >= 200 && g.Code <= 299) || resp.StatusCode == http.StatusForbidden:
		return e(domain.CodeForbidden, "Instagram: Herald lacks the permission to do this; reconnect the account and grant every permission asked.")
	case transientSubcodes[g.Subcode] || g.IsTransient || g.Code == codeUnknown || g.Code == codeService || resp.StatusCode >= 500:
		return e(domain.CodeUnavailable, "Instagram is not available right now; Herald will try again.")
	case mediaProblems[g.Subcode] != "":
		return e(domain.CodeInvalid, "Instagram refused the post: "+mediaProblems[g.Subcode]+".")
	case g.Subcode >= 2207000 && g.Subcode < 2208000 || g.Code == 9004 || g.Code == 36000 || g.Code == 36003:
		return e(domain.CodeInvalid, fmt.Sprintf("Instagram refused the media (error %d): check the image or video.", g.Subcode))
	}
	return e(domain.CodeInvalid, fmt.Sprintf("Instagram refused the request (error %d).", g.Code))
}

// retryAfter reads how long to wait: the Retry-After header, else the largest
// estimated_time_to_regain_access (minutes) of X-Business-Use-Case-Usage, else def.
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
func retryAfter(h http.Header, def time.Duration) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var usage map[string][]struct {
			Type   string `json:"type"`
			Regain int    `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &usage) == nil {
			longest := 0
			for _, entries := range usage {
				for _, u := range entries {
					longest = max(longest, u.Regain)
				}
			}
			if longest > 0 {
				return time.Duration(longest) * time.Minute
			}
		}
	}
	return def
}
