package domain

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Code classifies an error for whoever shows it: the JSON API and the web app alike turn
// it into an HTTP status with Code.HTTPStatus, the one table.
type Code string

// The codes every Herald error carries.
const (
	CodeBadRequest      Code = "bad_request" // the request itself is malformed or ambiguous
	CodeInvalid         Code = "invalid"     // input breaks a rule; Fields says which
	CodeNotFound        Code = "not_found"   // absent, or another company's
	CodeConflict        Code = "conflict"    // valid input, wrong state or duplicate
	CodeForbidden       Code = "forbidden"
	CodeLimit           Code = "plan_limit" // allowed by role, but past the company's plan limit
	CodeUnauthenticated Code = "unauthenticated"
	CodeRateLimited     Code = "rate_limited"
	CodeUnavailable     Code = "unavailable" // a dependency is down or not configured
	CodeStale           Code = "stale"       // the caller's version (If-Match) is not the current one
	CodeInternal        Code = "internal"    // everything unclassified; details only in the log
	CodeTooLarge        Code = "too_large"   // an upload over the plan's file size or storage quota
	CodeUnsupported     Code = "unsupported" // an upload of a type Herald does not take
	CodeGone            Code = "gone"        // it existed but has expired (a resumable upload)
	// CodeSuspended refuses a change in a suspended company: its members may sign in, read,
	// export and delete, nothing else.
	CodeSuspended Code = "company_suspended"
	// CodeApprovalRequired refuses to schedule a post that needs approval: submit it instead.
	CodeApprovalRequired Code = "approval_required"
)

// HTTPStatus is the one table from a code to the HTTP status the JSON API and the pages
// answer with: 400 bad request, 422 invalid, 404 not found, 409 conflict, 403 forbidden,
// over the plan or suspended, 401 unauthenticated, 429 rate limited, 412 stale, 503
// unavailable, 413 too large, 415 unsupported, 410 gone, and 500 for everything else.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeInvalid:
		return http.StatusUnprocessableEntity
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict, CodeApprovalRequired:
		return http.StatusConflict
	case CodeForbidden, CodeLimit, CodeSuspended, CodeTwoFactorRequired:
		return http.StatusForbidden
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeStale:
		return http.StatusPreconditionFailed
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupported:
		return http.StatusUnsupportedMediaType
	case CodeGone:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// SuspendedError is the answer to a change in a suspended company; reason is the
// operator's, shown to its members.
func SuspendedError(reason string) *Error {
	msg := "This company is suspended"
	if reason != "" {
		msg += " (" + strings.TrimRight(reason, ". ") + ")"
	}
	return &Error{Code: CodeSuspended, Message: msg + ". Its members can sign in, read, export and delete its data, but change nothing else. Contact the operator of this Herald."}
}

// Error is Herald's error. Message is written for the person using Herald; Err is the
// cause, kept for the log and never shown. RetryAfter is set with CodeRateLimited.
type Error struct {
	Code       Code
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration
	Err        error
}

// Error returns "code: message: cause" for logs.
func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a message for the user.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns err's code: "" for nil, CodeInternal for anything Herald did not classify.
func CodeOf(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return CodeInternal
}

// MessageOf returns the user-facing message of err, or a generic one for unclassified errors,
// so internal details never reach a person.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal && e.Message != "" {
		return e.Message
	}
	return "Something went wrong on our side. It has been logged; please try again."
}

// FieldsOf returns the field problems carried by err, or nil.
func FieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Violations maps a field to its first problem, so a form shows all problems at once.
type Violations map[string]string

// Add records problem for field unless the field already has one.
func (v Violations) Add(field, problem string) {
	if _, ok := v[field]; !ok {
		v[field] = problem
	}
}

// Err returns nil when v is empty, otherwise a CodeInvalid *Error carrying the fields.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "Please correct the highlighted fields.", Fields: map[string]string(v)}
}

// SortedFields returns the field names of fields in a stable order.
func SortedFields(fields map[string]string) []string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// InvalidField is the one-field shorthand for a CodeInvalid error.
func InvalidField(field, problem string) *Error {
	return &Error{Code: CodeInvalid, Message: "Please correct the highlighted fields.", Fields: map[string]string{field: problem}}
}

// ErrMaybePublished marks a publish that ended without a clear answer after the request may
// have reached the platform (the connection broke, the answer was lost or unreadable, a
// multi-step publish stopped after its last step was sent). Every platform adapter wraps it
// with %w in exactly those cases, and only then; publishing switches on it: the attempt stays
// open and the next run asks the platform (Lookup) before it ever sends the post again. Any
// other error means the platform surely does not have the post.
var ErrMaybePublished = errors.New("the platform may have published the post")

// MaybePublished returns the error for a publish whose outcome is unknown: CodeUnavailable
// with message for a person, wrapping ErrMaybePublished and cause (for the log).
func MaybePublished(message string, cause error) *Error {
	return &Error{Code: CodeUnavailable, Message: message, Err: fmt.Errorf("%w: %w", ErrMaybePublished, cause)}
}
