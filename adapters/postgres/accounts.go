package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// accounts implements ports.Accounts on q.
type accounts struct{ q sqlx.ExtContext }

var _ ports.Accounts = accounts{}

const accountColumns = `id, company_id, platform, external_id, display_name, status, status_reason, token_expires_at, connected_at, updated_at, token_lost_at,
	last_success_at, (refresh_token IS NOT NULL) AS has_refresh_token, to_json(scopes) AS scopes`

type accountRow struct {
	ID             string       `db:"id"`
	CompanyID      string       `db:"company_id"`
	Platform       string       `db:"platform"`
	ExternalID     string       `db:"external_id"`
	DisplayName    string       `db:"display_name"`
	Status         string       `db:"status"`
	StatusReason   string       `db:"status_reason"`
	TokenExpiresAt sql.NullTime `db:"token_expires_at"`
	ConnectedAt    time.Time    `db:"connected_at"`
	UpdatedAt      time.Time    `db:"updated_at"`
	TokenLostAt    sql.NullTime `db:"token_lost_at"`
	LastSuccessAt  sql.NullTime `db:"last_success_at"`
	HasRefresh     bool         `db:"has_refresh_token"`
	Scopes         jsonStrings  `db:"scopes"`
}

func (r accountRow) toAccount() domain.Account {
	a := domain.Account{ID: domain.AccountID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), Platform: domain.Platform(r.Platform),
		ExternalID: r.ExternalID, DisplayName: r.DisplayName, Status: domain.AccountStatus(r.Status), StatusReason: r.StatusReason,
		ConnectedAt: r.ConnectedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), HasRefreshToken: r.HasRefresh, Scopes: []string(r.Scopes)}
	if r.TokenExpiresAt.Valid {
		a.TokenExpiresAt = r.TokenExpiresAt.Time.UTC()
	}
	if r.TokenLostAt.Valid {
		a.TokenLostAt = r.TokenLostAt.Time.UTC()
	}
	if r.LastSuccessAt.Valid {
		a.LastSuccessAt = r.LastSuccessAt.Time.UTC()
	}
	return a
}

// Connect implements ports.Accounts. A reconnect keeps the stored refresh token when the
// platform gave none (Postiz PR 1884 lost it).
func (s accounts) Connect(ctx context.Context, a *domain.Account, sealed ports.Sealed) error {
	var r accountRow
	err := sqlx.GetContext(ctx, s.q, &r, `
		INSERT INTO social_accounts (company_id, platform, external_id, display_name, status, status_reason,
		                             access_token, refresh_token, token_expires_at, connected_at, updated_at, scopes)
		VALUES ($1, $2, $3, $4, 'active', '', $5, $6, $7, $8, $8, $9)
		ON CONFLICT (company_id, platform, external_id) DO UPDATE SET
		    display_name = excluded.display_name, status = 'active', status_reason = '',
		    refresh_lease_until = NULL, refresh_started_at = NULL, token_lost_at = NULL,
		    access_token = excluded.access_token,
		    refresh_token = coalesce(excluded.refresh_token, social_accounts.refresh_token),
		    token_expires_at = excluded.token_expires_at, connected_at = excluded.connected_at, updated_at = excluded.updated_at,
		    scopes = excluded.scopes
		RETURNING `+accountColumns, a.CompanyID, a.Platform, a.ExternalID, a.DisplayName,
		sealed.Access, nilIfEmpty(sealed.Refresh), nullTime(a.TokenExpiresAt), a.ConnectedAt, scopesOf(a.Scopes))
	if err != nil {
		return translate(err, "account")
	}
	*a = r.toAccount()
	return nil
}

// scopesOf is never nil: the column is NOT NULL.
func scopesOf(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Get implements ports.Accounts.
func (s accounts) Get(ctx context.Context, company domain.CompanyID, id domain.AccountID) (domain.Account, error) {
	var r accountRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+accountColumns+` FROM social_accounts WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return domain.Account{}, translate(err, "account")
	}
	return r.toAccount(), nil
}

// List implements ports.Accounts.
func (s accounts) List(ctx context.Context, company domain.CompanyID) ([]domain.Account, error) {
	var rows []accountRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+accountColumns+` FROM social_accounts
		WHERE company_id = $1 AND status <> 'disconnected' ORDER BY platform, display_name, id`, company)
	if err != nil {
		return nil, translate(err, "account")
	}
	out := make([]domain.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toAccount()
	}
	return out, nil
}

type sealedRow struct {
	accountRow
	Access  []byte `db:"access_token"`
	Refresh []byte `db:"refresh_token"`
}

// Credentials implements ports.Accounts.
func (s accounts) Credentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, lock bool) (domain.Account, ports.Sealed, error) {
	q := `SELECT ` + accountColumns + `, access_token, refresh_token FROM social_accounts WHERE company_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var r sealedRow
	if err := sqlx.GetContext(ctx, s.q, &r, q, company, id); err != nil {
		return domain.Account{}, ports.Sealed{}, translate(err, "account")
	}
	return r.toAccount(), ports.Sealed{Access: r.Access, Refresh: r.Refresh}, nil
}

// RefreshState implements ports.Accounts.
func (s accounts) RefreshState(ctx context.Context, company domain.CompanyID, id domain.AccountID) (ports.RefreshState, error) {
	var r struct {
		LeaseUntil sql.NullTime `db:"refresh_lease_until"`
		StartedAt  sql.NullTime `db:"refresh_started_at"`
		LostAt     sql.NullTime `db:"token_lost_at"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT refresh_lease_until, refresh_started_at, token_lost_at FROM social_accounts
		WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return ports.RefreshState{}, translate(err, "account")
	}
	utc := func(t sql.NullTime) time.Time {
		if !t.Valid {
			return time.Time{}
		}
		return t.Time.UTC()
	}
	return ports.RefreshState{LeaseUntil: utc(r.LeaseUntil), StartedAt: utc(r.StartedAt), LostAt: utc(r.LostAt)}, nil
}

// SetRefreshState implements ports.Accounts.
func (s accounts) SetRefreshState(ctx context.Context, company domain.CompanyID, id domain.AccountID, st ports.RefreshState) error {
	res, err := s.q.ExecContext(ctx, `UPDATE social_accounts SET refresh_lease_until = $3, refresh_started_at = $4, token_lost_at = $5
		WHERE company_id = $1 AND id = $2`, company, id, nullTime(st.LeaseUntil), nullTime(st.StartedAt), nullTime(st.LostAt))
	if err != nil {
		return translate(err, "account")
	}
	return oneRow(res, "account")
}

// SaveCredentials implements ports.Accounts.
func (s accounts) SaveCredentials(ctx context.Context, company domain.CompanyID, id domain.AccountID, sealed ports.Sealed, expires time.Time) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE social_accounts SET access_token = $3, refresh_token = coalesce($4, refresh_token), token_expires_at = $5, updated_at = now()
		WHERE company_id = $1 AND id = $2`, company, id, sealed.Access, nilIfEmpty(sealed.Refresh), nullTime(expires))
	if err != nil {
		return translate(err, "account")
	}
	return oneRow(res, "account")
}

// RecordSuccess implements ports.Accounts. It writes nothing when the recorded success is
// less than domain.SuccessResolution older than at, so a burst of calls costs one write.
func (s accounts) RecordSuccess(ctx context.Context, company domain.CompanyID, id domain.AccountID, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE social_accounts SET last_success_at = $3
		WHERE company_id = $1 AND id = $2 AND (last_success_at IS NULL OR last_success_at <= $3::timestamptz - make_interval(secs => $4))`,
		company, id, at, domain.SuccessResolution.Seconds())
	return translateIf(err, "account")
}

// ExpiringUnwarned implements ports.Accounts.
func (s accounts) ExpiringUnwarned(ctx context.Context, before time.Time, limit int) ([]domain.Account, error) {
	var rows []accountRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+accountColumns+` FROM social_accounts
		WHERE status = 'active' AND refresh_token IS NULL AND token_expires_at < $1
		  AND expiry_warned_for IS DISTINCT FROM token_expires_at
		ORDER BY token_expires_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, translate(err, "account")
	}
	out := make([]domain.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toAccount()
	}
	return out, nil
}

// MarkExpiryWarned implements ports.Accounts.
func (s accounts) MarkExpiryWarned(ctx context.Context, company domain.CompanyID, id domain.AccountID, expiry time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE social_accounts SET expiry_warned_for = $3
		WHERE company_id = $1 AND id = $2 AND token_expires_at = $3 AND expiry_warned_for IS DISTINCT FROM $3`, company, id, expiry)
	if err != nil {
		return false, translate(err, "account")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translate(err, "account")
	}
	return n == 1, nil
}

// Erase implements ports.Accounts.
func (s accounts) Erase(ctx context.Context, company domain.CompanyID, id domain.AccountID) error {
	res, err := s.q.ExecContext(ctx, `UPDATE social_accounts SET access_token = '', refresh_token = NULL, token_expires_at = NULL,
		updated_at = now() WHERE company_id = $1 AND id = $2`, company, id)
	if err != nil {
		return translate(err, "account")
	}
	return oneRow(res, "account")
}

// SetStatus implements ports.Accounts.
func (s accounts) SetStatus(ctx context.Context, company domain.CompanyID, id domain.AccountID, status domain.AccountStatus, reason string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE social_accounts SET status = $3, status_reason = $4, updated_at = now()
		WHERE company_id = $1 AND id = $2`, company, id, status, reason)
	if err != nil {
		return translate(err, "account")
	}
	return oneRow(res, "account")
}

// Expiring implements ports.Accounts.
func (s accounts) Expiring(ctx context.Context, before time.Time, limit int) ([]domain.Account, error) {
	var rows []accountRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+accountColumns+` FROM social_accounts
		WHERE status = 'active' AND token_expires_at < $1 ORDER BY token_expires_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, translate(err, "account")
	}
	out := make([]domain.Account, len(rows))
	for i, r := range rows {
		out[i] = r.toAccount()
	}
	return out, nil
}

// SealedAfter implements ports.Accounts.
func (s accounts) SealedAfter(ctx context.Context, after domain.AccountID, limit int) ([]ports.SealedAccount, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	var rows []sealedRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+accountColumns+`, access_token, refresh_token FROM social_accounts
		WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, translate(err, "account")
	}
	out := make([]ports.SealedAccount, len(rows))
	for i, r := range rows {
		out[i] = ports.SealedAccount{Account: r.toAccount(), Sealed: ports.Sealed{Access: r.Access, Refresh: r.Refresh}}
	}
	return out, nil
}

// oauthStates implements ports.OAuthStates on q.
type oauthStates struct{ q sqlx.ExtContext }

var _ ports.OAuthStates = oauthStates{}

// Save implements ports.OAuthStates.
func (s oauthStates) Save(ctx context.Context, st ports.OAuthState) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO oauth_states (state_hash, company_id, user_id, platform, verifier, return_to, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, st.Hash, st.CompanyID, st.UserID, st.Platform, st.Verifier, st.ReturnTo, st.ExpiresAt)
	return translateIf(err, "connection attempt")
}

// Take implements ports.OAuthStates.
func (s oauthStates) Take(ctx context.Context, hash []byte, now time.Time) (ports.OAuthState, error) {
	var r struct {
		Hash      []byte    `db:"state_hash"`
		CompanyID string    `db:"company_id"`
		UserID    string    `db:"user_id"`
		Platform  string    `db:"platform"`
		Verifier  []byte    `db:"verifier"`
		ReturnTo  string    `db:"return_to"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := sqlx.GetContext(ctx, s.q, &r, `DELETE FROM oauth_states WHERE state_hash = $1
		RETURNING state_hash, company_id, user_id, platform, verifier, return_to, expires_at`, hash)
	if err != nil {
		return ports.OAuthState{}, translate(err, "connection attempt")
	}
	if !r.ExpiresAt.After(now) {
		return ports.OAuthState{}, domain.Errorf(domain.CodeNotFound, "That connection attempt expired.")
	}
	return ports.OAuthState{Hash: r.Hash, CompanyID: domain.CompanyID(r.CompanyID), UserID: domain.UserID(r.UserID),
		Platform: domain.Platform(r.Platform), Verifier: r.Verifier, ReturnTo: r.ReturnTo, ExpiresAt: r.ExpiresAt.UTC()}, nil
}
