package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
)

// Error is the error object of a failed Graph API answer
// (https://developers.facebook.com/docs/graph-api/guides/error-handling):
// {"error": {"message", "type", "code", "error_subcode", "is_transient", "error_user_title",
// "error_user_msg", "fbtrace_id"}}. Status is the HTTP status it came with. Its text is for
// the log; Classify turns it into a *domain.Error for people.
type Error struct {
	Status      int    `json:"-"`
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	UserTitle   string `json:"error_user_title"`
	UserMessage string `json:"error_user_msg"`
	FBTraceID   string `json:"fbtrace_id"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("graph: HTTP %d, code %d, subcode %d, type %s, fbtrace_id %s: %s", e.Status, e.Code, e.Subcode, e.Type, e.FBTraceID, e.Message)
}

// CodeOf returns the Graph error code err carries, and its subcode; 0, 0 when err carries no
// Graph error.
func CodeOf(err error) (code, subcode int) {
	var g *Error
	if errors.As(err, &g) {
		return g.Code, g.Subcode
	}
	return 0, 0
}

// Graph error codes Herald treats specially
// (https://developers.facebook.com/docs/graph-api/guides/error-handling, "Error Codes"; the
// throttling codes of https://developers.facebook.com/docs/graph-api/overview/rate-limiting/).
const (
	CodeUnknown           = 1   // API Unknown: possibly a temporary issue
	CodeService           = 2   // API Service: temporary issue due to downtime
	CodeMethod            = 3   // API Method: a capability or permissions issue
	CodeAppRateLimit      = 4   // API Too Many Calls: the app's Platform rate limit
	CodePermission        = 10  // API Permission Denied
	CodeUserRateLimit     = 17  // API User Too Many Calls
	CodeParameter         = 100 // Invalid parameter
	CodeSession           = 102 // API Session: the login status or token expired or was revoked
	CodeAccessToken       = 190 // Access token has expired, been revoked or is invalid
	CodePageRateLimit     = 32  // Page-level throttling
	CodeCustomRateLimit   = 613 // Calls within one hour exceeded
	CodeAppLimitReached   = 341 // Application limit reached: wait and retry
	CodePolicyBlock       = 368 // Temporarily blocked for policy violations
	CodeDuplicatePost     = 506 // Duplicate Post: duplicates cannot be published consecutively
	CodeLinkError         = 1609005
	firstBUCRateLimit     = 80001 // Business Use Case rate limits: 80001 Pages, 80002 Instagram, ...
	lastBUCRateLimit      = 80014 // ... 80014 catalog batch
	SubcodeNoObject       = 33    // with code 100: the object does not exist or is not reachable
	SubcodeAppNotInstall  = 458   // the person removed the app
	SubcodeCheckpoint     = 459   // the person must log in at facebook.com to pass a checkpoint
	SubcodePasswordChange = 460   // the password changed
	SubcodeExpired        = 463   // the token expired
	SubcodeUnconfirmed    = 464   // the person must confirm their account
	SubcodeInvalidToken   = 467   // the token is invalid
)

// RateLimitCode reports whether code is one of the throttling codes: 4, 17, 32, 613,
// 80001-80014 (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/), and
// 341, "Application limit reached".
func RateLimitCode(code int) bool {
	switch code {
	case CodeAppRateLimit, CodeUserRateLimit, CodePageRateLimit, CodeCustomRateLimit, CodeAppLimitReached:
		return true
	}
	return code >= firstBUCRateLimit && code <= lastBUCRateLimit
}

// The waits when Meta gives no usage header that says when access returns.
const (
	// DefaultRateLimitWait is the wait after a throttling code: Platform limits are counted
	// over a rolling hour, so a quarter of it lets the count fall.
	DefaultRateLimitWait = 15 * time.Minute
	// PolicyBlockWait is the wait after code 368, a temporary block for a policy reason.
	PolicyBlockWait = time.Hour
)

// Classify turns a Graph error into Herald's error, with a message for a person that names
// the platform and what to do; g (for the log) is its cause. secret (the call's token)
// is removed from g's text. The table follows
// https://developers.facebook.com/docs/graph-api/guides/error-handling:
//   - 190 and 102, the token (subcodes 458, 459, 460, 463, 464, 467 say why): CodeUnauthenticated;
//   - throttling (4, 17, 32, 613, 341, 80001-80014, HTTP 429) and 368: CodeRateLimited, with
//     the wait the usage headers give (see Wait);
//   - 506, a duplicate post: CodeConflict;
//   - 3, 10 and 200-299, capabilities and permissions: CodeForbidden;
//   - 1, 2, is_transient, HTTP 5xx: CodeUnavailable;
//   - 100 with subcode 33, no such object: CodeNotFound;
//   - anything else: CodeInvalid.
func (c *Client) Classify(g *Error, h http.Header, secret string) *domain.Error {
	g.Message = c.redact(g.Message, secret)
	g.UserMessage = c.redact(g.UserMessage, secret)
	g.UserTitle = c.redact(g.UserTitle, secret)
	name := c.name()
	e := &domain.Error{Err: g}
	switch {
	case g.Code == CodeAccessToken || g.Code == CodeSession || (g.Code == 0 && g.Status == http.StatusUnauthorized):
		e.Code = domain.CodeUnauthenticated
		switch g.Subcode {
		case SubcodeExpired:
			e.Message = name + ": the access Herald was given has expired. Reconnect the account."
		case SubcodePasswordChange:
			e.Message = name + ": the access ended because the password changed. Reconnect the account."
		case SubcodeAppNotInstall:
			e.Message = name + ": Herald's app was removed from the account. Reconnect the account."
		case SubcodeCheckpoint, SubcodeUnconfirmed:
			e.Message = name + " needs the account owner to log in on facebook.com first. Then reconnect the account."
		default:
			e.Message = name + " refused the access token. Reconnect the account."
		}
	case RateLimitCode(g.Code) || g.Status == http.StatusTooManyRequests:
		e.Code = domain.CodeRateLimited
		e.Message = name + " is limiting Herald's requests for now; Herald will try again later."
		e.RetryAfter = Wait(h, c.cfg.Now(), DefaultRateLimitWait)
	case g.Code == CodePolicyBlock:
		e.Code = domain.CodeRateLimited
		e.Message = name + " temporarily blocked this account from posting for a policy reason; Herald will try again later."
		e.RetryAfter = Wait(h, c.cfg.Now(), PolicyBlockWait)
	case g.Code == CodeDuplicatePost:
		e.Code = domain.CodeConflict
		e.Message = name + ": the account just published the same post. Change the text and try again."
	case g.Code == CodePermission || g.Code == CodeMethod || (g.Code >= 200 && g.Code <= 299):
		e.Code = domain.CodeForbidden
		e.Message = name + ": Herald lacks a permission for this. Reconnect the account and grant every permission asked."
	case g.Code == CodeUnknown || g.Code == CodeService || g.IsTransient || g.Status >= 500:
		e.Code = domain.CodeUnavailable
		e.Message = name + " is having trouble right now; Herald will try again."
	case g.Code == CodeParameter && g.Subcode == SubcodeNoObject:
		e.Code = domain.CodeNotFound
		e.Message = name + " has no such object, or Herald may no longer see it."
	case g.Code == CodeLinkError:
		e.Code = domain.CodeInvalid
		e.Message = name + " could not read the link in this post. Check the address and try again."
	default:
		e.Code = domain.CodeInvalid
		e.Message = name + " refused this request as invalid."
		if g.UserMessage != "" {
			// error_user_msg is written by Meta for the person using the app.
			e.Message = name + ": " + strings.TrimSpace(g.UserMessage)
		}
	}
	return e
}
