package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/heraldhq/herald/adapters/queue"
	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// download GETs path and returns the status, headers and the raw body.
func (c *client) download(path string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.company != "" {
		req.Header.Set("X-Company-ID", c.company)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return res.StatusCode, res.Header, raw
}

// exportDoc is a company or user archive, decoded.
type exportDoc struct {
	Format     string                      `json:"format"`
	Version    int                         `json:"version"`
	ExportedAt string                      `json:"exported_at"`
	CompanyID  string                      `json:"company_id"`
	UserID     string                      `json:"user_id"`
	Sections   map[string][]map[string]any `json:"sections"`
}

// schedulePost creates a post on the account and schedules it at at through the API (the
// real scheduling path, which inserts its publish job), and returns its id.
func schedulePost(t *testing.T, c *client, account, content string, at time.Time) string {
	t.Helper()
	st, _, p := c.do("POST", "/api/v1/posts", map[string]any{"content": content, "account_ids": []string{account}})
	if st != 201 {
		t.Fatalf("create post = %d %v", st, p)
	}
	id := p["id"].(string)
	if st, _, p = c.do("POST", "/api/v1/posts/"+id+"/schedule", map[string]string{"scheduled_for": at.UTC().Format(time.RFC3339)}); st != 200 || p["status"] != "scheduled" {
		t.Fatalf("schedule = %d %v", st, p)
	}
	return id
}

// sealedAccess returns the account's sealed access token as stored, and the token itself.
func sealedAccess(t *testing.T, m *Main, account string) (sealed []byte, plain string) {
	t.Helper()
	var company, platform, external string
	err := m.db.Pool().QueryRow(context.Background(), `SELECT company_id, platform, external_id, access_token FROM social_accounts WHERE id = $1`, account).
		Scan(&company, &platform, &external, &sealed)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := m.KeyRing.Open(sealed, []byte("herald/v1|social_account|"+company+"|"+platform+"|"+external+"|access"))
	if err != nil || len(opened) < 8 {
		t.Fatalf("opening the stored token: %v (%d bytes)", err, len(opened))
	}
	return sealed, string(opened)
}

func TestAPI_CompanyExport(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "exporter")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "exporter-sandbox")
	post := schedulePost(t, oc, acct, "Exported words", time.Now().Add(3*time.Hour))
	editor := register(t, c, "exported-editor")
	addMember(t, oc, editor, "editor")
	invitee := uniqueEmail("invitee")
	if st, _, body := oc.do("POST", "/api/v1/members", map[string]string{"email": invitee, "role": "viewer"}); st != 201 {
		t.Fatalf("invite = %d %v", st, body)
	}
	// Another company with its own data, which must never appear in the export.
	rival := register(t, c, "rival-exporter")
	rc := c.with(rival.token, rival.companyID)
	rivalAcct := connectSandboxAPI(t, rc, "rival-sandbox")
	rivalPost := schedulePost(t, rc, rivalAcct, "Rival words", time.Now().Add(3*time.Hour))

	st, h, raw := oc.download("/api/v1/company/export")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="herald-company-`+owner.companyID) ||
		!strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("export = %d %v\n%s", st, h, raw)
	}
	var doc exportDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, raw)
	}
	if doc.Format != app.CompanyExportFormat || doc.Version != 1 || doc.CompanyID != owner.companyID || doc.ExportedAt == "" {
		t.Errorf("export header = %+v", doc)
	}
	s := doc.Sections
	if len(s["company"]) != 1 || s["company"][0]["name"] != "exporter Inc" {
		t.Errorf("company = %v", s["company"])
	}
	emails := map[any]any{}
	for _, mem := range s["members"] {
		emails[mem["email"]] = mem["role"]
		for _, k := range []string{"user_id", "name", "joined_at"} {
			if mem[k] == nil {
				t.Errorf("member without %s: %v", k, mem)
			}
		}
	}
	if len(emails) != 2 || emails[owner.email] != "owner" || emails[editor.email] != "editor" {
		t.Errorf("members = %v", s["members"])
	}
	if len(s["invitations"]) != 1 || s["invitations"][0]["email"] != invitee {
		t.Errorf("invitations = %v", s["invitations"])
	}
	if len(s["social_accounts"]) != 1 || s["social_accounts"][0]["id"] != acct || s["social_accounts"][0]["display_name"] != "exporter-sandbox" {
		t.Errorf("social accounts = %v", s["social_accounts"])
	}
	if len(s["posts"]) != 1 || s["posts"][0]["id"] != post || s["posts"][0]["content"] != "Exported words" || s["posts"][0]["status"] != "scheduled" {
		t.Errorf("posts = %v", s["posts"])
	} else if tg, _ := s["posts"][0]["targets"].([]any); len(tg) != 1 || tg[0].(map[string]any)["account_id"] != acct {
		t.Errorf("post targets = %v", s["posts"][0]["targets"])
	}
	actions := map[any]bool{}
	for _, e := range s["audit_log"] {
		actions[e["action"]] = true
	}
	if !actions["member.joined"] || !actions["member.invited"] {
		t.Errorf("audit log actions = %v", actions)
	}
	for _, name := range []string{"metric_snapshots", "ai_usage"} {
		if _, ok := s[name]; !ok {
			t.Errorf("section %s is missing", name)
		}
	}

	// No secret: neither the token, nor its sealed bytes in any spelling, nor hashes.
	sealed, plain := sealedAccess(t, m, acct)
	text := string(raw)
	for what, secret := range map[string]string{"the access token": plain, "the sealed token (hex)": hex.EncodeToString(sealed),
		"the sealed token (base64)": base64.StdEncoding.EncodeToString(sealed), "the sealed token (raw)": string(sealed),
		"the owner's API token": owner.token} {
		if strings.Contains(text, secret) {
			t.Errorf("the export holds %s", what)
		}
	}
	for _, k := range []string{"access_token", "refresh_token", "password_hash", "token_hash", "verifier"} {
		if strings.Contains(text, `"`+k+`"`) {
			t.Errorf("the export has a field %s", k)
		}
	}
	// Tenant isolation: nothing of the rival company.
	for _, theirs := range []string{rival.companyID, rival.email, rivalAcct, rivalPost, "Rival words", "rival-sandbox", "rival-exporter Inc"} {
		if strings.Contains(text, theirs) {
			t.Errorf("the export holds the other company's %q", theirs)
		}
	}

	// Owners only (403); another company's export is not found (404).
	ec := c.with(editor.token, owner.companyID)
	if st, _, body := ec.do("GET", "/api/v1/company/export", nil); st != 403 || body["status"] != float64(403) {
		t.Errorf("editor export = %d %v, want a 403 problem", st, body)
	}
	if st, _, _ := c.with(rival.token, owner.companyID).do("GET", "/api/v1/company/export", nil); st != 404 {
		t.Errorf("export of another company = %d, want 404", st)
	}
	var audited int
	if err := m.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE company_id = $1 AND action = 'company.exported' AND actor_id = $2`,
		owner.companyID, owner.userID).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("company.exported entries = %d (%v), want 1", audited, err)
	}
}

// unfinishedJobs (its media purge, which deleting it enqueues, aside) counts the company's River jobs that could still run.
func unfinishedJobs(t *testing.T, m *Main, company string) (unfinished, cancelled int) {
	t.Helper()
	err := m.db.Pool().QueryRow(context.Background(), `
		SELECT count(*) FILTER (WHERE state IN ('available', 'scheduled', 'pending', 'retryable', 'running')),
		       count(*) FILTER (WHERE state = 'cancelled')
		FROM river_job WHERE args->>'company_id' = $1 AND kind <> 'purge_media'`, company).Scan(&unfinished, &cancelled)
	if err != nil {
		t.Fatal(err)
	}
	return unfinished, cancelled
}

func TestAPI_CompanyDeletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "deleter")
	oc := c.with(owner.token, owner.companyID)
	acct := connectSandboxAPI(t, oc, "deleter-sandbox")
	post := schedulePost(t, oc, acct, "Never published", time.Now().Add(2*time.Hour))
	// A metrics collection waiting for the account, as the collector inserts them.
	if _, err := m.queue.Client().Insert(ctx, queue.CollectAccountArgs{CompanyID: owner.companyID, AccountID: acct},
		&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	editor := register(t, c, "deleter-editor")
	addMember(t, oc, editor, "editor")
	other := register(t, c, "survivor")
	sc := c.with(other.token, other.companyID)
	otherAcct := connectSandboxAPI(t, sc, "survivor-sandbox")
	otherPost := schedulePost(t, sc, otherAcct, "Still scheduled", time.Now().Add(2*time.Hour))
	if n, _ := unfinishedJobs(t, m, owner.companyID); n != 2 {
		t.Fatalf("the company has %d waiting jobs before deletion, want 2 (publish and metrics)", n)
	}

	// Only owners; another company's is not found; the name must be typed back exactly.
	if st, _, _ := c.with(editor.token, owner.companyID).do("DELETE", "/api/v1/company", map[string]string{"confirm": "deleter Inc"}); st != 403 {
		t.Errorf("editor deletes = %d, want 403", st)
	}
	if st, _, _ := c.with(other.token, owner.companyID).do("DELETE", "/api/v1/company", map[string]string{"confirm": "deleter Inc"}); st != 404 {
		t.Errorf("another company's owner deletes = %d, want 404", st)
	}
	for _, confirm := range []string{"", "Deleter Inc", "survivor Inc"} {
		st, _, body := oc.do("DELETE", "/api/v1/company", map[string]string{"confirm": confirm})
		if st != 422 || problemFields(body)["confirm"] == "" {
			t.Errorf("confirm %q = %d %v, want 422 on confirm", confirm, st, body)
		}
	}
	if st, _, body := oc.do("DELETE", "/api/v1/company", map[string]any{"confirm": 7}); st != 422 {
		t.Errorf("confirm of the wrong type = %d %v, want 422", st, body)
	}
	if st, _, body := oc.do("GET", "/api/v1/posts/"+post, nil); st != 200 {
		t.Fatalf("refused deletions deleted something: %d %v", st, body)
	}

	if st, _, body := oc.do("DELETE", "/api/v1/company", map[string]string{"confirm": "deleter Inc"}); st != 204 {
		t.Fatalf("delete = %d %v", st, body)
	}
	if n, cancelled := unfinishedJobs(t, m, owner.companyID); n != 0 || cancelled != 2 {
		t.Errorf("after deletion: %d jobs could still run, %d cancelled; want 0 and 2", n, cancelled)
	}
	var purges int
	if err := m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'purge_media' AND args->>'company_id' = $1`, owner.companyID).Scan(&purges); err != nil || purges != 1 {
		t.Errorf("the deleted company's media purges: %d, %v; want 1", purges, err)
	}
	if n, _ := unfinishedJobs(t, m, other.companyID); n != 1 {
		t.Errorf("the other company has %d waiting jobs, want its 1", n)
	}
	for _, table := range []string{"memberships", "social_accounts", "posts", "post_targets", "audit_log", "oauth_states"} {
		var n int
		if err := m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE company_id = $1`, owner.companyID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows of the deleted company (%v)", table, n, err)
		}
	}
	var sealedLeft int
	if err := m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM social_accounts WHERE id = $1`, acct).Scan(&sealedLeft); err != nil || sealedLeft != 0 {
		t.Errorf("the account and its tokens are still stored (%d, %v)", sealedLeft, err)
	}
	// The audit entry survives, in no company, with who, from where, and which company.
	var actor, details string
	var company *string
	var ip *string
	err := m.db.Pool().QueryRow(ctx, `SELECT company_id::text, actor_id::text, host(ip), details::text FROM audit_log WHERE action = 'company.deleted' AND subject = $1`,
		owner.companyID).Scan(&company, &actor, &ip, &details)
	if err != nil || company != nil || actor != owner.userID || ip == nil || *ip != "127.0.0.1" || !strings.Contains(details, `"company_name": "deleter Inc"`) ||
		!strings.Contains(details, `"company_id": "`+owner.companyID+`"`) || !strings.Contains(details, `"jobs_cancelled": "2"`) {
		t.Errorf("company.deleted entry: company %v, actor %q, ip %v, details %s (%v)", company, actor, ip, details, err)
	}

	// People keep their accounts; the company is gone for them, and its roles with it.
	for _, who := range []account{owner, editor} {
		st, _, body := c.with(who.token, "").do("GET", "/api/v1/auth/me", nil)
		for _, ms := range body["memberships"].([]any) {
			if ms.(map[string]any)["company_id"] == owner.companyID {
				t.Errorf("%s is still a member: %v", who.email, body)
			}
		}
		if st != 200 {
			t.Errorf("%s after the deletion: me = %d", who.email, st)
		}
	}
	// The roles went with the company (Casbin reloaded from the memberships).
	for _, who := range []account{owner, editor} {
		if err := m.authz.Can(ctx, domain.Actor{UserID: domain.UserID(who.userID), CompanyID: domain.CompanyID(owner.companyID)}, domain.ResourcePosts, domain.ActionRead); domain.CodeOf(err) != domain.CodeForbidden {
			t.Errorf("%s may still read the deleted company's posts: %v", who.email, err)
		}
	}
	if st, _, _ := c.with(editor.token, owner.companyID).do("GET", "/api/v1/posts", nil); st != 404 {
		t.Errorf("the deleted company's posts = %d, want 404", st)
	}
	if st, _, _ := oc.do("DELETE", "/api/v1/company", map[string]string{"confirm": "deleter Inc"}); st != 404 {
		t.Errorf("deleting it again = %d, want 404", st)
	}
	// The other company is intact.
	if st, _, p := sc.do("GET", "/api/v1/posts/"+otherPost, nil); st != 200 || p["status"] != "scheduled" {
		t.Errorf("the other company's post = %d %v", st, p)
	}
	if st, _, l := sc.do("GET", "/api/v1/accounts", nil); st != 200 || len(l["items"].([]any)) != 1 {
		t.Errorf("the other company's accounts = %d %v", st, l)
	}
}

func TestAPI_AccountSelfService(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	me := register(t, c, "leaver")
	mc := c.with(me.token, me.companyID)
	colleague := register(t, c, "colleague")
	addMember(t, mc, colleague, "editor")
	acct := connectSandboxAPI(t, mc, "leaver-sandbox")
	st, _, p := mc.do("POST", "/api/v1/posts", map[string]any{"content": "Written by the leaver", "account_ids": []string{acct}})
	if st != 201 {
		t.Fatalf("create post = %d %v", st, p)
	}
	post := p["id"].(string)
	st, _, tok := c.with(me.token, "").do("POST", "/api/v1/auth/tokens", map[string]string{"name": "backup script"})
	if st != 201 {
		t.Fatalf("create token = %d %v", st, tok)
	}
	personal := tok["token"].(string)
	solo, err := m.App.Auth.CreateCompany(ctx, domain.UserID(me.userID), "Leaver Solo")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.authz.Reload(ctx, solo.ID); err != nil {
		t.Fatal(err)
	}

	// The export: profile, memberships, token metadata, own audit entries; no secrets.
	st, h, raw := c.with(me.token, "").download("/api/v1/auth/me/export")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="herald-user-`+me.userID) {
		t.Fatalf("export = %d %v\n%s", st, h, raw)
	}
	var doc exportDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, raw)
	}
	s := doc.Sections
	if doc.Format != app.UserExportFormat || doc.UserID != me.userID || len(s["profile"]) != 1 || s["profile"][0]["email"] != me.email {
		t.Errorf("export header and profile = %+v", doc)
	}
	if len(s["memberships"]) != 2 {
		t.Errorf("memberships = %v, want the first company and the solo one", s["memberships"])
	}
	names := map[any]bool{}
	for _, tk := range s["api_tokens"] {
		names[tk["name"]] = true
	}
	if !names["backup script"] || !names["login"] {
		t.Errorf("api tokens = %v", s["api_tokens"])
	}
	actions := map[any]bool{}
	for _, e := range s["audit_log"] {
		actions[e["action"]] = true
	}
	if !actions["user.registered"] || !actions["token.created"] || !actions["member.invited"] {
		t.Errorf("own audit entries = %v", actions)
	}
	if len(s["posts_created"]) != 1 || s["posts_created"][0]["post_id"] != post {
		t.Errorf("posts created = %v", s["posts_created"])
	}
	for _, secret := range []string{personal, me.token, strings.TrimPrefix(personal, app.TokenPrefix), "hash", colleague.email} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the export holds %q", secret)
		}
	}

	// Deletion: confirm with the email; the last owner of a company with others is refused.
	for _, confirm := range []string{"", colleague.email} {
		if st, _, body := mc.do("DELETE", "/api/v1/auth/me", map[string]string{"confirm": confirm}); st != 422 || problemFields(body)["confirm"] == "" {
			t.Errorf("confirm %q = %d %v, want 422 on confirm", confirm, st, body)
		}
	}
	st, _, body := mc.do("DELETE", "/api/v1/auth/me", map[string]string{"confirm": strings.ToUpper(me.email)})
	if detail, _ := body["detail"].(string); st != 409 || !strings.Contains(detail, "last owner of leaver Inc") {
		t.Fatalf("last owner deletes their account = %d %v, want 409 naming the company", st, body)
	}
	if st, _, _ := c.with(personal, "").do("GET", "/api/v1/auth/me", nil); st != 200 {
		t.Fatalf("the refused deletion broke the token: %d", st)
	}
	if st, _, body := mc.do("PUT", "/api/v1/members/"+colleague.userID, map[string]string{"role": "owner"}); st != 200 {
		t.Fatalf("make the colleague an owner = %d %v", st, body)
	}
	st, _, body = mc.do("DELETE", "/api/v1/auth/me", map[string]string{"confirm": me.email})
	if st != 200 {
		t.Fatalf("delete account = %d %v", st, body)
	}
	deleted, _ := body["deleted_companies"].([]any)
	left, _ := body["left_companies"].([]any)
	if len(deleted) != 1 || deleted[0].(map[string]any)["id"] != string(solo.ID) || len(left) != 1 || left[0].(map[string]any)["company_id"] != me.companyID {
		t.Errorf("deletion answer = %v", body)
	}
	// Sessions and API tokens stop at once.
	for what, secret := range map[string]string{"session": me.token, "personal token": personal} {
		if st, _, _ := c.with(secret, "").do("GET", "/api/v1/auth/me", nil); st != 401 {
			t.Errorf("%s after deletion = %d, want 401", what, st)
		}
	}
	if st, _, _ := c.do("POST", "/api/v1/auth/login", map[string]string{"email": me.email, "password": "correct horse battery"}); st != 401 {
		t.Errorf("login after deletion = %d, want 401", st)
	}
	// The company carries on; the post stays, without an author.
	cc := c.with(colleague.token, me.companyID)
	if st, _, p := cc.do("GET", "/api/v1/posts/"+post, nil); st != 200 || p["created_by"] != nil {
		t.Errorf("the leaver's post = %d %v, want it kept without created_by", st, p)
	}
	if st, _, l := cc.do("GET", "/api/v1/members", nil); st != 200 || len(l["items"].([]any)) != 1 {
		t.Errorf("members after the leaver went = %d %v", st, l)
	}
	var soloLeft, entries int
	_ = m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM companies WHERE id = $1`, solo.ID).Scan(&soloLeft)
	if soloLeft != 0 {
		t.Error("the company where they were the only member was kept")
	}
	_ = m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'user.deleted' AND subject = $1 AND company_id IS NULL AND actor_id IS NULL
		AND ip IS NOT NULL AND details->>'companies_deleted' = '1'`,
		me.userID).Scan(&entries)
	if entries != 1 {
		t.Errorf("user.deleted entries = %d, want 1", entries)
	}
	_ = m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'member.account_deleted' AND company_id = $1 AND subject = $2`,
		me.companyID, me.userID).Scan(&entries)
	if entries != 1 {
		t.Errorf("member.account_deleted entries in the company = %d, want 1", entries)
	}
}
