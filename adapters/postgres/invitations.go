package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// invitations implements ports.Invitations on q.
type invitations struct{ q sqlx.ExtContext }

var _ ports.Invitations = invitations{}

const invitationColumns = `id, company_id, email, role, coalesce(invited_by::text, '') AS invited_by, created_at`

type invitationRow struct {
	ID        string    `db:"id"`
	CompanyID string    `db:"company_id"`
	Email     string    `db:"email"`
	Role      string    `db:"role"`
	InvitedBy string    `db:"invited_by"`
	CreatedAt time.Time `db:"created_at"`
}

func (r invitationRow) toInvitation() domain.Invitation {
	return domain.Invitation{ID: domain.InvitationID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), Email: r.Email,
		Role: domain.Role(r.Role), InvitedBy: domain.UserID(r.InvitedBy), CreatedAt: r.CreatedAt.UTC()}
}

func toInvitations(rows []invitationRow) []domain.Invitation {
	out := make([]domain.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.toInvitation()
	}
	return out
}

// Create implements ports.Invitations: inviting the same email again renews the role.
func (s invitations) Create(ctx context.Context, inv *domain.Invitation) error {
	var r invitationRow
	err := sqlx.GetContext(ctx, s.q, &r, `
		INSERT INTO invitations (company_id, email, role, invited_by, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (company_id, email) DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by
		RETURNING `+invitationColumns, inv.CompanyID, inv.Email, inv.Role, inv.InvitedBy, inv.CreatedAt)
	if err != nil {
		return translate(err, "invitation")
	}
	*inv = r.toInvitation()
	return nil
}

// List implements ports.Invitations.
func (s invitations) List(ctx context.Context, company domain.CompanyID) ([]domain.Invitation, error) {
	var rows []invitationRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+invitationColumns+` FROM invitations
		WHERE company_id = $1 ORDER BY created_at, id`, company)
	if err != nil {
		return nil, translate(err, "invitation")
	}
	return toInvitations(rows), nil
}

// Take implements ports.Invitations. It is the one query not scoped to a company: a new
// person joins every company that invited their email.
func (s invitations) Take(ctx context.Context, email string) ([]domain.Invitation, error) {
	var rows []invitationRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `DELETE FROM invitations WHERE email = $1 RETURNING `+invitationColumns, email)
	if err != nil {
		return nil, translate(err, "invitation")
	}
	return toInvitations(rows), nil
}

// Delete implements ports.Invitations.
func (s invitations) Delete(ctx context.Context, company domain.CompanyID, email string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM invitations WHERE company_id = $1 AND email = $2`, company, email)
	if err != nil {
		return translate(err, "invitation")
	}
	return oneRow(res, "invitation")
}
