package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WebhookEndpointID identifies a company's webhook endpoint.
type WebhookEndpointID string

// WebhookEventID identifies an event in the outbox. It is also the Standard Webhooks
// message id (the webhook-id header): the same for every attempt and every endpoint.
type WebhookEventID string

// WebhookDeliveryID identifies the delivery of one event to one endpoint.
type WebhookDeliveryID string

// EventType names what happened, as integrators subscribe to it.
type EventType string

// The event types integrators subscribe to (README, "Webhooks"), and the test event an admin
// sends by hand.
const (
	EventPostScheduled          EventType = "post.scheduled"
	EventPostPublished          EventType = "post.published"
	EventPostPartiallyPublished EventType = "post.partially_published"
	EventPostFailed             EventType = "post.failed"
	// EventPostSubmitted, EventPostApproved and EventPostRejected follow a post through
	// approval (rejected: changes were requested, with the approver's comment).
	EventPostSubmitted         EventType = "post.submitted"
	EventPostApproved          EventType = "post.approved"
	EventPostRejected          EventType = "post.rejected"
	EventAccountConnected      EventType = "account.connected"
	EventAccountReauthRequired EventType = "account.reauth_required"
	EventAccountDisconnected   EventType = "account.disconnected"
	// EventAccountExpiring: a token Herald cannot renew expires within ExpiryWarningAhead;
	// sent once per expiry.
	EventAccountExpiring EventType = "account.expiring"
	// EventWebhookTest is sent only by "send test event", to one endpoint, whatever it
	// subscribed to.
	EventWebhookTest EventType = "webhook.test"
)

// EventTypes lists the event types an endpoint can subscribe to, in display order.
var EventTypes = []EventType{EventPostScheduled, EventPostPublished, EventPostPartiallyPublished, EventPostFailed,
	EventPostSubmitted, EventPostApproved, EventPostRejected, EventAccountConnected, EventAccountReauthRequired, EventAccountDisconnected, EventAccountExpiring}

// ParseEventTypes returns the distinct event types named, in EventTypes order, or
// CodeInvalid on field when one is unknown or none is given.
func ParseEventTypes(field string, names []string) ([]EventType, error) {
	if len(names) == 0 {
		return nil, InvalidField(field, "choose at least one event type")
	}
	var out []EventType
	for _, t := range EventTypes {
		if slices.Contains(names, string(t)) {
			out = append(out, t)
		}
	}
	for _, n := range names {
		if !slices.Contains(EventTypes, EventType(n)) {
			return nil, InvalidField(field, strconv.Quote(n)+" is not an event type; use "+joinEventTypes())
		}
	}
	return out, nil
}

func joinEventTypes() string {
	s := make([]string, len(EventTypes))
	for i, t := range EventTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// PostEventType returns the event of a post that reached status s, and false for a
// status that has no event of its own.
func PostEventType(s PostStatus) (EventType, bool) {
	switch s {
	case PostScheduled:
		return EventPostScheduled, true
	case PostPublished:
		return EventPostPublished, true
	case PostPartiallyPublished:
		return EventPostPartiallyPublished, true
	case PostFailed:
		return EventPostFailed, true
	}
	return "", false
}

// WebhookStatus says whether an endpoint receives events.
type WebhookStatus string

// The statuses of an endpoint.
const (
	WebhookEnabled  WebhookStatus = "enabled"
	WebhookDisabled WebhookStatus = "disabled"
)

// Limits and timings of webhooks.
const (
	MaxWebhookURLBytes       = 2048
	MaxWebhookDescription    = 500
	WebhookSecretPrefix      = "whsec_"
	WebhookSecretBytes       = 32             // Standard Webhooks asks for 24 to 64
	WebhookSecretOverlap     = 24 * time.Hour // a rotated-out secret still signs this long
	WebhookDisableAfter      = 5 * 24 * time.Hour
	WebhookTimeout           = 10 * time.Second
	WebhookResponseKeptBytes = 1024
)

// WebhookRetrySchedule is the wait after each failed attempt before the next one (Svix's
// schedule): 8 attempts over about 28 hours.
var WebhookRetrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// WebhookMaxAttempts is how many times one delivery is tried before it fails.
var WebhookMaxAttempts = len(WebhookRetrySchedule) + 1

// WebhookRetryDelay returns the wait after the attempt-th failed attempt (1 for the first),
// and false when that was the last attempt.
func WebhookRetryDelay(attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(WebhookRetrySchedule) {
		return 0, false
	}
	return WebhookRetrySchedule[attempt-1], true
}

// WebhookEndpoint is an address outside Herald that receives a company's events, signed with
// the endpoint's secret. Its health is kept with it: when it fails for WebhookDisableAfter
// without a success it is disabled, and its admins see why.
type WebhookEndpoint struct {
	ID             WebhookEndpointID
	CompanyID      CompanyID
	URL            string
	Events         []EventType
	Description    string
	Status         WebhookStatus
	DisabledReason string
	CreatedBy      UserID
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int
	// Health.
	FailingSince        time.Time // the first failure since the last success; zero when healthy
	ConsecutiveFailures int
	LastAttemptAt       time.Time
	LastResponseStatus  int // 0: no answer (network error) or never tried
	// PreviousSecretUntil is when the secret rotated out stops signing; zero when none.
	PreviousSecretUntil time.Time
}

// WebhookURLPolicy says which endpoint addresses are accepted: https only in production,
// and loopback or private addresses only when the operator allows them.
type WebhookURLPolicy struct {
	RequireHTTPS bool
	AllowPrivate bool
}

// WebhookInput is what an admin writes for an endpoint.
type WebhookInput struct {
	URL         string
	Events      []string
	Description string
}

// NewWebhookEndpoint returns an enabled endpoint, or CodeInvalid naming every bad field.
func NewWebhookEndpoint(company CompanyID, by UserID, in WebhookInput, policy WebhookURLPolicy, now time.Time) (WebhookEndpoint, error) {
	e := WebhookEndpoint{CompanyID: company, CreatedBy: by, Status: WebhookEnabled, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), Version: 1}
	v := Violations{}
	u, problem := CheckWebhookURL(in.URL, policy)
	if problem != "" {
		v.Add("url", problem)
	}
	e.URL = u
	if err := e.apply(in.Events, in.Description, v); err != nil {
		return WebhookEndpoint{}, err
	}
	return e, nil
}

// Change replaces the endpoint's event types and description (events nil: unchanged), or
// returns CodeInvalid.
func (e *WebhookEndpoint) Change(events []string, description string, now time.Time) error {
	if events == nil {
		for _, t := range e.Events {
			events = append(events, string(t))
		}
	}
	if err := e.apply(events, description, Violations{}); err != nil {
		return err
	}
	e.UpdatedAt = now.UTC()
	e.Version++
	return nil
}

func (e *WebhookEndpoint) apply(events []string, description string, v Violations) error {
	types, err := ParseEventTypes("events", events)
	if err != nil {
		v.Add("events", FieldsOf(err)["events"])
	}
	e.Events = types
	e.Description = strings.TrimSpace(description)
	if utf8.RuneCountInString(e.Description) > MaxWebhookDescription {
		v.Add("description", "is too long (at most 500 characters)")
	}
	return v.Err()
}

// Subscribed reports whether the endpoint receives events of type t now.
func (e WebhookEndpoint) Subscribed(t EventType) bool {
	return e.Status == WebhookEnabled && slices.Contains(e.Events, t)
}

// Disable stops deliveries to the endpoint, with a reason a person can read.
func (e *WebhookEndpoint) Disable(reason string, now time.Time) {
	e.Status, e.DisabledReason, e.UpdatedAt = WebhookDisabled, reason, now.UTC()
	e.Version++
}

// Enable starts deliveries again; the failure streak starts over.
func (e *WebhookEndpoint) Enable(now time.Time) {
	e.Status, e.DisabledReason, e.UpdatedAt = WebhookEnabled, "", now.UTC()
	e.FailingSince, e.ConsecutiveFailures = time.Time{}, 0
	e.Version++
}

// RecordAttempt records the outcome of one delivery attempt in the endpoint's health.
// A failure that ends a streak of WebhookDisableAfter disables the endpoint; so does 410
// Gone, the receiver's way to say it wants no more. It reports whether the endpoint was
// disabled by this attempt.
func (e *WebhookEndpoint) RecordAttempt(status int, ok bool, now time.Time) bool {
	e.LastAttemptAt, e.LastResponseStatus = now.UTC(), status
	if ok {
		e.FailingSince, e.ConsecutiveFailures = time.Time{}, 0
		return false
	}
	e.ConsecutiveFailures++
	if e.FailingSince.IsZero() {
		e.FailingSince = now.UTC()
	}
	if e.Status != WebhookEnabled {
		return false
	}
	switch {
	case status == 410:
		e.Disable("The endpoint answered 410 Gone, which asks for no more deliveries. Enable it again once it accepts events.", now)
		return true
	case now.Sub(e.FailingSince) >= WebhookDisableAfter:
		e.Disable("Every delivery failed for "+strconv.Itoa(int(WebhookDisableAfter.Hours()/24))+" days (since "+
			e.FailingSince.UTC().Format("2 Jan 2006 15:04 MST")+"). Fix the endpoint, then enable it again.", now)
		return true
	}
	return false
}

// Healthy reports whether the endpoint's last attempt succeeded (or none was made).
func (e WebhookEndpoint) Healthy() bool { return e.ConsecutiveFailures == 0 }

// CheckWebhookURL returns the URL trimmed, and a problem for a person when it cannot be an
// endpoint: not absolute http(s), credentials in it, http in production, or a host that is
// loopback, private, link-local, multicast or unspecified (unless policy allows private).
// Host names are checked again, after DNS resolution, by the delivering client.
func CheckWebhookURL(raw string, policy WebhookURLPolicy) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return raw, "is required"
	}
	if len(raw) > MaxWebhookURLBytes {
		return raw, "is too long (at most 2048 bytes)"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return raw, "must be an absolute address such as https://example.com/webhooks"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if policy.RequireHTTPS {
			return raw, "must use https"
		}
	default:
		return raw, "must be an http or https address"
	}
	if u.User != nil {
		return raw, "must not contain a user name or password"
	}
	if u.Fragment != "" {
		return raw, "must not contain a fragment (#...)"
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return raw, "must name a host"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return raw, "has an invalid port"
		}
	}
	ip, ipErr := netip.ParseAddr(host)
	if ipErr == nil && AlwaysRefusedIP(ip) {
		return raw, "must not point at a link-local or cloud metadata address"
	}
	if policy.AllowPrivate {
		return raw, ""
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return raw, "must not point at this machine (localhost)"
	}
	if ipErr == nil && !PublicIP(ip) {
		return raw, "must not point at a private, loopback, link-local or multicast address"
	}
	return raw, ""
}

// WebhookSecret encodes random bytes as an endpoint secret: "whsec_" and standard base64.
// It returns CodeInvalid for fewer than 24 bytes.
func WebhookSecret(random []byte) (string, error) {
	if len(random) < 24 || len(random) > 64 {
		return "", Errorf(CodeInvalid, "A webhook secret needs 24 to 64 random bytes.")
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(random), nil
}

// webhookKey returns the HMAC key of a secret: the base64-decoded bytes after the prefix.
func webhookKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, WebhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, Errorf(CodeInvalid, "That is not a webhook secret.")
	}
	return key, nil
}

// SignWebhook returns the webhook-signature header of a message per Standard Webhooks:
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" for each secret, space-separated
// (two during a rotation). It returns CodeInvalid for a malformed secret.
func SignWebhook(id WebhookEventID, at time.Time, body []byte, secrets ...string) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := webhookKey(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(string(id) + "." + strconv.FormatInt(at.Unix(), 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// WebhookEvent is something that happened, kept in the outbox with the change that caused
// it, and delivered to every endpoint subscribed to its type.
type WebhookEvent struct {
	ID        WebhookEventID
	CompanyID CompanyID
	Type      EventType
	At        time.Time
	Data      map[string]any // the body's "data": plain JSON values
}

// DeliveryStatus says where one delivery is.
type DeliveryStatus string

// The statuses of a delivery.
const (
	DeliveryPending   DeliveryStatus = "pending" // waiting for its first or next attempt
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed" // attempts ran out, or the endpoint is disabled or gone
)

// ParseDeliveryStatus returns the status named s, or CodeInvalid on field.
func ParseDeliveryStatus(field, s string) (DeliveryStatus, error) {
	switch st := DeliveryStatus(s); st {
	case DeliveryPending, DeliverySucceeded, DeliveryFailed:
		return st, nil
	}
	return "", InvalidField(field, "must be one of pending, succeeded, failed")
}

// WebhookDelivery is the delivery of one event to one endpoint, with what its last attempt
// got back.
type WebhookDelivery struct {
	ID             WebhookDeliveryID
	CompanyID      CompanyID
	EndpointID     WebhookEndpointID
	EventID        WebhookEventID
	EventType      EventType
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  time.Time // zero when no attempt is planned
	LastAttemptAt  time.Time
	ResponseStatus int    // 0: no answer
	ResponseBody   string // the first WebhookResponseKeptBytes, valid UTF-8
	Error          string // why the last attempt failed, for a person
	Duration       time.Duration
	CreatedAt      time.Time
}

// WebhookResponse is what one attempt got back; Status 0 with Err when no answer came.
type WebhookResponse struct {
	Status     int
	Body       []byte
	RetryAfter time.Duration // from a 429's Retry-After
	Duration   time.Duration
	Err        error
}

// Succeeded reports whether the answer was a 2xx; redirects count as failures.
func (r WebhookResponse) Succeeded() bool { return r.Err == nil && r.Status >= 200 && r.Status <= 299 }

// Record writes the outcome of attempt number attempt (1 for the first of this run) at now.
// final tells that no attempt follows, so a failure fails the delivery; otherwise it waits
// for the next attempt at next.
func (d *WebhookDelivery) Record(r WebhookResponse, final bool, next, now time.Time) {
	d.Attempts++
	d.LastAttemptAt, d.ResponseStatus, d.Duration = now.UTC(), r.Status, r.Duration
	d.ResponseBody = ResponseExcerpt(r.Body)
	d.Error, d.NextAttemptAt = "", time.Time{}
	switch {
	case r.Succeeded():
		d.Status = DeliverySucceeded
		return
	case r.Err != nil:
		d.Error = "No answer: " + r.Err.Error()
	case r.Status >= 300 && r.Status <= 399:
		d.Error = "The endpoint answered " + strconv.Itoa(r.Status) + " (a redirect); redirects are not followed."
	default:
		d.Error = "The endpoint answered " + strconv.Itoa(r.Status) + "."
	}
	if final {
		d.Status = DeliveryFailed
		return
	}
	d.Status, d.NextAttemptAt = DeliveryPending, next.UTC()
}

// Fail ends the delivery without an attempt, for reason (the endpoint was disabled).
func (d *WebhookDelivery) Fail(reason string) {
	d.Status, d.Error, d.NextAttemptAt = DeliveryFailed, reason, time.Time{}
}

// ResponseExcerpt returns the first WebhookResponseKeptBytes of a response body as valid
// UTF-8 without NUL bytes, so it can be stored and shown.
func ResponseExcerpt(b []byte) string {
	if len(b) > WebhookResponseKeptBytes {
		b = b[:WebhookResponseKeptBytes]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
