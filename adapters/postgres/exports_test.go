package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/postgres"
	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// TestExports_EveryTenantTableIsCovered fails when a table with a company_id column, or a
// table referring to users, is neither exported nor left out with a reason: a new table
// must be decided on (one line in adapters/postgres/exports.go).
func TestExports_EveryTenantTableIsCovered(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	tables := func(query string) []string {
		t.Helper()
		var out []string
		rows, err := db.Pool().Query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			out = append(out, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	tenant := tables(`
		SELECT DISTINCT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'company_id'
		ORDER BY 1`)
	personal := tables(`
		SELECT DISTINCT c.relname::text FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		WHERE k.contype = 'f' AND k.confrelid = 'users'::regclass AND k.conrelid <> 'users'::regclass
		ORDER BY 1`)
	if len(tenant) < 5 || !slices.Contains(tenant, "posts") || !slices.Contains(personal, "api_tokens") {
		t.Fatalf("the catalogue query found tenant tables %v and personal tables %v: the test itself is broken", tenant, personal)
	}
	company, user := postgres.ExportCoverage()
	for _, tc := range []struct {
		what    string
		found   []string
		covered map[string]string
	}{{"company export", tenant, company}, {"user export", personal, user}} {
		for _, table := range tc.found {
			if _, ok := tc.covered[table]; !ok {
				t.Errorf("table %s is neither in the %s nor left out of it with a reason: add a section or a reason in adapters/postgres/exports.go", table, tc.what)
			}
		}
		// A misspelt table in the coverage would hide a real one.
		all := tables(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
		for table := range tc.covered {
			if !slices.Contains(all, table) {
				t.Errorf("the %s names table %s, which does not exist", tc.what, table)
			}
		}
	}
}

// collector is a ports.ExportWriter that keeps what it is given.
type collector struct {
	order    []string
	sections map[string][]map[string]any
	raw      bytes.Buffer
}

func (c *collector) Section(name string) error {
	if c.sections == nil {
		c.sections = map[string][]map[string]any{}
	}
	c.order = append(c.order, name)
	c.sections[name] = []map[string]any{}
	return nil
}

func (c *collector) Row(object []byte) error {
	var m map[string]any
	if err := json.Unmarshal(object, &m); err != nil {
		return err
	}
	name := c.order[len(c.order)-1]
	c.sections[name] = append(c.sections[name], m)
	c.raw.Write(object)
	c.raw.WriteByte('\n')
	return nil
}

// seedCompany gives the fixture's company one of each kind of row, with texts that name
// the company (tag), and returns the ids it made.
func seedCompany(t *testing.T, db *postgres.DB, f fixture, tag string) (account, post string) {
	t.Helper()
	ctx := context.Background()
	q := func(sql string, args ...any) string {
		t.Helper()
		var id string
		if err := db.Pool().QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	account = q(`INSERT INTO social_accounts (company_id, platform, external_id, display_name, access_token, refresh_token)
		VALUES ($1, 'sandbox', $2, $3, $4, $5) RETURNING id`, f.company.ID, "ext-"+tag, "Account "+tag, []byte("SEALED-ACCESS-"+tag), []byte("SEALED-REFRESH-"+tag))
	media := q(`INSERT INTO media (company_id, created_by, name, mime_type, size, sha256, ready, created_at, updated_at)
		VALUES ($1, $2, $3, 'image/png', 10, '\x00', true, now(), now()) RETURNING id`, f.company.ID, f.owner.ID, "Photo of "+tag+".png")
	post = q(`INSERT INTO posts (company_id, created_by, content, status, media_ids) VALUES ($1, $2, $3, 'published', ARRAY[$4::uuid]) RETURNING id`,
		f.company.ID, f.owner.ID, "Post of "+tag, media)
	q(`INSERT INTO post_targets (company_id, post_id, account_id, position, platform, variant, status, attempts, published_at, likes)
		VALUES ($1, $2, $3, 0, 'sandbox', $4, 'published', 1, now(), 7) RETURNING post_id`, f.company.ID, post, account, "Variant of "+tag)
	q(`INSERT INTO metric_snapshots (company_id, post_id, account_id, collected_at, likes, comments, shares, reach, impressions)
		VALUES ($1, $2, $3, now(), 7, 1, 0, 30, 40) RETURNING post_id`, f.company.ID, post, account)
	q(`INSERT INTO uploads (company_id, user_id, length, name, expires_at, created_at) VALUES ($1, $2, 1000, $3, now() + interval '1 day', now()) RETURNING id`,
		f.company.ID, f.owner.ID, "Upload of "+tag)
	q(`INSERT INTO queues (company_id, slots) VALUES ($1, '[{"weekday": 2, "time": "09:00"}]') RETURNING company_id`, f.company.ID)
	q(`INSERT INTO snippets (company_id, name, content, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, now(), now()) RETURNING id`,
		f.company.ID, "Snippet of "+tag, "Text of "+tag, f.owner.ID)
	q(`INSERT INTO emails (company_id, user_id, to_address, template, subject, event_key, sealed_data, created_at)
		VALUES ($1, $2, $3, 'notification', $4, $5, '\x00', now()) RETURNING id`, f.company.ID, f.owner.ID, f.owner.Email, "Subject of "+tag, "seed:"+tag)
	q(`INSERT INTO notifications (company_id, user_id, kind, post_id, text, event_key, created_at)
		VALUES ($1, $2, 'post_failed', $3, $4, $5, now()) RETURNING id`, f.company.ID, f.owner.ID, post, "Notice of "+tag, "seed:"+tag)
	link := q(`INSERT INTO review_links (company_id, post_id, token_hash, expires_at, created_by, created_at)
		VALUES ($1, $2, sha256(convert_to($3::text, 'UTF8')), now() + interval '1 day', $4, now()) RETURNING id`, f.company.ID, post, "REVIEW-TOKEN-"+tag, f.owner.ID)
	q(`INSERT INTO post_comments (company_id, post_id, author_id, author_name, body, created_at) VALUES ($1, $2, $3, 'Owner', $4, now()) RETURNING id`,
		f.company.ID, post, f.owner.ID, "Comment of "+tag)
	q(`INSERT INTO post_comments (company_id, post_id, author_name, by_client, body, review_link_id, kind, created_at)
		VALUES ($1, $2, 'Client', true, '', $3, 'client_approval', now()) RETURNING id`, f.company.ID, post, link)
	q(`INSERT INTO ai_usage (company_id, month, prompt_tokens, completion_tokens, requests) VALUES ($1, date_trunc('month', now()), 10, 20, 1) RETURNING company_id`, f.company.ID)
	q(`INSERT INTO ai_reservations (company_id, month, tokens, expires_at) VALUES ($1, date_trunc('month', now()), 5000, now() + interval '10 minutes') RETURNING id`, f.company.ID)
	q(`INSERT INTO scheduled_post_counts (company_id, post_id, month) VALUES ($1, $2, date_trunc('month', now())) RETURNING post_id`, f.company.ID, post)
	q(`INSERT INTO invitations (company_id, email, role, invited_by, token_hash, expires_at)
		VALUES ($1, $2, 'editor', $3, sha256(convert_to($2::text, 'UTF8')), now() + interval '7 days') RETURNING id`, f.company.ID, strings.ToLower("invitee-"+tag+"@example.com"), f.owner.ID)
	q(`INSERT INTO audit_log (company_id, actor_id, action, subject) VALUES ($1, $2, 'post.created', $3) RETURNING id`, f.company.ID, f.owner.ID, post)
	q(`INSERT INTO oauth_states (state_hash, company_id, user_id, platform, verifier, expires_at)
		VALUES (sha256($1::bytea), $2, $3, 'sandbox', $4, now() + interval '10 minutes') RETURNING company_id`, []byte(tag), f.company.ID, f.owner.ID, []byte("SEALED-VERIFIER-"+tag))
	endpoint := q(`INSERT INTO webhook_endpoints (company_id, url, events, description, secret, previous_secret, previous_secret_until, created_by)
		VALUES ($1, $2, '{post.published}', $3, $4, $5, now() + interval '1 day', $6) RETURNING id`, f.company.ID, "https://hooks.example.com/"+tag,
		"Hooks of "+tag, []byte("SEALED-WHSEC-"+tag), []byte("SEALED-WHSEC-OLD-"+tag), f.owner.ID)
	event := q(`INSERT INTO webhook_events (company_id, type, data) VALUES ($1, 'post.published', jsonb_build_object('post', jsonb_build_object('id', $2::text)))
		RETURNING id`, f.company.ID, post)
	q(`INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id, event_type, status, attempts, response_status, response_body)
		VALUES ($1, $2, $3, 'post.published', 'succeeded', 1, 200, $4) RETURNING id`, f.company.ID, endpoint, event, "ok from "+tag)
	return account, post
}

func TestExports_CompanyHoldsEveryKindOfItsDataAndNothingElse(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	account, post := seedCompany(t, db, acme, "acme")
	rivalAccount, rivalPost := seedCompany(t, db, rival, "rival")

	var got collector
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Exports().Company(ctx, acme.company.ID, &got) }); err != nil {
		t.Fatalf("Company export: %v", err)
	}
	for _, name := range []string{"company", "members", "invitations", "social_accounts", "posts", "metric_snapshots", "ai_usage", "audit_log",
		"webhook_endpoints", "webhook_events", "webhook_deliveries", "post_comments", "review_links"} {
		if len(got.sections[name]) == 0 {
			t.Errorf("section %s is empty or missing; sections %v", name, got.order)
		}
	}
	if c := got.sections["post_comments"]; len(c) != 2 || c[0]["body"] != "Comment of acme" || c[1]["kind"] != "client_approval" {
		t.Errorf("post comments = %v", c)
	}
	if c := got.sections["company"]; len(c) != 1 || c[0]["name"] != acme.company.Name {
		t.Errorf("company section = %v", c)
	}
	if m := got.sections["members"]; len(m) != 1 || m[0]["email"] != acme.owner.Email || m[0]["role"] != "owner" || m[0]["joined_at"] == nil {
		t.Errorf("members = %v", m)
	}
	if a := got.sections["social_accounts"]; len(a) != 1 || a[0]["id"] != account || a[0]["display_name"] != "Account acme" {
		t.Errorf("social accounts = %v", a)
	}
	p := got.sections["posts"]
	if len(p) != 1 || p[0]["id"] != post || p[0]["content"] != "Post of acme" {
		t.Fatalf("posts = %v", p)
	}
	targets, _ := p[0]["targets"].([]any)
	if len(targets) != 1 || targets[0].(map[string]any)["variant"] != "Variant of acme" || targets[0].(map[string]any)["attempts"] != float64(1) {
		t.Errorf("post targets = %v", p[0]["targets"])
	}
	if ts, _ := p[0]["created_at"].(string); !strings.HasSuffix(ts, "+00:00") {
		t.Errorf("created_at = %q, want a time in UTC", ts)
	}
	raw := got.raw.String()
	for _, secret := range []string{"SEALED-ACCESS", "SEALED-REFRESH", "SEALED-VERIFIER", "SEALED-WHSEC", "previous_secret\"", "\"secret\"",
		"access_token", "refresh_token", "password_hash", "token_hash", fmt.Sprintf("%x", "SEALED-WHSEC-acme"),
		fmt.Sprintf("%x", "SEALED-ACCESS-acme")} {
		if strings.Contains(raw, secret) {
			t.Errorf("the export holds %q", secret)
		}
	}
	for _, theirs := range []string{string(rival.company.ID), rival.company.Name, rival.owner.Email, rivalAccount, rivalPost, "rival"} {
		if strings.Contains(raw, theirs) {
			t.Errorf("acme's export holds rival's %q", theirs)
		}
	}

	if err := db.Read(ctx, func(tx ports.Tx) error { return tx.Exports().Company(ctx, acme.company.ID, &collector{}) }); err == nil {
		t.Error("an export outside a transaction was allowed")
	}
	err := db.InTx(ctx, func(tx ports.Tx) error {
		if _, err := tx.Companies().Get(ctx, acme.company.ID); err != nil {
			return err
		}
		return tx.Exports().Company(ctx, acme.company.ID, &collector{})
	})
	if err == nil {
		t.Error("an export after another statement of its transaction was allowed (it would not be one snapshot)")
	}
}

func TestExports_UserHoldsTheirDataWithoutSecrets(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	f, other := newFixture(t, db), newFixture(t, db)
	_, post := seedCompany(t, db, f, "mine")
	seedCompany(t, db, other, "theirs")
	tok := domain.Token{UserID: f.owner.ID, Kind: domain.TokenPersonal, Name: "deploy script"}
	tok.CreatedAt = f.company.CreatedAt
	tok.ExpiresAt = f.company.CreatedAt.AddDate(1, 0, 0)
	hash := bytes.Repeat([]byte{0xAB}, 32)
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Tokens().Create(ctx, &tok, hash) }); err != nil {
		t.Fatal(err)
	}

	if err := db.InTx(ctx, func(tx ports.Tx) error {
		return tx.TwoFactor().BeginTOTP(ctx, ports.TOTPSecret{UserID: f.owner.ID, Sealed: bytes.Repeat([]byte{0xCD}, 40), CreatedAt: f.company.CreatedAt})
	}); err != nil {
		t.Fatal(err)
	}
	var got collector
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Exports().User(ctx, f.owner.ID, &got) }); err != nil {
		t.Fatalf("User export: %v", err)
	}
	want := []string{"profile", "memberships", "api_tokens", "audit_log", "posts_created", "post_comments_written", "media_uploaded", "emails", "notifications", "notification_prefs", "passkeys", "two_factor"}
	if !slices.Equal(got.order, want) {
		t.Errorf("sections = %v, want %v", got.order, want)
	}
	if tf := got.sections["two_factor"]; len(tf) != 1 || tf[0]["sealed_secret"] != nil || len(tf[0]) != 2 {
		t.Errorf("two_factor = %v, want when it was set up and enabled, never the secret", tf)
	}
	if p := got.sections["profile"]; len(p) != 1 || p[0]["email"] != f.owner.Email {
		t.Errorf("profile = %v", p)
	}
	if m := got.sections["memberships"]; len(m) != 1 || m[0]["company_name"] != f.company.Name || m[0]["role"] != "owner" {
		t.Errorf("memberships = %v", m)
	}
	if tk := got.sections["api_tokens"]; len(tk) != 1 || tk[0]["name"] != "deploy script" || tk[0]["kind"] != "personal" {
		t.Errorf("api tokens = %v", tk)
	}
	if a := got.sections["audit_log"]; len(a) != 1 || a[0]["subject"] != post {
		t.Errorf("audit entries = %v", a)
	}
	if p := got.sections["posts_created"]; len(p) != 1 || p[0]["post_id"] != post {
		t.Errorf("posts created = %v", p)
	}
	if c := got.sections["post_comments_written"]; len(c) != 1 || c[0]["body"] != "Comment of mine" {
		t.Errorf("comments written = %v", c)
	}
	raw := got.raw.String()
	for _, no := range []string{"hash", "abababab", "password", other.owner.Email, string(other.company.ID)} {
		if strings.Contains(strings.ToLower(raw), strings.ToLower(no)) {
			t.Errorf("the user's export holds %q", no)
		}
	}
	keys := []string{}
	for k := range got.sections["api_tokens"][0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, []string{"created_at", "expires_at", "id", "kind", "name"}) {
		t.Errorf("token fields = %v", keys)
	}
}

func TestCompanies_DeleteTakesEveryRowAndLeavesOthers(t *testing.T) {
	t.Parallel()
	ctx, db := context.Background(), pgtest.DB(t)
	acme, rival := newFixture(t, db), newFixture(t, db)
	seedCompany(t, db, acme, "gone")
	seedCompany(t, db, rival, "stays")
	// Other instances hear that the company's roles changed, as with membership changes.
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN `+postgres.AuthzChannel); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx ports.Tx) error { return tx.Companies().Delete(ctx, acme.company.ID) }); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		n, err := conn.Conn().WaitForNotification(waitCtx)
		if err != nil {
			t.Fatalf("no notification on %s after the deletion: %v", postgres.AuthzChannel, err)
		}
		if n.Payload == string(acme.company.ID) {
			break
		}
	}
	company, _ := postgres.ExportCoverage()
	for table := range company {
		col := "company_id"
		if table == "companies" {
			col = "id"
		}
		for i, c := range []fixture{acme, rival} {
			var n int
			if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+col+` = $1`, c.company.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if i == 0 && n != 0 {
				t.Errorf("%d rows of the deleted company left in %s", n, table)
			}
			if i == 1 && n == 0 {
				t.Errorf("the other company lost its rows in %s", table)
			}
		}
	}
	err = db.Read(ctx, func(tx ports.Tx) error {
		_, err := tx.Users().Get(ctx, acme.owner.ID)
		return err
	})
	if err != nil {
		t.Errorf("the deleted company's owner lost their account: %v", err)
	}
	err = db.InTx(ctx, func(tx ports.Tx) error { return tx.Companies().Delete(ctx, acme.company.ID) })
	wantCode(t, "deleting it again", err, domain.CodeNotFound)
}
