package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// companies implements ports.Companies on q.
type companies struct{ q sqlx.ExtContext }

var _ ports.Companies = companies{}

const companyColumns = `id, name, plan, status, status_reason, status_changed_at, settings, version, created_at`

type companyRow struct {
	ID              string     `db:"id"`
	Name            string     `db:"name"`
	Plan            string     `db:"plan"`
	Status          string     `db:"status"`
	StatusReason    string     `db:"status_reason"`
	StatusChangedAt *time.Time `db:"status_changed_at"`
	Settings        []byte     `db:"settings"`
	Version         int        `db:"version"`
	CreatedAt       time.Time  `db:"created_at"`
}

func (r companyRow) toCompany() domain.Company {
	settings := map[string]string{}
	_ = json.Unmarshal(r.Settings, &settings) // the column is written only from a map[string]string
	c := domain.Company{ID: domain.CompanyID(r.ID), Name: r.Name, Plan: domain.Plan(r.Plan), Status: domain.CompanyStatus(r.Status),
		StatusReason: r.StatusReason, Settings: settings, Version: r.Version, CreatedAt: r.CreatedAt.UTC()}
	if r.StatusChangedAt != nil {
		c.StatusChangedAt = r.StatusChangedAt.UTC()
	}
	return c
}

// Create implements ports.Companies.
func (s companies) Create(ctx context.Context, c *domain.Company) error {
	settings, err := json.Marshal(c.Settings)
	if err != nil {
		return fmt.Errorf("postgres: company settings: %w", err)
	}
	err = s.q.QueryRowxContext(ctx, `
		INSERT INTO companies (name, plan, status, settings, created_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING id, version`, c.Name, c.Plan, c.Status, settings, c.CreatedAt).Scan(&c.ID, &c.Version)
	return translateIf(err, "company")
}

// Get implements ports.Companies.
func (s companies) Get(ctx context.Context, id domain.CompanyID) (domain.Company, error) {
	return s.get(ctx, id, "")
}

// Lock implements ports.Companies.
func (s companies) Lock(ctx context.Context, id domain.CompanyID) (domain.Company, error) {
	return s.get(ctx, id, "FOR UPDATE")
}

func (s companies) get(ctx context.Context, id domain.CompanyID, lock string) (domain.Company, error) {
	var r companyRow
	if err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+companyColumns+` FROM companies WHERE id = $1 `+lock, id); err != nil {
		return domain.Company{}, translate(err, "company")
	}
	return r.toCompany(), nil
}

// Update implements ports.Companies.
func (s companies) Update(ctx context.Context, c domain.Company) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE companies SET plan = $2, status = $3, status_reason = $4, status_changed_at = $5, version = version + 1, updated_at = now()
		WHERE id = $1`, c.ID, c.Plan, c.Status, c.StatusReason, nullTime(c.StatusChangedAt))
	if err != nil {
		return translate(err, "company")
	}
	return oneRow(res, "company")
}

// SetSettings implements ports.Companies.
func (s companies) SetSettings(ctx context.Context, id domain.CompanyID, settings map[string]string) error {
	raw, err := json.Marshal(settings)
	if err != nil {
		return fmt.Errorf("postgres: company settings: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE companies SET settings = $2, version = version + 1, updated_at = now() WHERE id = $1`, id, raw)
	if err != nil {
		return translate(err, "company")
	}
	return oneRow(res, "company")
}

// Rename implements ports.Companies.
func (s companies) Rename(ctx context.Context, id domain.CompanyID, name string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE companies SET name = $2, version = version + 1, updated_at = now() WHERE id = $1`, id, name)
	if err != nil {
		return translate(err, "company")
	}
	return oneRow(res, "company")
}

// summarySelect reads companies with their counts: one indexed lookup per count and row
// (memberships and invitations by their keys, live accounts by a partial index, posts by
// company, the month's counted posts and AI usage by (company, month)), so a page of
// companies costs one query whatever their number.
const summarySelect = `
	SELECT c.id, c.name, c.plan, c.status, c.status_reason, c.status_changed_at, c.settings, c.version, c.created_at,
	       (SELECT count(*) FROM memberships m WHERE m.company_id = c.id) AS members,
	       (SELECT count(*) FROM invitations i WHERE i.company_id = c.id) AS invitations,
	       (SELECT count(*) FROM social_accounts a WHERE a.company_id = c.id AND a.status <> 'disconnected') AS accounts,
	       (SELECT count(*) FROM posts p WHERE p.company_id = c.id) AS posts,
	       (SELECT count(*) FROM scheduled_post_counts s WHERE s.company_id = c.id AND s.month = $1::date) AS scheduled_posts,
	       coalesce((SELECT u.prompt_tokens + u.completion_tokens FROM ai_usage u WHERE u.company_id = c.id AND u.month = $1::date), 0) AS ai_tokens
	FROM companies c`

type summaryRow struct {
	companyRow
	Members        int   `db:"members"`
	Invitations    int   `db:"invitations"`
	Accounts       int   `db:"accounts"`
	Posts          int   `db:"posts"`
	ScheduledPosts int   `db:"scheduled_posts"`
	AITokens       int64 `db:"ai_tokens"`
}

func (r summaryRow) toSummary(month time.Time) domain.CompanySummary {
	return domain.CompanySummary{Company: r.toCompany(), Members: r.Members, Accounts: r.Accounts, Posts: r.Posts,
		Usage: domain.PlanUsage{Month: month, Accounts: r.Accounts, Members: r.Members + r.Invitations, ScheduledPosts: r.ScheduledPosts, AITokens: r.AITokens}}
}

// Delete implements ports.Companies. The foreign keys cascade from companies to every
// tenant table, so no row of the company is left behind.
func (s companies) Delete(ctx context.Context, id domain.CompanyID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM companies WHERE id = $1`, id)
	if err != nil {
		return translate(err, "company")
	}
	if err := oneRow(res, "company"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, id)
}

// List implements ports.Companies: keyset pagination on (created_at, id).
func (s companies) List(ctx context.Context, p ports.Page, month time.Time) ([]domain.CompanySummary, string, error) {
	after, afterID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	month = domain.MonthOf(month)
	var rows []summaryRow
	err = sqlx.SelectContext(ctx, s.q, &rows, summarySelect+`
		WHERE ($2::timestamptz IS NULL OR (c.created_at, c.id) > ($2, $3::uuid))
		ORDER BY c.created_at, c.id
		LIMIT $4`, month, after, afterID, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "company")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]domain.CompanySummary, len(rows))
	for i, r := range rows {
		out[i] = r.toSummary(month)
	}
	return out, next, nil
}

// Summary implements ports.Companies.
func (s companies) Summary(ctx context.Context, id domain.CompanyID, month time.Time) (domain.CompanySummary, error) {
	month = domain.MonthOf(month)
	var r summaryRow
	if err := sqlx.GetContext(ctx, s.q, &r, summarySelect+` WHERE c.id = $2`, month, id); err != nil {
		return domain.CompanySummary{}, translate(err, "company")
	}
	return r.toSummary(month), nil
}

// encodeCursor and decodeCursor turn a keyset position into an opaque string and back.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(cursor string) (*time.Time, *string, error) {
	if cursor == "" {
		return nil, nil, nil
	}
	bad := domain.InvalidField("cursor", "is not a cursor this list gave out")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, nil, bad
	}
	at, id, ok := strings.Cut(string(raw), "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || !domain.IsUUID(id) {
		return nil, nil, bad
	}
	return &t, &id, nil
}

// translateIf is translate for a possibly nil error.
func translateIf(err error, what string) error {
	if err == nil {
		return nil
	}
	return translate(err, what)
}
