package postgres

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// AuthzChannel is the PostgreSQL notification channel that tells every Herald instance a
// company's role assignments changed; the payload is the company id ("" for superadmins).
const AuthzChannel = "herald_authz"

// memberships implements ports.Memberships on q. Every change notifies AuthzChannel in
// the same transaction, so other instances hear of it exactly when it commits.
type memberships struct{ q sqlx.ExtContext }

var _ ports.Memberships = memberships{}

type membershipRow struct {
	CompanyID   string    `db:"company_id"`
	CompanyName string    `db:"company_name"`
	Status      string    `db:"company_status"`
	Reason      string    `db:"company_status_reason"`
	Plan        string    `db:"company_plan"`
	UserID      string    `db:"user_id"`
	Role        string    `db:"role"`
	Approver    bool      `db:"approver"`
	JoinedAt    time.Time `db:"joined_at"`
	Version     int       `db:"version"`
}

func (r membershipRow) toMembership() domain.Membership {
	return domain.Membership{CompanyID: domain.CompanyID(r.CompanyID), CompanyName: r.CompanyName,
		CompanyStatus: domain.CompanyStatus(r.Status), CompanyStatusReason: r.Reason, CompanyPlan: domain.Plan(r.Plan),
		UserID: domain.UserID(r.UserID), Role: domain.Role(r.Role), Approver: r.Approver, JoinedAt: r.JoinedAt.UTC(), Version: r.Version}
}

func notifyAuthz(ctx context.Context, q sqlx.ExtContext, company domain.CompanyID) error {
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, AuthzChannel, string(company)); err != nil {
		return translate(err, "notification")
	}
	return nil
}

// Add implements ports.Memberships.
func (s memberships) Add(ctx context.Context, m domain.Membership) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO memberships (company_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)`,
		m.CompanyID, m.UserID, m.Role, m.JoinedAt)
	if domain.CodeOf(translateIf(err, "member")) == domain.CodeConflict {
		return &domain.Error{Code: domain.CodeConflict, Message: "This person is already a member.",
			Fields: map[string]string{"email": "is already a member"}, Err: err}
	}
	if err != nil {
		return translate(err, "member")
	}
	return notifyAuthz(ctx, s.q, m.CompanyID)
}

const membershipSelect = `
	SELECT m.company_id, c.name AS company_name, c.status AS company_status, c.status_reason AS company_status_reason, c.plan AS company_plan, m.user_id, m.role, m.approver, m.joined_at, m.version
	FROM memberships m JOIN companies c ON c.id = m.company_id`

// Get implements ports.Memberships.
func (s memberships) Get(ctx context.Context, company domain.CompanyID, user domain.UserID) (domain.Membership, error) {
	var r membershipRow
	err := sqlx.GetContext(ctx, s.q, &r, membershipSelect+` WHERE m.company_id = $1 AND m.user_id = $2`, company, user)
	if err != nil {
		return domain.Membership{}, translate(err, "company")
	}
	return r.toMembership(), nil
}

// ForUser implements ports.Memberships.
func (s memberships) ForUser(ctx context.Context, user domain.UserID) ([]domain.Membership, error) {
	var rows []membershipRow
	err := sqlx.SelectContext(ctx, s.q, &rows, membershipSelect+` WHERE m.user_id = $1 ORDER BY c.name, c.id`, user)
	if err != nil {
		return nil, translate(err, "membership")
	}
	out := make([]domain.Membership, len(rows))
	for i, r := range rows {
		out[i] = r.toMembership()
	}
	return out, nil
}

// Members implements ports.Memberships.
func (s memberships) Members(ctx context.Context, company domain.CompanyID) ([]domain.Member, error) {
	var rows []struct {
		userRow
		Role     string    `db:"role"`
		Approver bool      `db:"approver"`
		JoinedAt time.Time `db:"joined_at"`
		Version  int       `db:"version"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT u.id, u.email, u.name, u.is_superadmin, u.time_zone, u.created_at, u.email_verified_at, m.role, m.approver, m.joined_at, m.version
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.company_id = $1
		ORDER BY m.joined_at, u.id`, company)
	if err != nil {
		return nil, translate(err, "member")
	}
	out := make([]domain.Member, len(rows))
	for i, r := range rows {
		out[i] = domain.Member{User: r.toUser(), Role: domain.Role(r.Role), Approver: r.Approver, JoinedAt: r.JoinedAt.UTC(), Version: r.Version}
	}
	return out, nil
}

// Owners implements ports.Memberships.
func (s memberships) Owners(ctx context.Context, company domain.CompanyID) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `SELECT count(*) FROM memberships WHERE company_id = $1 AND role = 'owner'`, company)
	if err != nil {
		return 0, translate(err, "member")
	}
	return n, nil
}

// SetRole implements ports.Memberships.
func (s memberships) SetRole(ctx context.Context, company domain.CompanyID, user domain.UserID, role domain.Role) error {
	res, err := s.q.ExecContext(ctx, `UPDATE memberships SET role = $3, version = version + 1 WHERE company_id = $1 AND user_id = $2`, company, user, role)
	if err != nil {
		return translate(err, "member")
	}
	if err := oneRow(res, "member"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, company)
}

// SetApprover implements ports.Memberships.
func (s memberships) SetApprover(ctx context.Context, company domain.CompanyID, user domain.UserID, approver bool) error {
	res, err := s.q.ExecContext(ctx, `UPDATE memberships SET approver = $3, version = version + 1 WHERE company_id = $1 AND user_id = $2`, company, user, approver)
	if err != nil {
		return translate(err, "member")
	}
	if err := oneRow(res, "member"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, company)
}

// Remove implements ports.Memberships.
func (s memberships) Remove(ctx context.Context, company domain.CompanyID, user domain.UserID) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM memberships WHERE company_id = $1 AND user_id = $2`, company, user)
	if err != nil {
		return translate(err, "member")
	}
	if err := oneRow(res, "member"); err != nil {
		return err
	}
	return notifyAuthz(ctx, s.q, company)
}
