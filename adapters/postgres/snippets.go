package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// snippets implements ports.Snippets on q.
type snippets struct{ q sqlx.ExtContext }

var _ ports.Snippets = snippets{}

const snippetColumns = `id, company_id, name, content, created_by, version, created_at, updated_at`

type snippetRow struct {
	ID        string         `db:"id"`
	CompanyID string         `db:"company_id"`
	Name      string         `db:"name"`
	Content   string         `db:"content"`
	CreatedBy sql.NullString `db:"created_by"`
	Version   int            `db:"version"`
	CreatedAt time.Time      `db:"created_at"`
	UpdatedAt time.Time      `db:"updated_at"`
}

func (r snippetRow) toSnippet() domain.Snippet {
	return domain.Snippet{ID: domain.SnippetID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), Name: r.Name, Content: r.Content,
		CreatedBy: domain.UserID(r.CreatedBy.String), Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// snippetError translates err, making a second use of a name a problem of the name field.
func snippetError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == "snippets_company_name" {
		return &domain.Error{Code: domain.CodeConflict, Message: "Another snippet has this name.",
			Fields: map[string]string{"name": "is the name of another snippet; choose another"}, Err: err}
	}
	return translate(err, "snippet")
}

// Create implements ports.Snippets.
func (s snippets) Create(ctx context.Context, sn *domain.Snippet) error {
	var id string
	err := sqlx.GetContext(ctx, s.q, &id, `
		INSERT INTO snippets (company_id, name, content, created_by, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		sn.CompanyID, sn.Name, sn.Content, nullUser(sn.CreatedBy), sn.Version, sn.CreatedAt, sn.UpdatedAt)
	if err != nil {
		return snippetError(err)
	}
	sn.ID = domain.SnippetID(id)
	return nil
}

// Get implements ports.Snippets.
func (s snippets) Get(ctx context.Context, company domain.CompanyID, id domain.SnippetID) (domain.Snippet, error) {
	return s.get(ctx, company, id, "")
}

// Lock implements ports.Snippets.
func (s snippets) Lock(ctx context.Context, company domain.CompanyID, id domain.SnippetID) (domain.Snippet, error) {
	return s.get(ctx, company, id, " FOR UPDATE")
}

func (s snippets) get(ctx context.Context, company domain.CompanyID, id domain.SnippetID, lock string) (domain.Snippet, error) {
	if !domain.IsUUID(string(id)) {
		return domain.Snippet{}, domain.Errorf(domain.CodeNotFound, "That snippet does not exist.")
	}
	var r snippetRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+snippetColumns+` FROM snippets WHERE company_id = $1 AND id = $2`+lock, company, id)
	if err != nil {
		return domain.Snippet{}, snippetError(err)
	}
	return r.toSnippet(), nil
}

// List implements ports.Snippets: at most domain.MaxSnippets rows, so no pages.
func (s snippets) List(ctx context.Context, company domain.CompanyID) ([]domain.Snippet, error) {
	var rows []snippetRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+snippetColumns+` FROM snippets
		WHERE company_id = $1 ORDER BY lower(name), id`, company); err != nil {
		return nil, snippetError(err)
	}
	out := make([]domain.Snippet, len(rows))
	for i, r := range rows {
		out[i] = r.toSnippet()
	}
	return out, nil
}

// Count implements ports.Snippets.
func (s snippets) Count(ctx context.Context, company domain.CompanyID) (int, error) {
	var n int
	if err := sqlx.GetContext(ctx, s.q, &n, `SELECT count(*) FROM snippets WHERE company_id = $1`, company); err != nil {
		return 0, snippetError(err)
	}
	return n, nil
}

// Update implements ports.Snippets.
func (s snippets) Update(ctx context.Context, sn domain.Snippet) error {
	res, err := s.q.ExecContext(ctx, `UPDATE snippets SET name = $3, content = $4, version = $5, updated_at = $6
		WHERE company_id = $1 AND id = $2`, sn.CompanyID, sn.ID, sn.Name, sn.Content, sn.Version, sn.UpdatedAt)
	if err != nil {
		return snippetError(err)
	}
	return oneRow(res, "snippet")
}

// Delete implements ports.Snippets.
func (s snippets) Delete(ctx context.Context, company domain.CompanyID, id domain.SnippetID) error {
	if !domain.IsUUID(string(id)) {
		return domain.Errorf(domain.CodeNotFound, "That snippet does not exist.")
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM snippets WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return snippetError(err)
	}
	return oneRow(res, "snippet")
}
