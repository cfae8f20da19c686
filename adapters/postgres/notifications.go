package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// NotificationsChannel is the PostgreSQL notification channel a new in-app notification,
// or notifications marked read, are announced on, in their transaction; the payload is
// "<company id>:<user id>".
const NotificationsChannel = "herald_notifications"

// notifications implements ports.Notifications on q.
type notifications struct{ q sqlx.ExtContext }

var _ ports.Notifications = notifications{}

const notificationColumns = `id, company_id, user_id, kind, post_id, account_id, text, event_key, read_at, created_at`

type notificationRow struct {
	ID        string         `db:"id"`
	CompanyID string         `db:"company_id"`
	UserID    string         `db:"user_id"`
	Kind      string         `db:"kind"`
	PostID    sql.NullString `db:"post_id"`
	AccountID sql.NullString `db:"account_id"`
	Text      string         `db:"text"`
	EventKey  string         `db:"event_key"`
	ReadAt    sql.NullTime   `db:"read_at"`
	CreatedAt time.Time      `db:"created_at"`
}

func (r notificationRow) toNotification() domain.Notification {
	n := domain.Notification{ID: domain.NotificationID(r.ID), CompanyID: domain.CompanyID(r.CompanyID), UserID: domain.UserID(r.UserID),
		Kind: domain.NotificationKind(r.Kind), PostID: domain.PostID(r.PostID.String), AccountID: domain.AccountID(r.AccountID.String),
		Text: r.Text, EventKey: r.EventKey, CreatedAt: r.CreatedAt.UTC()}
	if r.ReadAt.Valid {
		n.ReadAt = r.ReadAt.Time.UTC()
	}
	return n
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// Add implements ports.Notifications; a stored notification is announced on
// NotificationsChannel when the transaction commits.
func (s notifications) Add(ctx context.Context, n *domain.Notification) (bool, error) {
	var ids []string
	err := sqlx.SelectContext(ctx, s.q, &ids, `
		INSERT INTO notifications (company_id, user_id, kind, post_id, account_id, text, event_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id, event_key) DO NOTHING
		RETURNING id`,
		n.CompanyID, n.UserID, n.Kind, nullString(string(n.PostID)), nullString(string(n.AccountID)), n.Text, n.EventKey, n.CreatedAt)
	if err != nil {
		return false, translate(err, "notification")
	}
	if len(ids) == 0 {
		return false, nil
	}
	n.ID = domain.NotificationID(ids[0])
	if _, err := s.q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, NotificationsChannel, string(n.CompanyID)+":"+string(n.UserID)); err != nil {
		return false, translate(err, "notification")
	}
	return true, nil
}

// List implements ports.Notifications: keyset pagination on (created_at, id), newest first.
func (s notifications) List(ctx context.Context, company domain.CompanyID, user domain.UserID, unread bool, p ports.Page) ([]domain.Notification, string, error) {
	before, beforeID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var rows []notificationRow
	err = sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+notificationColumns+` FROM notifications
		WHERE user_id = $1 AND company_id = $2 AND (NOT $3 OR read_at IS NULL)
		  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $6`, user, company, unread, before, beforeID, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "notification")
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]domain.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.toNotification()
	}
	return out, next, nil
}

// Unread implements ports.Notifications.
func (s notifications) Unread(ctx context.Context, company domain.CompanyID, user domain.UserID) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, s.q, &n, `
		SELECT count(*) FROM notifications WHERE user_id = $1 AND company_id = $2 AND read_at IS NULL`, user, company)
	if err != nil {
		return 0, translate(err, "notification")
	}
	return n, nil
}

// MarkRead implements ports.Notifications; a change is announced on NotificationsChannel
// when the transaction commits, as Add's are.
func (s notifications) MarkRead(ctx context.Context, company domain.CompanyID, user domain.UserID, ids []domain.NotificationID, now time.Time) (int, error) {
	all := ids == nil
	list := make([]string, 0, len(ids))
	for _, id := range ids {
		if domain.IsUUID(string(id)) {
			list = append(list, string(id))
		}
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE notifications SET read_at = $4
		WHERE user_id = $1 AND company_id = $2 AND read_at IS NULL AND ($3 OR id = ANY($5::uuid[]))`,
		user, company, all, now, list)
	if err != nil {
		return 0, translate(err, "notification")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(err, "notification")
	}
	if n > 0 { // the person's other pages lower their bell's count too
		if _, err := s.q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, NotificationsChannel, string(company)+":"+string(user)); err != nil {
			return 0, translate(err, "notification")
		}
	}
	return int(n), nil
}

// MarkEmailed implements ports.Notifications.
func (s notifications) MarkEmailed(ctx context.Context, user domain.UserID, ids []domain.NotificationID) error {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = string(id)
	}
	_, err := s.q.ExecContext(ctx, `UPDATE notifications SET emailed = true WHERE user_id = $1 AND id = ANY($2::uuid[])`, user, list)
	return translateIf(err, "notification")
}

// Prefs implements ports.Notifications.
func (s notifications) Prefs(ctx context.Context, user domain.UserID) (domain.NotificationPrefs, error) {
	p := domain.NotificationPrefs{Email: map[domain.NotificationKind]bool{}}
	if err := sqlx.GetContext(ctx, s.q, &p.Digest, `SELECT digest FROM users WHERE id = $1`, user); err != nil {
		return domain.NotificationPrefs{}, translate(err, "user")
	}
	var rows []struct {
		Kind  string `db:"kind"`
		Email bool   `db:"email"`
	}
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT kind, email FROM notification_prefs WHERE user_id = $1`, user); err != nil {
		return domain.NotificationPrefs{}, translate(err, "notification settings")
	}
	for _, r := range rows {
		p.Email[domain.NotificationKind(r.Kind)] = r.Email
	}
	return p, nil
}

// SetPrefs implements ports.Notifications.
func (s notifications) SetPrefs(ctx context.Context, user domain.UserID, p domain.NotificationPrefs) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET digest = $2, updated_at = now() WHERE id = $1`, user, p.Digest)
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.CodeNotFound, "This person no longer exists.")
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM notification_prefs WHERE user_id = $1`, user); err != nil {
		return translate(err, "notification settings")
	}
	for kind, on := range p.Email {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO notification_prefs (user_id, kind, email) VALUES ($1, $2, $3)`, user, kind, on); err != nil {
			return translate(err, "notification settings")
		}
	}
	return nil
}

// DigestDue implements ports.Notifications.
func (s notifications) DigestDue(ctx context.Context, since time.Time) ([]domain.User, error) {
	var rows []userRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT `+userColumns+` FROM users u
		WHERE u.digest AND u.email_verified_at IS NOT NULL AND EXISTS (
			SELECT 1 FROM notifications n JOIN memberships m ON m.company_id = n.company_id AND m.user_id = n.user_id
			WHERE n.user_id = u.id AND NOT n.emailed AND n.created_at >= $1)
		ORDER BY u.id`, since)
	if err != nil {
		return nil, translate(err, "user")
	}
	out := make([]domain.User, len(rows))
	for i, r := range rows {
		out[i] = r.toUser()
	}
	return out, nil
}

// Unemailed implements ports.Notifications.
func (s notifications) Unemailed(ctx context.Context, user domain.UserID, since time.Time) ([]domain.Notification, error) {
	var rows []notificationRow
	err := sqlx.SelectContext(ctx, s.q, &rows, `
		SELECT n.id, n.company_id, n.user_id, n.kind, n.post_id, n.account_id, n.text, n.event_key, n.read_at, n.created_at FROM notifications n
		JOIN memberships m ON m.company_id = n.company_id AND m.user_id = n.user_id
		WHERE n.user_id = $1 AND NOT n.emailed AND n.created_at >= $2
		ORDER BY n.created_at, n.id
		LIMIT 500`, user, since)
	if err != nil {
		return nil, translate(err, "notification")
	}
	out := make([]domain.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.toNotification()
	}
	return out, nil
}
