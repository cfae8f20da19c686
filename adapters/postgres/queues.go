package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// queues implements ports.Queues on q.
type queues struct{ q sqlx.ExtContext }

var _ ports.Queues = queues{}

// slotJSON is a queue slot as the queues.slots column keeps it.
type slotJSON struct {
	Weekday    int                `json:"weekday"`
	Time       string             `json:"time"`
	AccountIDs []domain.AccountID `json:"account_ids,omitempty"`
}

func (s queues) read(ctx context.Context, company domain.CompanyID, lock bool) (domain.Queue, error) {
	var r struct {
		Slots   []byte `db:"slots"`
		Version int    `db:"version"`
	}
	query := `SELECT slots, version FROM queues WHERE company_id = $1`
	if lock {
		// The row is created on first use so there is always one to lock; a company that
		// does not exist fails the foreign key (not found).
		if _, err := s.q.ExecContext(ctx, `INSERT INTO queues (company_id) VALUES ($1) ON CONFLICT (company_id) DO NOTHING`, company); err != nil {
			return domain.Queue{}, translate(err, "company")
		}
		query += ` FOR UPDATE`
	}
	err := sqlx.GetContext(ctx, s.q, &r, query, company)
	if errors.Is(err, sql.ErrNoRows) && !lock {
		return domain.Queue{CompanyID: company, Version: 1}, nil
	}
	if err != nil {
		return domain.Queue{}, translate(err, "queue")
	}
	var stored []slotJSON
	if err := json.Unmarshal(r.Slots, &stored); err != nil {
		return domain.Queue{}, fmt.Errorf("postgres: queue slots: %w", err)
	}
	q := domain.Queue{CompanyID: company, Version: r.Version, Slots: make([]domain.QueueSlot, 0, len(stored))}
	for _, sl := range stored {
		h, m, _ := domain.ParseClock(sl.Time) // written only by Save, from valid slots
		q.Slots = append(q.Slots, domain.QueueSlot{Weekday: sl.Weekday, Hour: h, Minute: m, AccountIDs: sl.AccountIDs})
	}
	return q, nil
}

// Get implements ports.Queues.
func (s queues) Get(ctx context.Context, company domain.CompanyID) (domain.Queue, error) {
	return s.read(ctx, company, false)
}

// Lock implements ports.Queues.
func (s queues) Lock(ctx context.Context, company domain.CompanyID) (domain.Queue, error) {
	return s.read(ctx, company, true)
}

// Save implements ports.Queues.
func (s queues) Save(ctx context.Context, q domain.Queue) error {
	stored := make([]slotJSON, len(q.Slots))
	for i, sl := range q.Slots {
		stored[i] = slotJSON{Weekday: sl.Weekday, Time: sl.Time(), AccountIDs: sl.AccountIDs}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("postgres: queue slots: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO queues (company_id, slots, version, updated_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (company_id) DO UPDATE SET slots = excluded.slots, version = excluded.version, updated_at = now()`,
		q.CompanyID, b, q.Version)
	return translateIf(err, "company")
}

// Taken implements ports.Queues.
func (s queues) Taken(ctx context.Context, company domain.CompanyID, since time.Time, except domain.PostID) ([]domain.QueuedTime, error) {
	var rows []struct {
		At       time.Time `db:"scheduled_for"`
		Accounts []byte    `db:"accounts"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT p.scheduled_for,
		       (SELECT coalesce(json_agg(t.account_id), '[]') FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id) AS accounts
		FROM posts p
		WHERE p.company_id = $1 AND p.queued AND p.status = 'scheduled' AND p.scheduled_for > $2 AND p.id::text <> $3
		ORDER BY p.scheduled_for`, company, since, string(except))
	if err != nil {
		return nil, translate(err, "post")
	}
	out := make([]domain.QueuedTime, len(rows))
	for i, r := range rows {
		out[i].At = r.At.UTC()
		if err := json.Unmarshal(r.Accounts, &out[i].Accounts); err != nil {
			return nil, fmt.Errorf("postgres: queued post accounts: %w", err)
		}
	}
	return out, nil
}

// MarkQueued implements ports.Queues.
func (s queues) MarkQueued(ctx context.Context, company domain.CompanyID, post domain.PostID) error {
	res, err := s.q.ExecContext(ctx, `UPDATE posts SET queued = true WHERE company_id = $1 AND id = $2`, company, post)
	if err != nil {
		return translate(err, "post")
	}
	return oneRow(res, "post")
}

// Queued implements ports.Queues.
func (s queues) Queued(ctx context.Context, company domain.CompanyID, since time.Time, limit int) ([]domain.PostID, error) {
	var ids []domain.PostID
	err := sqlx.SelectContext(ctx, s.q, &ids, `
		SELECT id FROM posts WHERE company_id = $1 AND queued AND status = 'scheduled' AND scheduled_for > $2
		ORDER BY scheduled_for, id LIMIT $3`, company, since, limit)
	return ids, translateIf(err, "post")
}
