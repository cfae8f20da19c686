package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// section is one part of an export: Query selects, with named columns (never a secret),
// the rows of the company or person $1; Order sorts them by columns it selects; Tables
// are the tables it covers, for the test that finds tables nobody exports.
type section struct {
	Name   string
	Tables []string
	Query  string
	Order  string
}

// companySections is what a company's export holds, in this order. Adding a tenant table
// is one line here (or one in companyLeftOut, with the reason).
var companySections = []section{
	{"company", []string{"companies"}, `SELECT id, name, plan, status, status_reason, status_changed_at, settings, version, created_at, updated_at FROM companies WHERE id = $1`, "id"},
	{"members", []string{"memberships"}, `SELECT m.user_id, u.email, u.name, m.role, m.joined_at FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.company_id = $1`, "joined_at, user_id"},
	{"invitations", []string{"invitations"}, `SELECT id, email, role, invited_by, created_at FROM invitations WHERE company_id = $1`, "created_at, id"},
	// The sealed access and refresh tokens are never exported.
	{"social_accounts", []string{"social_accounts"}, `SELECT id, platform, external_id, display_name, status, status_reason, token_expires_at, connected_at, updated_at
		FROM social_accounts WHERE company_id = $1`, "connected_at, id"},
	// Each post carries its targets: the account, the variant written for it, the publishing
	// attempts and their result, and the latest metrics.
	{"posts", []string{"posts", "post_targets"}, `SELECT p.id, p.created_by, p.content, p.media_urls, p.media_ids, p.status, p.status_reason, p.scheduled_for, p.queued, p.version, p.created_at, p.updated_at,
		(SELECT coalesce(json_agg(json_build_object('account_id', t.account_id, 'platform', t.platform, 'position', t.position, 'variant', t.variant, 'media_ids', t.media_ids,
			'status', t.status, 'reason', t.reason, 'external_id', t.external_id, 'external_url', t.external_url, 'attempts', t.attempts,
			'attempt_open', t.attempt_open, 'published_at', t.published_at, 'updated_at', t.updated_at, 'metrics_at', t.metrics_at,
			'likes', t.likes, 'comments', t.comments, 'shares', t.shares, 'reach', t.reach, 'impressions', t.impressions) ORDER BY t.position), '[]')
		 FROM post_targets t WHERE t.company_id = p.company_id AND t.post_id = p.id) AS targets
		FROM posts p WHERE p.company_id = $1`, "created_at, id"},
	// The media library's files: what each is (the bytes are in storage; the export's
	// media_files section gives a signed address to download each).
	// Each post's discussion: the team's comments and clients' answers through review links.
	{"post_comments", []string{"post_comments"}, `SELECT id, post_id, author_id, author_name, by_client, body, array_to_json(mentions) AS mentions,
		review_link_id, kind, created_at FROM post_comments WHERE company_id = $1`, "created_at, id"},
	// Review links without their tokens' hashes (the addresses were shown once).
	{"review_links", []string{"review_links"}, `SELECT id, post_id, range_from, range_to, expires_at, revoked_at, created_by, created_at, last_used_at
		FROM review_links WHERE company_id = $1`, "created_at, id"},
	{"media", []string{"media"}, `SELECT id, created_by, name, mime_type, size, width, height, duration_ms, alt, encode(sha256, 'hex') AS sha256,
		ready, version, created_at, updated_at FROM media WHERE company_id = $1`, "created_at, id"},
	{"snippets", []string{"snippets"}, `SELECT id, name, content, created_by, version, created_at, updated_at FROM snippets WHERE company_id = $1`, "created_at, id"},
	{"metric_snapshots", []string{"metric_snapshots"}, `SELECT post_id, account_id, collected_at, likes, comments, shares, reach, impressions
		FROM metric_snapshots WHERE company_id = $1`, "post_id, account_id, collected_at"},
	// The posting queue's weekly times (weekday, "HH:MM" in the company's zone, accounts).
	{"queue", []string{"queues"}, `SELECT slots, version, updated_at FROM queues WHERE company_id = $1`, "version"},
	{"ai_usage", []string{"ai_usage"}, `SELECT month, prompt_tokens, completion_tokens, requests FROM ai_usage WHERE company_id = $1`, "month"},
	{"scheduled_post_counts", []string{"scheduled_post_counts"}, `SELECT post_id, month, counted_at FROM scheduled_post_counts WHERE company_id = $1`, "month, post_id"},
	{"audit_log", []string{"audit_log"}, `SELECT id, actor_id, ip, action, subject, details, created_at FROM audit_log WHERE company_id = $1`, "id"},
	// Webhook endpoints without their signing secrets (sealed or not), the outbox of events,
	// and the delivery log.
	{"webhook_endpoints", []string{"webhook_endpoints"}, `SELECT id, url, events, description, status, disabled_reason, failing_since,
		consecutive_failures, last_attempt_at, last_response_status, previous_secret_until, version, created_by, created_at, updated_at
		FROM webhook_endpoints WHERE company_id = $1`, "created_at, id"},
	{"webhook_events", []string{"webhook_events"}, `SELECT id, type, data, created_at FROM webhook_events WHERE company_id = $1`, "created_at, id"},
	{"webhook_deliveries", []string{"webhook_deliveries"}, `SELECT id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at,
		last_attempt_at, response_status, response_body, error, duration_ms, created_at, updated_at
		FROM webhook_deliveries WHERE company_id = $1`, "created_at, id"},
	// The emails Herald sent or would have sent for the company: to whom, which, and what
	// became of them; never their data (it may hold a single-use link).
	{"emails", []string{"emails"}, `SELECT id, user_id, to_address, template, subject, status, attempts, error, created_at, sent_at
		FROM emails WHERE company_id = $1`, "created_at, id"},
	{"notifications", []string{"notifications"}, `SELECT id, user_id, kind, post_id, account_id, text, read_at, created_at
		FROM notifications WHERE company_id = $1`, "created_at, id"},
}

// companyLeftOut are tenant tables the company export leaves out on purpose, with why.
var companyLeftOut = map[string]string{
	"oauth_states":    "connect flows in progress: they expire within minutes and hold only a sealed PKCE verifier",
	"ai_reservations": "AI tokens held while a request is at the provider: gone when it answers, counted in ai_usage",
	"uploads":         "resumable uploads in progress: unfinished files that expire within a day; once complete they are media, exported",
	"metric_days":     "sums of the targets' latest numbers per day, kept for the analytics pages; the targets are exported",
	"post_metrics":    "sums of the targets' latest numbers per post, kept for the analytics pages; the targets are exported",
}

// userSections is what a person's export holds, in this order.
var userSections = []section{
	{"profile", []string{"users"}, `SELECT id, email, name, time_zone, is_superadmin, created_at, updated_at FROM users WHERE id = $1`, "id"},
	{"memberships", []string{"memberships"}, `SELECT m.company_id, c.name AS company_name, m.role, m.joined_at
		FROM memberships m JOIN companies c ON c.id = m.company_id WHERE m.user_id = $1`, "joined_at, company_id"},
	// Sessions and personal API tokens: what they are, never their hashes.
	{"api_tokens", []string{"api_tokens"}, `SELECT id, kind, name, created_at, expires_at FROM api_tokens WHERE user_id = $1`, "created_at, id"},
	{"audit_log", []string{"audit_log"}, `SELECT id, company_id, ip, action, subject, details, created_at FROM audit_log WHERE actor_id = $1`, "id"},
	// Which posts they wrote; the posts themselves are their company's, in its export.
	{"posts_created", []string{"posts"}, `SELECT company_id, id AS post_id, created_at FROM posts WHERE created_by = $1`, "created_at, post_id"},
	// Which comments they wrote on posts' threads, with the text; the threads are their company's.
	{"post_comments_written", []string{"post_comments"}, `SELECT company_id, post_id, id AS comment_id, body, created_at FROM post_comments
		WHERE author_id = $1`, "created_at, comment_id"},
	// Which media files they uploaded; the files are their company's, in its export.
	{"media_uploaded", []string{"media"}, `SELECT company_id, id AS media_id, name, created_at FROM media WHERE created_by = $1`, "created_at, media_id"},
	// Emails sent to them, and their notifications and choices.
	{"emails", []string{"emails"}, `SELECT id, company_id, to_address, template, subject, status, created_at, sent_at
		FROM emails WHERE user_id = $1`, "created_at, id"},
	{"notifications", []string{"notifications"}, `SELECT id, company_id, kind, post_id, account_id, text, read_at, created_at
		FROM notifications WHERE user_id = $1`, "created_at, id"},
	{"notification_prefs", []string{"notification_prefs"}, `SELECT kind, email FROM notification_prefs WHERE user_id = $1`, "kind"},
	// Their passkeys: what they are, not their keys.
	{"passkeys", []string{"passkeys"}, `SELECT id, name, transports, backup_eligible, backup_state, created_at, last_used_at
		FROM passkeys WHERE user_id = $1`, "created_at, id"},
	// Whether two-factor sign-in is set up and since when; never the sealed secret.
	{"two_factor", []string{"user_totp"}, `SELECT enabled_at, created_at FROM user_totp WHERE user_id = $1`, "created_at"},
}

// userLeftOut are tables that refer to a person but stay out of their export, with why.
var userLeftOut = map[string]string{
	"invitations":       "the addresses of other people they invited, kept for the company and in its export",
	"idempotency_keys":  "API answers remembered for 24 hours to replay retried requests: the company's data, not the person's",
	"oauth_states":      "connect flows in progress: they expire within minutes and hold only a sealed PKCE verifier",
	"webhook_endpoints": "the webhook endpoints they added are the company's, in its export",
	"uploads":           "resumable uploads in progress: unfinished files that expire within a day; once complete they are media, exported",
	"snippets":          "the snippets they wrote are the company's, in its export",
	"user_recovery_codes": "hashes of single-use recovery codes, which cannot be read back as codes; " +
		"how many are left is on the profile page",
	"mfa_challenges": "sign-ins waiting for their second factor: they expire within 5 minutes and hold only a token's hash",
	"review_links":   "the review links they made are the company's, in its export (without their tokens)",
	"user_login_addresses": "salted hashes of the addresses they signed in from, kept only so sign-in throttling lets them in; " +
		"they cannot be read back as addresses",
	"person_tokens":      "single-use verification and password-reset links in flight: only their hashes, expiring within 48 hours",
	"passkey_ceremonies": "passkey ceremonies in progress: a challenge that expires within 5 minutes",
}

// ExportCoverage says, for every table a company or person export knows of, in which
// section it is exported or why it is left out, so a test can find tables nobody decided on.
func ExportCoverage() (company, user map[string]string) {
	cover := func(sections []section, left map[string]string) map[string]string {
		out := map[string]string{}
		for _, s := range sections {
			for _, t := range s.Tables {
				out[t] = "exported in section " + s.Name
			}
		}
		for t, why := range left {
			out[t] = "left out: " + why
		}
		return out
	}
	return cover(companySections, companyLeftOut), cover(userSections, userLeftOut)
}

// exports implements ports.Exports on q; inTx says whether q is a transaction.
type exports struct {
	q    sqlx.ExtContext
	inTx bool
}

var _ ports.Exports = exports{}

var errExportNeedsTx = errors.New("postgres: an export must be the first call of its transaction")

// Company implements ports.Exports.
func (s exports) Company(ctx context.Context, company domain.CompanyID, w ports.ExportWriter) error {
	return s.write(ctx, companySections, string(company), w)
}

// User implements ports.Exports.
func (s exports) User(ctx context.Context, user domain.UserID, w ports.ExportWriter) error {
	return s.write(ctx, userSections, string(user), w)
}

// write streams every section's rows as JSON objects made by PostgreSQL, one row at a time,
// in one snapshot (REPEATABLE READ), with times in UTC.
func (s exports) write(ctx context.Context, sections []section, id string, w ports.ExportWriter) error {
	if !s.inTx {
		return errExportNeedsTx
	}
	if _, err := s.q.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
		return fmt.Errorf("%w: %w", errExportNeedsTx, err)
	}
	if _, err := s.q.ExecContext(ctx, `SET LOCAL TimeZone = 'UTC'`); err != nil {
		return fmt.Errorf("postgres: export time zone: %w", err)
	}
	for _, sec := range sections {
		if err := w.Section(sec.Name); err != nil {
			return err
		}
		if err := s.rows(ctx, sec, id, w); err != nil {
			return err
		}
	}
	return nil
}

func (s exports) rows(ctx context.Context, sec section, id string, w ports.ExportWriter) error {
	rows, err := s.q.QueryContext(ctx, `SELECT row_to_json(x)::text FROM (`+sec.Query+`) x ORDER BY `+sec.Order, id)
	if err != nil {
		return translate(err, "export of "+sec.Name)
	}
	defer rows.Close()
	var obj []byte
	for rows.Next() {
		if err := rows.Scan(&obj); err != nil {
			return fmt.Errorf("postgres: export of %s: %w", sec.Name, err)
		}
		if err := w.Row(obj); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: export of %s: %w", sec.Name, err)
	}
	return nil
}
