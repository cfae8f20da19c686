package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// webhooks implements ports.Webhooks on q.
type webhooks struct{ q sqlx.ExtContext }

var _ ports.Webhooks = webhooks{}

const endpointColumns = `id, company_id, url, to_json(events) AS events, description, status, disabled_reason, failing_since, consecutive_failures,
	last_attempt_at, last_response_status, previous_secret_until, version, coalesce(created_by::text, '') AS created_by, created_at, updated_at`

type endpointRow struct {
	ID                  string       `db:"id"`
	CompanyID           string       `db:"company_id"`
	URL                 string       `db:"url"`
	Events              jsonStrings  `db:"events"`
	Description         string       `db:"description"`
	Status              string       `db:"status"`
	DisabledReason      string       `db:"disabled_reason"`
	FailingSince        sql.NullTime `db:"failing_since"`
	ConsecutiveFailures int          `db:"consecutive_failures"`
	LastAttemptAt       sql.NullTime `db:"last_attempt_at"`
	LastResponseStatus  int          `db:"last_response_status"`
	PreviousSecretUntil sql.NullTime `db:"previous_secret_until"`
	Version             int          `db:"version"`
	CreatedBy           string       `db:"created_by"`
	CreatedAt           time.Time    `db:"created_at"`
	UpdatedAt           time.Time    `db:"updated_at"`
}

func (r endpointRow) toEndpoint() domain.WebhookEndpoint {
	e := domain.WebhookEndpoint{ID: domain.WebhookEndpointID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), URL: r.URL,
		Description: r.Description, Status: domain.WebhookStatus(r.Status), DisabledReason: r.DisabledReason,
		ConsecutiveFailures: r.ConsecutiveFailures, LastResponseStatus: r.LastResponseStatus, Version: r.Version,
		CreatedBy: domain.UserID(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		FailingSince: utc(r.FailingSince), LastAttemptAt: utc(r.LastAttemptAt), PreviousSecretUntil: utc(r.PreviousSecretUntil)}
	for _, t := range r.Events {
		e.Events = append(e.Events, domain.EventType(t))
	}
	return e
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// jsonStrings scans a JSON array of strings (a text[] column read through to_json).
type jsonStrings []string

// Scan implements sql.Scanner.
func (j *jsonStrings) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		return json.Unmarshal(v, j)
	case string:
		return json.Unmarshal([]byte(v), j)
	}
	return fmt.Errorf("postgres: cannot scan %T as a JSON array", src)
}

func eventNames(ts []domain.EventType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// Create implements ports.Webhooks.
func (s webhooks) Create(ctx context.Context, e *domain.WebhookEndpoint) error {
	var r endpointRow
	err := sqlx.GetContext(ctx, s.q, &r, `
		INSERT INTO webhook_endpoints (company_id, url, events, description, status, disabled_reason, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::uuid, $8, $8)
		RETURNING `+endpointColumns, e.CompanyID, e.URL, eventNames(e.Events), e.Description, e.Status, e.DisabledReason, string(e.CreatedBy), e.CreatedAt)
	if err != nil {
		return translate(err, "webhook endpoint")
	}
	*e = r.toEndpoint()
	return nil
}

// Get implements ports.Webhooks.
func (s webhooks) Get(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (domain.WebhookEndpoint, error) {
	return s.get(ctx, company, id, "")
}

// Lock implements ports.Webhooks.
func (s webhooks) Lock(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (domain.WebhookEndpoint, error) {
	return s.get(ctx, company, id, " FOR UPDATE")
}

func (s webhooks) get(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID, lock string) (domain.WebhookEndpoint, error) {
	var r endpointRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE company_id = $1 AND id = $2`+lock, company, id)
	if err != nil {
		return domain.WebhookEndpoint{}, translate(err, "webhook endpoint")
	}
	return r.toEndpoint(), nil
}

// List implements ports.Webhooks.
func (s webhooks) List(ctx context.Context, company domain.CompanyID) ([]domain.WebhookEndpoint, error) {
	var rows []endpointRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE company_id = $1 ORDER BY created_at, id`, company)
	if err != nil {
		return nil, translate(err, "webhook endpoint")
	}
	out := make([]domain.WebhookEndpoint, len(rows))
	for i, r := range rows {
		out[i] = r.toEndpoint()
	}
	return out, nil
}

// Update implements ports.Webhooks.
func (s webhooks) Update(ctx context.Context, e domain.WebhookEndpoint) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE webhook_endpoints SET events = $3, description = $4, status = $5, disabled_reason = $6, failing_since = $7,
		    consecutive_failures = $8, last_attempt_at = $9, last_response_status = $10, version = $11, updated_at = $12
		WHERE company_id = $1 AND id = $2`, e.CompanyID, e.ID, eventNames(e.Events), e.Description, e.Status, e.DisabledReason,
		nullTime(e.FailingSince), e.ConsecutiveFailures, nullTime(e.LastAttemptAt), e.LastResponseStatus, e.Version, e.UpdatedAt)
	if err != nil {
		return translate(err, "webhook endpoint")
	}
	return oneRow(res, "webhook endpoint")
}

// Delete implements ports.Webhooks.
func (s webhooks) Delete(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "webhook endpoint")
	}
	return oneRow(res, "webhook endpoint")
}

// Secrets implements ports.Webhooks.
func (s webhooks) Secrets(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID) (ports.SealedWebhookSecrets, error) {
	var r struct {
		Current  []byte       `db:"secret"`
		Previous []byte       `db:"previous_secret"`
		Until    sql.NullTime `db:"previous_secret_until"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT secret, previous_secret, previous_secret_until FROM webhook_endpoints
		WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return ports.SealedWebhookSecrets{}, translate(err, "webhook endpoint")
	}
	return ports.SealedWebhookSecrets{Current: r.Current, Previous: r.Previous, PreviousUntil: utc(r.Until)}, nil
}

// SetSecrets implements ports.Webhooks.
func (s webhooks) SetSecrets(ctx context.Context, company domain.CompanyID, id domain.WebhookEndpointID, sec ports.SealedWebhookSecrets) error {
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = $3, previous_secret = $4, previous_secret_until = $5
		WHERE company_id = $1 AND id = $2`, company, id, sec.Current, nilIfEmpty(sec.Previous), nullTime(sec.PreviousUntil))
	if err != nil {
		return translate(err, "webhook endpoint")
	}
	return oneRow(res, "webhook endpoint")
}

// Subscribed implements ports.Webhooks.
func (s webhooks) Subscribed(ctx context.Context, company domain.CompanyID, t domain.EventType) ([]domain.WebhookEndpointID, error) {
	var ids []domain.WebhookEndpointID
	err := sqlx.SelectContext(ctx, s.q, &ids, `SELECT id FROM webhook_endpoints
		WHERE company_id = $1 AND status = 'enabled' AND $2 = ANY(events) ORDER BY created_at, id`, company, string(t))
	if err != nil {
		return nil, translate(err, "webhook endpoint")
	}
	return ids, nil
}

// AddEvent implements ports.Webhooks.
func (s webhooks) AddEvent(ctx context.Context, ev *domain.WebhookEvent) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return fmt.Errorf("postgres: webhook event data: %w", err)
	}
	if ev.Data == nil {
		data = []byte("{}")
	}
	err = sqlx.GetContext(ctx, s.q, &ev.ID, `INSERT INTO webhook_events (company_id, type, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		ev.CompanyID, string(ev.Type), data, ev.At)
	return translateIf(err, "webhook event")
}

// Event implements ports.Webhooks.
func (s webhooks) Event(ctx context.Context, company domain.CompanyID, id domain.WebhookEventID) (domain.WebhookEvent, error) {
	var r struct {
		ID        string    `db:"id"`
		CompanyID string    `db:"company_id"`
		Type      string    `db:"type"`
		Data      []byte    `db:"data"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT id, company_id, type, data, created_at FROM webhook_events
		WHERE company_id = $1 AND id = $2`, company, id); err != nil {
		return domain.WebhookEvent{}, translate(err, "webhook event")
	}
	ev := domain.WebhookEvent{ID: domain.WebhookEventID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), Type: domain.EventType(r.Type), At: r.CreatedAt.UTC()}
	if err := json.Unmarshal(r.Data, &ev.Data); err != nil {
		return domain.WebhookEvent{}, fmt.Errorf("postgres: webhook event %s data: %w", r.ID, err)
	}
	return ev, nil
}

// AddDeliveries implements ports.Webhooks.
func (s webhooks) AddDeliveries(ctx context.Context, ev domain.WebhookEvent, endpoints []domain.WebhookEndpointID) ([]domain.WebhookDeliveryID, error) {
	if len(endpoints) == 0 {
		return nil, nil
	}
	ids := make([]string, len(endpoints))
	for i, e := range endpoints {
		ids[i] = string(e)
	}
	var out []domain.WebhookDeliveryID
	err := sqlx.SelectContext(ctx, s.q, &out, `
		INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id, event_type, created_at, updated_at)
		SELECT $1, e, $2, $3, $4, $4 FROM unnest($5::uuid[]) WITH ORDINALITY AS t(e, n) ORDER BY n
		RETURNING id`, ev.CompanyID, ev.ID, string(ev.Type), ev.At, ids)
	if err != nil {
		return nil, translate(err, "webhook delivery")
	}
	return out, nil
}

const deliveryColumns = `id, company_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_attempt_at,
	response_status, response_body, error, duration_ms, created_at`

type deliveryRow struct {
	ID             string       `db:"id"`
	CompanyID      string       `db:"company_id"`
	EndpointID     string       `db:"endpoint_id"`
	EventID        string       `db:"event_id"`
	EventType      string       `db:"event_type"`
	Status         string       `db:"status"`
	Attempts       int          `db:"attempts"`
	NextAttemptAt  sql.NullTime `db:"next_attempt_at"`
	LastAttemptAt  sql.NullTime `db:"last_attempt_at"`
	ResponseStatus int          `db:"response_status"`
	ResponseBody   string       `db:"response_body"`
	Error          string       `db:"error"`
	DurationMS     int64        `db:"duration_ms"`
	CreatedAt      time.Time    `db:"created_at"`
}

func (r deliveryRow) toDelivery() domain.WebhookDelivery {
	return domain.WebhookDelivery{ID: domain.WebhookDeliveryID(r.ID), CompanyID: domain.CompanyID(r.CompanyID),
		EndpointID: domain.WebhookEndpointID(r.EndpointID), EventID: domain.WebhookEventID(r.EventID), EventType: domain.EventType(r.EventType),
		Status: domain.DeliveryStatus(r.Status), Attempts: r.Attempts, NextAttemptAt: utc(r.NextAttemptAt), LastAttemptAt: utc(r.LastAttemptAt),
		ResponseStatus: r.ResponseStatus, ResponseBody: r.ResponseBody, Error: r.Error, Duration: time.Duration(r.DurationMS) * time.Millisecond,
		CreatedAt: r.CreatedAt.UTC()}
}

// Delivery implements ports.Webhooks.
func (s webhooks) Delivery(ctx context.Context, company domain.CompanyID, id domain.WebhookDeliveryID) (domain.WebhookDelivery, error) {
	var r deliveryRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return domain.WebhookDelivery{}, translate(err, "webhook delivery")
	}
	return r.toDelivery(), nil
}

// SaveDelivery implements ports.Webhooks.
func (s webhooks) SaveDelivery(ctx context.Context, d domain.WebhookDelivery) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_attempt_at = $6, response_status = $7,
		    response_body = $8, error = $9, duration_ms = $10, updated_at = now()
		WHERE company_id = $1 AND id = $2`, d.CompanyID, d.ID, d.Status, d.Attempts, nullTime(d.NextAttemptAt), nullTime(d.LastAttemptAt),
		d.ResponseStatus, d.ResponseBody, truncate(d.Error, 1000), d.Duration.Milliseconds())
	if err != nil {
		return translate(err, "webhook delivery")
	}
	return oneRow(res, "webhook delivery")
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Deliveries implements ports.Webhooks: keyset pagination on (created_at, id), newest first.
func (s webhooks) Deliveries(ctx context.Context, company domain.CompanyID, endpoint domain.WebhookEndpointID, f ports.DeliveryFilter, p ports.Page) ([]domain.WebhookDelivery, string, error) {
	before, beforeID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []deliveryRow
	err = sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE company_id = $1 AND endpoint_id = $2
		  AND ($3 = '' OR status = $3)
		  AND ($4 = '' OR event_type = $4)
		  AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $7`, company, endpoint, string(f.Status), string(f.EventType), before, beforeID, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "webhook delivery")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]domain.WebhookDelivery, len(rows))
	for i, r := range rows {
		out[i] = r.toDelivery()
	}
	return out, next, nil
}
