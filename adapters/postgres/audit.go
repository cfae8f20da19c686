package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// audit implements ports.Audit on q.
type audit struct{ q sqlx.ExtContext }

var _ ports.Audit = audit{}

// Record implements ports.Audit.
func (s audit) Record(ctx context.Context, e domain.AuditEntry) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("postgres: audit details: %w", err)
	}
	if e.Details == nil {
		details = []byte("{}")
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO audit_log (company_id, actor_id, action, subject, details, created_at)
		VALUES (nullif($1, '')::uuid, nullif($2, '')::uuid, $3, $4, $5, $6)`,
		string(e.CompanyID), string(e.ActorID), e.Action, e.Subject, details, e.At)
	return translateIf(err, "audit entry")
}
