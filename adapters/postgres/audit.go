package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// audit implements ports.Audit on q.
type audit struct{ q sqlx.ExtContext }

var _ ports.Audit = audit{}

// Record implements ports.Audit. An entry without an IP takes the one of the request
// being served (domain.WithClientIP), so every change by a person says where it came from.
func (s audit) Record(ctx context.Context, e domain.AuditEntry) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("postgres: audit details: %w", err)
	}
	if e.Details == nil {
		details = []byte("{}")
	}
	if e.IP == "" && e.ActorID != "" {
		e.IP = domain.ClientIP(ctx)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO audit_log (company_id, actor_id, ip, action, subject, details, created_at)
		VALUES (nullif($1, '')::uuid, nullif($2, '')::uuid, nullif($3, '')::inet, $4, $5, $6, $7)`,
		string(e.CompanyID), string(e.ActorID), e.IP, e.Action, e.Subject, details, e.At)
	return translateIf(err, "audit entry")
}

// List implements ports.Audit: newest first, keyset-paged by id.
func (s audit) List(ctx context.Context, f domain.AuditFilter, p ports.Page) ([]domain.AuditEntry, string, error) {
	var before int64
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		n, perr := strconv.ParseInt(strings.TrimPrefix(string(raw), "a"), 10, 64)
		if err != nil || perr != nil || !strings.HasPrefix(string(raw), "a") || n <= 0 {
			return nil, "", domain.InvalidField("cursor", "is not a cursor this list gave out")
		}
		before = n
	}
	action, prefix := f.Action, false
	if strings.HasSuffix(action, ".") {
		prefix = true
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	var rows []struct {
		ID        int64     `db:"id"`
		CompanyID *string   `db:"company_id"`
		ActorID   *string   `db:"actor_id"`
		IP        *string   `db:"ip"`
		Action    string    `db:"action"`
		Subject   string    `db:"subject"`
		Details   []byte    `db:"details"`
		CreatedAt time.Time `db:"created_at"`
		Email     *string   `db:"email"`
		Name      *string   `db:"name"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT l.id, l.company_id, l.actor_id, host(l.ip) AS ip, l.action, l.subject, l.details, l.created_at,
		       u.email, u.name
		FROM audit_log l
		LEFT JOIN users u ON u.id = l.actor_id
		WHERE ($1 = '' OR l.company_id = nullif($1, '')::uuid)
		  AND ($2 = '' OR l.actor_id = nullif($2, '')::uuid)
		  AND ($3 = '' OR (NOT $4 AND l.action = $3) OR ($4 AND l.action LIKE $5))
		  AND ($6::timestamptz IS NULL OR l.created_at >= $6)
		  AND ($7::timestamptz IS NULL OR l.created_at < $7)
		  AND ($8 = 0 OR l.id < $8)
		ORDER BY l.id DESC
		LIMIT $9`,
		string(f.CompanyID), string(f.ActorID), action, prefix, escapeLike(action)+"%", from, to, before, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "audit entry")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		next = base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(rows[len(rows)-1].ID, 10)))
	}
	out := make([]domain.AuditEntry, len(rows))
	for i, r := range rows {
		e := domain.AuditEntry{ID: r.ID, Action: r.Action, Subject: r.Subject, At: r.CreatedAt.UTC()}
		if r.CompanyID != nil {
			e.CompanyID = domain.CompanyID(*r.CompanyID)
		}
		if r.ActorID != nil {
			e.ActorID = domain.UserID(*r.ActorID)
		}
		if r.IP != nil {
			e.IP = *r.IP
		}
		if r.Email != nil {
			e.ActorEmail = *r.Email
		}
		if r.Name != nil {
			e.ActorName = *r.Name
		}
		if err := json.Unmarshal(r.Details, &e.Details); err != nil {
			return nil, "", fmt.Errorf("postgres: audit details of entry %d: %w", r.ID, err)
		}
		out[i] = e
	}
	return out, next, nil
}

// escapeLike quotes LIKE's wildcards so a filter matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
