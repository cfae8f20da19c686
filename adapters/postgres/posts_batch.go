package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// The batched publish path (app.Batcher) works on many posts of many companies in one
// transaction: each statement below takes the posts' keys as parallel arrays, so every
// row is matched on its own company and id together, never on an id alone.

func keyArrays(keys []ports.PostKey) (companies, ids []string) {
	companies, ids = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		companies[i], ids[i] = string(k.Company), string(k.Post)
	}
	return companies, ids
}

// quietAll is announced.quiet for every company of keys, in one statement.
func (s posts) quietAll(ctx context.Context, companies []domain.CompanyID) error {
	if s.ann == nil {
		return nil
	}
	return s.ann.quietAll(ctx, s.q, companies)
}

// LockMany implements ports.Posts.
func (s posts) LockMany(ctx context.Context, keys []ports.PostKey, skipLocked bool) ([]domain.Post, []ports.PostKey, error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	companies, ids := keyArrays(keys)
	lock := "FOR UPDATE OF p"
	if skipLocked {
		lock += " SKIP LOCKED"
	}
	var rows []postRow
	// ORDER BY is applied before the rows are locked, so every caller locks in one order.
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+postColumns+` FROM posts p
		WHERE (p.company_id, p.id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
		ORDER BY p.company_id, p.id `+lock, companies, ids)
	if err != nil {
		return nil, nil, translate(err, "post")
	}
	found := make(map[ports.PostKey]bool, len(rows))
	lockedCompanies, lockedIDs := make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		found[ports.PostKey{Company: domain.CompanyID(r.CompanyID), Post: domain.PostID(r.ID)}] = true
		lockedCompanies[i], lockedIDs[i] = r.CompanyID, r.ID
	}
	var busy []ports.PostKey
	if skipLocked && len(rows) < len(keys) {
		var missing []ports.PostKey
		for _, k := range keys {
			if !found[k] {
				missing = append(missing, k)
			}
		}
		mc, mi := keyArrays(missing)
		var held []struct {
			CompanyID string `db:"company_id"`
			ID        string `db:"id"`
		}
		if err := sqlx.SelectContext(ctx, s.q, &held, `SELECT company_id, id FROM posts
			WHERE (company_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))`, mc, mi); err != nil {
			return nil, nil, translate(err, "post")
		}
		for _, h := range held {
			busy = append(busy, ports.PostKey{Company: domain.CompanyID(h.CompanyID), Post: domain.PostID(h.ID)})
		}
	}
	if len(rows) == 0 {
		return nil, busy, nil
	}
	// The targets are read once the locks are held, in a statement of their own (see Lock).
	var ts []targetRow
	if err := sqlx.SelectContext(ctx, s.q, &ts, `SELECT `+targetColumns+` FROM post_targets
		WHERE (company_id, post_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))
		ORDER BY post_id, position`, lockedCompanies, lockedIDs); err != nil {
		return nil, nil, translate(err, "post")
	}
	byPost := make(map[string][]targetRow, len(rows))
	for _, t := range ts {
		byPost[t.PostID] = append(byPost[t.PostID], t)
	}
	out := make([]domain.Post, len(rows))
	for i, r := range rows {
		out[i] = r.toPost(byPost[r.ID])
	}
	return out, busy, nil
}

// SaveTargets implements ports.Posts.
func (s posts) SaveTargets(ctx context.Context, targets []ports.PostTarget) error {
	if len(targets) == 0 {
		return nil
	}
	n := len(targets)
	var (
		companies, postIDs, accounts, status, extID, extURL, reason = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		attempts, cAttempts                                         = make([]int32, n), make([]int32, n)
		open, cOpen                                                 = make([]bool, n), make([]bool, n)
		published, cPublished                                       = make([]*time.Time, n), make([]*time.Time, n)
		cStatus, cExtID, cReason                                    = make([]string, n), make([]string, n), make([]string, n)
	)
	seen := map[domain.CompanyID]bool{}
	var touched []domain.CompanyID
	for i, pt := range targets {
		t, c := pt.Target, pt.Target.Comment()
		if !seen[pt.Company] {
			seen[pt.Company] = true
			touched = append(touched, pt.Company)
		}
		companies[i], postIDs[i], accounts[i] = string(pt.Company), string(pt.Post), string(t.AccountID)
		status[i], extID[i], extURL[i], reason[i] = string(t.Status()), t.ExternalID(), t.ExternalURL(), t.Reason()
		attempts[i], open[i], published[i] = int32(t.Attempts()), t.AttemptOpen(), timeOrNil(t.PublishedAt())
		cStatus[i], cExtID[i], cReason[i] = string(c.Status), c.ExternalID, c.Reason
		cAttempts[i], cOpen[i], cPublished[i] = int32(c.Attempts), c.AttemptOpen, timeOrNil(c.PublishedAt)
	}
	if err := s.quietAll(ctx, touched); err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE post_targets t SET status = u.status, external_id = u.external_id, external_url = u.external_url, reason = u.reason,
		       attempts = u.attempts, attempt_open = u.attempt_open, published_at = u.published_at, comment_status = u.comment_status,
		       comment_external_id = u.comment_external_id, comment_reason = u.comment_reason, comment_attempts = u.comment_attempts,
		       comment_attempt_open = u.comment_attempt_open, comment_published_at = u.comment_published_at, updated_at = now()
		FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int4[], $9::bool[],
		            $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::int4[], $15::bool[], $16::timestamptz[])
		     AS u(company_id, post_id, account_id, status, external_id, external_url, reason, attempts, attempt_open, published_at,
		          comment_status, comment_external_id, comment_reason, comment_attempts, comment_attempt_open, comment_published_at)
		WHERE t.company_id = u.company_id AND t.post_id = u.post_id AND t.account_id = u.account_id`,
		companies, postIDs, accounts, status, extID, extURL, reason, attempts, open, published,
		cStatus, cExtID, cReason, cAttempts, cOpen, cPublished)
	if err != nil {
		return translate(err, "post")
	}
	return rowsWanted(res, n, "post target")
}

// SetStatuses implements ports.Posts.
func (s posts) SetStatuses(ctx context.Context, ps []domain.Post) error {
	if len(ps) == 0 {
		return nil
	}
	n := len(ps)
	companies, ids, status, reason, at := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	seen := map[domain.CompanyID]bool{}
	var touched []domain.CompanyID
	for i, p := range ps {
		if !seen[p.CompanyID] {
			seen[p.CompanyID] = true
			touched = append(touched, p.CompanyID)
		}
		companies[i], ids[i], status[i], reason[i], at[i] = string(p.CompanyID), string(p.ID), string(p.Status()), p.Reason(), p.UpdatedAt
	}
	if err := s.quietAll(ctx, touched); err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, `
		UPDATE posts p SET status = u.status, status_reason = u.reason, updated_at = u.at
		FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) AS u(company_id, id, status, reason, at)
		WHERE p.company_id = u.company_id AND p.id = u.id`, companies, ids, status, reason, at)
	if err != nil {
		return translate(err, "post")
	}
	return rowsWanted(res, n, "post")
}

// rowsWanted returns CodeNotFound when res changed fewer than n rows.
func rowsWanted(res interface{ RowsAffected() (int64, error) }, n int, what string) error {
	got, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("postgres: %s: rows affected: %w", what, err)
	}
	if got < int64(n) {
		return domain.Errorf(domain.CodeNotFound, "That %s does not exist.", what)
	}
	return nil
}

// GetMany implements ports.Companies.
func (s companies) GetMany(ctx context.Context, ids []domain.CompanyID) (map[domain.CompanyID]domain.Company, error) {
	out := make(map[domain.CompanyID]domain.Company, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = string(id)
	}
	var rows []companyRow
	if err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT `+companyColumns+` FROM companies WHERE id = ANY($1::uuid[])`, list); err != nil {
		return nil, translate(err, "company")
	}
	for _, r := range rows {
		c := r.toCompany()
		out[c.ID] = c
	}
	return out, nil
}

// SubscribedMany implements ports.Webhooks.
func (s webhooks) SubscribedMany(ctx context.Context, companies []domain.CompanyID, t domain.EventType) (map[domain.CompanyID][]domain.WebhookEndpointID, error) {
	out := map[domain.CompanyID][]domain.WebhookEndpointID{}
	if len(companies) == 0 {
		return out, nil
	}
	list := make([]string, len(companies))
	for i, c := range companies {
		list[i] = string(c)
	}
	var rows []struct {
		CompanyID string `db:"company_id"`
		ID        string `db:"id"`
	}
	err := sqlx.SelectContext(ctx, s.q, &rows, `SELECT company_id, id FROM webhook_endpoints
		WHERE company_id = ANY($1::uuid[]) AND status = 'enabled' AND $2 = ANY(events) ORDER BY company_id, created_at, id`, list, string(t))
	if err != nil {
		return nil, translate(err, "webhook endpoint")
	}
	for _, r := range rows {
		c := domain.CompanyID(r.CompanyID)
		out[c] = append(out[c], domain.WebhookEndpointID(r.ID))
	}
	return out, nil
}
