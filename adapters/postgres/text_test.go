package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestTranslate_BadTextIsInvalidNotInternal: text PostgreSQL cannot store (a NUL in a text
// column or in JSON, bytes that are not UTF-8) is CodeInvalid (422), never an internal error
// (500) or not found (404). The edges refuse it first; this is the defence behind them.
func TestTranslate_BadTextIsInvalidNotInternal(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	c := newFixture(t, db).company // with its owner: other tests list every company of this database
	for name, fn := range map[string]func(tx ports.Tx) error{
		"NUL in JSON settings": func(tx ports.Tx) error {
			return tx.Companies().SetSettings(ctx, c.ID, map[string]string{"brand.voice": "warm\x00"})
		},
		"NUL in a text column": func(tx ports.Tx) error {
			return tx.Companies().Create(ctx, &domain.Company{Name: "a\x00b", Plan: domain.PlanFree, Status: domain.CompanyActive, Settings: map[string]string{}, CreatedAt: time.Now()})
		},
		"bytes that are not UTF-8": func(tx ports.Tx) error {
			return tx.Companies().Create(ctx, &domain.Company{Name: "a\xffb", Plan: domain.PlanFree, Status: domain.CompanyActive, Settings: map[string]string{}, CreatedAt: time.Now()})
		},
	} {
		if err := db.InTx(ctx, fn); domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("%s: %v (code %s), want invalid", name, err, domain.CodeOf(err))
		}
	}
}
