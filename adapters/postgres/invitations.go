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

const invitationColumns = `id, company_id, email, role, coalesce(invited_by::text, '') AS invited_by, created_at, expires_at`

type invitationRow struct {
	ID          string    `db:"id"`
	CompanyID   string    `db:"company_id"`
	CompanyName string    `db:"company_name"`
	Email       string    `db:"email"`
	Role        string    `db:"role"`
	InvitedBy   string    `db:"invited_by"`
	CreatedAt   time.Time `db:"created_at"`
	ExpiresAt   time.Time `db:"expires_at"`
}

func (r invitationRow) toInvitation() domain.Invitation {
	return domain.Invitation{ID: domain.InvitationID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), CompanyName: r.CompanyName,
		Email: r.Email, Role: domain.Role(r.Role), InvitedBy: domain.UserID(r.InvitedBy), CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

func toInvitations(rows []invitationRow) []domain.Invitation {
	out := make([]domain.Invitation, len(rows))
	for i, r := range rows {
		out[i] = r.toInvitation()
	}
	return out
}

// Create implements ports.Invitations.
func (s invitations) Create(ctx context.Context, inv *domain.Invitation, hash []byte) error {
	var r invitationRow
	err := sqlx.GetContext(ctx, s.q, &r, `
		INSERT INTO invitations (company_id, email, role, invited_by, created_at, token_hash, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (company_id, email) DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by,
			created_at = EXCLUDED.created_at, token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at
		RETURNING `+invitationColumns, inv.CompanyID, inv.Email, inv.Role, inv.InvitedBy, inv.CreatedAt, hash, inv.ExpiresAt)
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

// Renew implements ports.Invitations.
func (s invitations) Renew(ctx context.Context, company domain.CompanyID, id domain.InvitationID, hash []byte, expires, now time.Time) (domain.Invitation, error) {
	var r invitationRow
	err := sqlx.GetContext(ctx, s.q, &r, `UPDATE invitations SET token_hash = $3, expires_at = $4, created_at = $5
		WHERE company_id = $1 AND id = $2 RETURNING `+invitationColumns, company, id, hash, expires, now)
	if err != nil {
		return domain.Invitation{}, translate(err, "invitation")
	}
	return r.toInvitation(), nil
}

// Delete implements ports.Invitations.
func (s invitations) Delete(ctx context.Context, company domain.CompanyID, id domain.InvitationID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM invitations WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "invitation")
	}
	return oneRow(res, "invitation")
}

// ByToken implements ports.Invitations.
func (s invitations) ByToken(ctx context.Context, hash []byte, now time.Time) (domain.Invitation, error) {
	var r invitationRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT i.id, i.company_id, c.name AS company_name, i.email, i.role,
		       coalesce(i.invited_by::text, '') AS invited_by, i.created_at, i.expires_at
		FROM invitations i JOIN companies c ON c.id = i.company_id
		WHERE i.token_hash = $1 AND i.expires_at > $2`, hash, now)
	if err != nil {
		return domain.Invitation{}, translate(err, "invitation")
	}
	return r.toInvitation(), nil
}

// Take implements ports.Invitations. Under READ COMMITTED a second DELETE of the same row
// waits for the first and then finds nothing, so only one taker gets the invitation.
func (s invitations) Take(ctx context.Context, company domain.CompanyID, hash []byte, now time.Time) (domain.Invitation, error) {
	var r invitationRow
	err := sqlx.GetContext(ctx, s.q, &r, `DELETE FROM invitations WHERE company_id = $1 AND token_hash = $2 AND expires_at > $3
		RETURNING `+invitationColumns, company, hash, now)
	if err != nil {
		return domain.Invitation{}, translate(err, "invitation")
	}
	return r.toInvitation(), nil
}
