package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// passkeys implements ports.Passkeys on q.
type passkeys struct{ q sqlx.ExtContext }

var _ ports.Passkeys = passkeys{}

const passkeyColumns = `id, user_id, credential_id, public_key, sign_count, to_json(transports) AS transports, aaguid,
	attestation, user_verified, backup_eligible, backup_state, name, created_at, last_used_at`

type passkeyRow struct {
	ID             string       `db:"id"`
	UserID         string       `db:"user_id"`
	CredentialID   []byte       `db:"credential_id"`
	PublicKey      []byte       `db:"public_key"`
	SignCount      int64        `db:"sign_count"`
	Transports     jsonStrings  `db:"transports"`
	AAGUID         []byte       `db:"aaguid"`
	Attestation    string       `db:"attestation"`
	UserVerified   bool         `db:"user_verified"`
	BackupEligible bool         `db:"backup_eligible"`
	BackupState    bool         `db:"backup_state"`
	Name           string       `db:"name"`
	CreatedAt      time.Time    `db:"created_at"`
	LastUsedAt     sql.NullTime `db:"last_used_at"`
}

func (r passkeyRow) toPasskey() domain.Passkey {
	p := domain.Passkey{ID: domain.PasskeyID(r.ID), UserID: domain.UserID(r.UserID), CredentialID: r.CredentialID,
		PublicKey: r.PublicKey, SignCount: uint32(r.SignCount), Transports: []string(r.Transports), AAGUID: r.AAGUID,
		Attestation: r.Attestation, UserVerified: r.UserVerified, BackupEligible: r.BackupEligible,
		BackupState: r.BackupState, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
	if r.LastUsedAt.Valid {
		p.LastUsedAt = r.LastUsedAt.Time.UTC()
	}
	return p
}

// Create implements ports.Passkeys.
func (s passkeys) Create(ctx context.Context, p *domain.Passkey) error {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	aaguid := p.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	err := sqlx.GetContext(ctx, s.q, &p.ID, `
		INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, transports, aaguid, attestation,
			user_verified, backup_eligible, backup_state, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`, p.UserID, p.CredentialID, p.PublicKey, int64(p.SignCount), transports, aaguid, p.Attestation,
		p.UserVerified, p.BackupEligible, p.BackupState, p.Name, p.CreatedAt)
	return translateIf(err, "passkey")
}

// List implements ports.Passkeys.
func (s passkeys) List(ctx context.Context, user domain.UserID) ([]domain.Passkey, error) {
	var rows []passkeyRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = $1 ORDER BY created_at, id`, user)
	if err != nil {
		return nil, translate(err, "passkey")
	}
	out := make([]domain.Passkey, len(rows))
	for i, r := range rows {
		out[i] = r.toPasskey()
	}
	return out, nil
}

// LockByCredential implements ports.Passkeys.
func (s passkeys) LockByCredential(ctx context.Context, credentialID []byte) (domain.Passkey, error) {
	var r passkeyRow
	err := sqlx.GetContext(ctx, s.q, &r, `SELECT `+passkeyColumns+` FROM passkeys
		WHERE credential_id = $1 FOR UPDATE`, credentialID)
	if err != nil {
		return domain.Passkey{}, translate(err, "passkey")
	}
	return r.toPasskey(), nil
}

// RecordUse implements ports.Passkeys.
func (s passkeys) RecordUse(ctx context.Context, p domain.Passkey) error {
	res, err := s.q.ExecContext(ctx, `
		UPDATE passkeys SET sign_count = $3, user_verified = $4, backup_state = $5, last_used_at = $6
		WHERE user_id = $1 AND id = $2`, p.UserID, p.ID, int64(p.SignCount), p.UserVerified, p.BackupState, nullTime(p.LastUsedAt))
	if err != nil {
		return translate(err, "passkey")
	}
	return oneRow(res, "passkey")
}

// Rename implements ports.Passkeys.
func (s passkeys) Rename(ctx context.Context, user domain.UserID, id domain.PasskeyID, name string) error {
	if !domain.IsUUID(string(id)) {
		return domain.Errorf(domain.CodeNotFound, "That passkey does not exist.")
	}
	res, err := s.q.ExecContext(ctx, `UPDATE passkeys SET name = $3 WHERE user_id = $1 AND id = $2`, user, id, name)
	if err != nil {
		return translate(err, "passkey")
	}
	return oneRow(res, "passkey")
}

// Delete implements ports.Passkeys.
func (s passkeys) Delete(ctx context.Context, user domain.UserID, id domain.PasskeyID) (domain.Passkey, error) {
	if !domain.IsUUID(string(id)) {
		return domain.Passkey{}, domain.Errorf(domain.CodeNotFound, "That passkey does not exist.")
	}
	var r passkeyRow
	err := sqlx.GetContext(ctx, s.q, &r, `DELETE FROM passkeys WHERE user_id = $1 AND id = $2
		RETURNING `+passkeyColumns, user, id)
	if err != nil {
		return domain.Passkey{}, translate(err, "passkey")
	}
	return r.toPasskey(), nil
}

// SaveCeremony implements ports.Passkeys.
func (s passkeys) SaveCeremony(ctx context.Context, idHash []byte, kind domain.PasskeyCeremony, user domain.UserID, state []byte, expires time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO passkey_ceremonies (id_hash, kind, user_id, state, expires_at)
		VALUES ($1, $2, NULLIF($3, '')::uuid, $4, $5)`, idHash, kind, string(user), state, expires)
	return translateIf(err, "passkey ceremony")
}

// TakeCeremony implements ports.Passkeys.
func (s passkeys) TakeCeremony(ctx context.Context, idHash []byte, kind domain.PasskeyCeremony, now time.Time) (domain.UserID, []byte, error) {
	var r struct {
		UserID    sql.NullString `db:"user_id"`
		State     []byte         `db:"state"`
		ExpiresAt time.Time      `db:"expires_at"`
	}
	// Expired ceremonies go too: nobody can finish them any more.
	err := sqlx.GetContext(ctx, s.q, &r, `
		DELETE FROM passkey_ceremonies WHERE id_hash = $1 AND kind = $2
		RETURNING user_id, state, expires_at`, idHash, kind)
	if err != nil {
		return "", nil, translate(err, "passkey ceremony")
	}
	if !r.ExpiresAt.After(now) {
		return "", nil, domain.Errorf(domain.CodeNotFound, "That passkey ceremony does not exist.")
	}
	return domain.UserID(r.UserID.String), r.State, nil
}
