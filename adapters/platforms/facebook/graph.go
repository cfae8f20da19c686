package facebook

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

// maxBody bounds what is read of an answer.
const maxBody = 4 << 20

// graphError is the error object of every failed Graph API answer
// (https://developers.facebook.com/docs/graph-api/guides/error-handling).
type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
	status      int
}

func (e *graphError) Error() string {
	return fmt.Sprintf("graph error: HTTP %d, code %d, subcode %d, type %s, fbtrace_id %s: %s", e.status, e.Code, e.Subcode, e.Type, e.FBTraceID, e.Message)
}

// appSecretProof is the HMAC-SHA256 of the token keyed by the app secret, in hex, which apps
// that turn on "Require App Secret" must send
// (https://developers.facebook.com/docs/graph-api/guides/secure-requests).
func appSecretProof(secret, token string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// get calls GET {APIURL}/{Version}/{path} with params and the token, and decodes the answer into out.
func (a *Adapter) get(ctx context.Context, path, token string, params url.Values, out any) error {
	return a.graph(ctx, http.MethodGet, path, token, params, out)
}

// post calls POST {APIURL}/{Version}/{path} with params form-encoded in the body.
func (a *Adapter) post(ctx context.Context, path, token string, params url.Values, out any) error {
	return a.graph(ctx, http.MethodPost, path, token, params, out)
}

func (a *Adapter) graph(ctx context.Context, method, path, token string, params url.Values, out any) error {
	if params == nil {
		params = url.Values{}
	}
	if token != "" {
		// access_token as a parameter, with its proof
		// (https://developers.facebook.com/docs/graph-api/guides/secure-requests).
		params.Set("access_token", token)
		params.Set("appsecret_proof", appSecretProof(a.cfg.ClientSecret, token))
	}
	endpoint := a.cfg.APIURL + "/" + a.cfg.Version + "/" + strings.TrimLeft(path, "/")
	return a.do(ctx, method, endpoint, params, out)
}

// do sends one request; GET parameters go in the query, POST ones in a form body. A transport
// error is returned without the URL (it may carry a token), and unclassified: the request may
// have been delivered.
func (a *Adapter) do(ctx context.Context, method, endpoint string, params url.Values, out any) error {
	var body io.Reader
	target := endpoint
	if method == http.MethodGet {
		target += "?" + params.Encode()
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("facebook: build request: %w", redact(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("facebook: %s %s: %w", method, redactURL(endpoint), redact(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("facebook: %s %s: read answer: %w", method, redactURL(endpoint), redact(err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var envelope struct {
			Error *graphError `json:"error"`
		}
		// Some endpoints answer 200 with an error object; treat it as a failure.
		if json.Unmarshal(raw, &envelope) == nil && envelope.Error != nil && envelope.Error.Code != 0 {
			envelope.Error.status = resp.StatusCode
			return classify(envelope.Error, resp.Header)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return &domain.Error{Code: domain.CodeUnavailable, Message: "Facebook sent an answer Herald could not read; it will try again.", Err: fmt.Errorf("facebook: %s %s: decode: %w", method, redactURL(endpoint), err)}
		}
		return nil
	}
	var envelope struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(raw, &envelope) != nil || envelope.Error == nil {
		envelope.Error = &graphError{}
	}
	envelope.Error.status = resp.StatusCode
	return classify(envelope.Error, resp.Header)
}

// redact drops the URL from a transport error, keeping its cause.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func redactURL(endpoint string) string {
	if i := strings.IndexByte(endpoint, '?'); i >= 0 {
		return endpoint[:i]
	}
	return endpoint
}

// classify turns a Graph API error into a domain error, following the codes of
// https://developers.facebook.com/docs/graph-api/guides/error-handling and the throttling
// codes and headers of https://developers.facebook.com/docs/graph-api/overview/rate-limiting/.
func classify(g *graphError, h http.Header) *domain.Error {
	e := &domain.Error{Err: g}
	switch {
	case g.Code == 190 || g.Code == 102:
		// OAuthException: the token expired, was revoked or is invalid; subcodes say why.
		e.Code = domain.CodeUnauthenticated
		switch g.Subcode {
		case 463, 467:
			e.Message = "Facebook: the Page's access has expired. Reconnect the Page."
		case 460:
			e.Message = "Facebook: the Page's access ended because the password changed. Reconnect the Page."
		case 458:
			e.Message = "Facebook: Herald's app was removed from this account. Reconnect the Page."
		case 459, 464:
			e.Message = "Facebook needs the account owner to log in on facebook.com first. Then reconnect the Page."
		default:
			e.Message = "Facebook refused the Page's access token. Reconnect the Page."
		}
	case g.Code == 4 || g.Code == 17 || g.Code == 32 || g.Code == 613 || g.Code == 341 || (g.Code >= 80001 && g.Code <= 80014) || g.status == http.StatusTooManyRequests:
		e.Code = domain.CodeRateLimited
		e.Message = "Facebook: too many requests for now; Herald will try again later."
		e.RetryAfter = retryAfter(h, 5*time.Minute)
	case g.Code == 368:
		// "Temporarily blocked for policy violations": wait and retry.
		e.Code = domain.CodeRateLimited
		e.Message = "Facebook temporarily blocked posting from this Page for a policy reason; Herald will try again later."
		e.RetryAfter = retryAfter(h, time.Hour)
	case g.Code == 506:
		e.Code = domain.CodeConflict
		e.Message = "Facebook: this Page already published the same post. Change the text and try again."
	case g.Code == 10 || g.Code == 3 || (g.Code >= 200 && g.Code <= 299):
		e.Code = domain.CodeForbidden
		e.Message = "Facebook: Herald lacks a permission for this Page (it needs to create content there). Reconnect the Page and grant every permission."
	case g.Code == 1 || g.Code == 2 || g.IsTransient || g.status >= 500:
		e.Code = domain.CodeUnavailable
		e.Message = "Facebook is having trouble right now; Herald will try again."
	case g.Code == 1609005:
		e.Code = domain.CodeInvalid
		e.Message = "Facebook could not read the link in this post. Check the address and try again."
	case g.Code == 0 && g.status == http.StatusUnauthorized:
		e.Code = domain.CodeUnauthenticated
		e.Message = "Facebook refused the Page's access token. Reconnect the Page."
	default:
		e.Code = domain.CodeInvalid
		e.Message = "Facebook rejected this request as invalid."
	}
	return e
}

// retryAfter reads how long to wait: the largest estimated_time_to_regain_access (minutes) in
// X-Business-Use-Case-Usage or X-App-Usage, else Retry-After (seconds), else def
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
func retryAfter(h http.Header, def time.Duration) time.Duration {
	var best time.Duration
	if raw := h.Get("X-Business-Use-Case-Usage"); raw != "" {
		var buc map[string][]map[string]any
		if json.Unmarshal([]byte(raw), &buc) == nil {
			for _, entries := range buc {
				for _, entry := range entries {
					if d := minutes(entry["estimated_time_to_regain_access"]); d > best {
						best = d
					}
				}
			}
		}
	}
	if raw := h.Get("X-App-Usage"); raw != "" {
		var app map[string]any
		if json.Unmarshal([]byte(raw), &app) == nil {
			if d := minutes(app["estimated_time_to_regain_access"]); d > best {
				best = d
			}
		}
	}
	if best > 0 {
		return best
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
		}
	}
	return def
}

func minutes(v any) time.Duration {
	if f, ok := v.(float64); ok && f > 0 {
		return time.Duration(f * float64(time.Minute))
	}
	return 0
}
