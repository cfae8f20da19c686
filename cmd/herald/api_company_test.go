package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// TestAPI_CompanySettings reads and changes the company's name, time zone and brand voice
// as the web app's settings page does: under If-Match, role-checked, audited, and closed to
// other companies.
func TestAPI_CompanySettings(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner, helper, reader, rival := register(t, c, "olga"), register(t, c, "hank"), register(t, c, "vera"), register(t, c, "rex")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, helper, "admin")
	addMember(t, oc, reader, "viewer")

	st, h, body := oc.do("GET", "/api/v1/company", nil)
	if st != http.StatusOK || body["id"] != owner.companyID || body["name"] != "olga Inc" || body["time_zone"] != "UTC" ||
		h.Get("ETag") == "" || field(body, "brand_voice", "description") != "" || len(field(body, "brand_voice", "avoid_words").([]any)) != 0 {
		t.Fatalf("GET /company = %d %v ETag %q", st, body, h.Get("ETag"))
	}
	if field(body, "usage", "members") != float64(3) || field(body, "limits", "members") != float64(5) || field(body, "usage", "month") == nil {
		t.Errorf("GET /company usage and limits = %v %v, want 3 members of the free plan's 5", body["usage"], body["limits"])
	}
	etag := h.Get("ETag")

	change := map[string]any{"name": "  Olga & Co  ", "time_zone": "Europe/Berlin",
		"brand_voice": map[string]any{"description": "Warm and plain.", "avoid_words": []string{"synergy", "synergy"}, "default_hashtags": []string{"#Herald"}}}
	st, h, body = oc.do("PUT", "/api/v1/company", change, "If-Match", etag)
	if st != http.StatusOK || body["name"] != "Olga & Co" || body["time_zone"] != "Europe/Berlin" || field(body, "brand_voice", "description") != "Warm and plain." {
		t.Fatalf("PUT /company = %d %v", st, body)
	}
	if tags := field(body, "brand_voice", "default_hashtags").([]any); len(tags) != 1 || tags[0] != "Herald" {
		t.Errorf("hashtags = %v, want [Herald] (cleaned as the settings page cleans them)", tags)
	}
	if words := field(body, "brand_voice", "avoid_words").([]any); len(words) != 1 {
		t.Errorf("avoid_words = %v, want the duplicate dropped", words)
	}
	if h.Get("ETag") == etag || h.Get("ETag") != `"`+fmt.Sprint(body["version"])+`"` {
		t.Errorf("ETag after the change = %q (before %q), version %v", h.Get("ETag"), etag, body["version"])
	}
	current := h.Get("ETag")

	// The web app's use cases see the same settings.
	actor := domain.Actor{UserID: domain.UserID(owner.userID), CompanyID: domain.CompanyID(owner.companyID), Role: domain.RoleOwner}
	if z, err := m.App.Analytics.Zone(context.Background(), actor); err != nil || z != "Europe/Berlin" {
		t.Errorf("Analytics.Zone = %q %v, want Europe/Berlin", z, err)
	}
	_, _, me := c.with(owner.token, "").do("GET", "/api/v1/auth/me", nil)
	if ms := me["memberships"].([]any); ms[0].(map[string]any)["company_name"] != "Olga & Co" {
		t.Errorf("memberships after the rename = %v", ms)
	}

	// A stale If-Match changes nothing.
	if st, _, body := oc.do("PUT", "/api/v1/company", map[string]any{"name": "Lost Update"}, "If-Match", etag); st != http.StatusPreconditionFailed || body["status"] != float64(412) {
		t.Errorf("PUT with a stale If-Match = %d %v, want 412", st, body)
	}
	// Bad input is 422 naming every field, and changes nothing.
	st, _, body = oc.do("PUT", "/api/v1/company", map[string]any{"name": " ", "time_zone": "Mars/Olympus_Mons"}, "If-Match", current)
	if f := problemFields(body); st != http.StatusUnprocessableEntity || f["name"] == "" || f["time_zone"] == "" {
		t.Errorf("PUT with a blank name and an unknown zone = %d %v, want 422 naming name and time_zone", st, body)
	}
	if st, _, body := oc.do("PUT", "/api/v1/company", map[string]any{"plan": "business"}); st != http.StatusUnprocessableEntity || problemFields(body)["plan"] == "" {
		t.Errorf("PUT /company with the operator's plan field = %d %v, want 422", st, body)
	}
	if st, _, body := oc.do("PUT", "/api/v1/company", []byte(`{"name": 7}`)); st != http.StatusUnprocessableEntity {
		t.Errorf("PUT with a number for a name = %d %v, want 422", st, body)
	}
	if _, h, body := oc.do("GET", "/api/v1/company", nil); body["name"] != "Olga & Co" || h.Get("ETag") != current {
		t.Errorf("after refused changes = %v ETag %q, want unchanged at %q", body, h.Get("ETag"), current)
	}

	// Roles as on the settings page: admins change the voice, only owners the name and zone.
	hc, vc := c.with(helper.token, owner.companyID), c.with(reader.token, owner.companyID)
	if st, _, body := hc.do("PUT", "/api/v1/company", map[string]any{"brand_voice": map[string]any{"description": "Crisp."}}); st != http.StatusOK ||
		field(body, "brand_voice", "description") != "Crisp." {
		t.Errorf("admin changes the voice = %d %v, want 200", st, body)
	}
	if st, _, _ := hc.do("PUT", "/api/v1/company", map[string]any{"name": "Hank's now"}); st != http.StatusForbidden {
		t.Errorf("admin renames the company = %d, want 403", st)
	}
	if st, _, _ := hc.do("PUT", "/api/v1/company", map[string]any{"time_zone": "Asia/Tokyo"}); st != http.StatusForbidden {
		t.Errorf("admin changes the time zone = %d, want 403", st)
	}
	if st, _, _ := vc.do("PUT", "/api/v1/company", map[string]any{"brand_voice": map[string]any{"description": "Loud."}}); st != http.StatusForbidden {
		t.Errorf("viewer changes the voice = %d, want 403", st)
	}
	if st, _, _ := vc.do("PUT", "/api/v1/company", map[string]any{}); st != http.StatusForbidden {
		t.Errorf("viewer sends an empty change = %d, want 403", st)
	}
	if st, _, body := hc.do("PUT", "/api/v1/company", map[string]any{}); st != http.StatusOK || body["name"] != "Olga & Co" {
		t.Errorf("admin sends an empty change = %d %v, want 200 and nothing changed", st, body)
	}
	if st, _, body := vc.do("GET", "/api/v1/company", nil); st != http.StatusOK || field(body, "brand_voice", "description") != "Crisp." {
		t.Errorf("viewer reads the settings = %d %v, want 200", st, body)
	}

	// Another company's settings are not found, read or written.
	rc := c.with(rival.token, owner.companyID)
	if st, _, _ := rc.do("GET", "/api/v1/company", nil); st != http.StatusNotFound {
		t.Errorf("rival reads another company = %d, want 404", st)
	}
	if st, _, _ := rc.do("PUT", "/api/v1/company", map[string]any{"name": "Taken"}); st != http.StatusNotFound {
		t.Errorf("rival renames another company = %d, want 404", st)
	}
	if _, _, body := oc.do("GET", "/api/v1/company", nil); body["name"] != "Olga & Co" {
		t.Errorf("after the rival's attempt the name is %v", body["name"])
	}

	// Each change is in the audit log, as the web app's changes are.
	_, _, log := oc.do("GET", "/api/v1/audit?limit=200", nil)
	seen := map[string]bool{}
	for _, it := range log["items"].([]any) {
		seen[it.(map[string]any)["action"].(string)] = true
	}
	for _, want := range []string{"company.renamed", "company.time_zone_changed", "brand.voice_changed"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s: %v", want, seen)
		}
	}
}

// TestAPI_CreateCompany makes another company owned by the caller, as the web app's home
// page does: on the free plan, once per Idempotency-Key, reachable by X-Company-ID.
func TestAPI_CreateCompany(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, rival := register(t, c, "nina"), register(t, c, "otto")
	uc := c.with(owner.token, "")

	st, h, body := uc.do("POST", "/api/v1/companies", map[string]string{"name": "Nina's Second"}, "Idempotency-Key", "second-company")
	if st != http.StatusCreated || body["name"] != "Nina's Second" || body["plan"] != "free" || body["status"] != "active" || body["id"] == nil || h.Get("ETag") == "" {
		t.Fatalf("POST /companies = %d %v", st, body)
	}
	id := body["id"].(string)
	if st, _, again := uc.do("POST", "/api/v1/companies", map[string]string{"name": "Nina's Second"}, "Idempotency-Key", "second-company"); st != http.StatusCreated || again["id"] != id {
		t.Errorf("replay with the same key = %d %v, want the first answer (id %s)", st, again, id)
	}
	_, _, me := uc.do("GET", "/api/v1/auth/me", nil)
	roles := map[string]any{}
	for _, ms := range me["memberships"].([]any) {
		roles[ms.(map[string]any)["company_id"].(string)] = ms.(map[string]any)["role"]
	}
	if len(roles) != 2 || roles[id] != "owner" {
		t.Errorf("memberships = %v, want the first company and the new one as owner (and no duplicate from the replay)", roles)
	}
	// With two companies, X-Company-ID is needed; the new one answers its settings.
	if st, _, _ := uc.do("GET", "/api/v1/company", nil); st != http.StatusBadRequest {
		t.Errorf("GET /company without X-Company-ID in two companies = %d, want 400", st)
	}
	if st, _, body := c.with(owner.token, id).do("GET", "/api/v1/company", nil); st != http.StatusOK || body["name"] != "Nina's Second" {
		t.Errorf("GET /company of the new company = %d %v", st, body)
	}
	if st, _, _ := c.with(rival.token, id).do("GET", "/api/v1/company", nil); st != http.StatusNotFound {
		t.Errorf("another person reads the new company = %d, want 404", st)
	}
	for _, in := range []any{map[string]string{"name": ""}, map[string]string{"name": "two\nlines"}, map[string]any{"name": "X", "plan": "business"}} {
		if st, _, body := uc.do("POST", "/api/v1/companies", in); st != http.StatusUnprocessableEntity || len(problemFields(body)) == 0 {
			t.Errorf("POST /companies %v = %d %v, want 422 with fields", in, st, body)
		}
	}
	if st, _, _ := c.with("", "").do("POST", "/api/v1/companies", map[string]string{"name": "Anon"}); st != http.StatusUnauthorized {
		t.Errorf("POST /companies without credentials = %d, want 401", st)
	}
}

// TestAPI_AIUsage answers the month's AI tokens against the plan's allowance, as the
// settings page shows them, to the roles that may see them.
func TestAPI_AIUsage(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner, reader, rival := register(t, c, "pia"), register(t, c, "quin"), register(t, c, "ruth")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, reader, "viewer")

	st, _, body := oc.do("GET", "/api/v1/ai/usage", nil)
	allowance := domain.PlanFree.Limits().AITokensPerMonth
	if st != http.StatusOK || body["prompt_tokens"] != float64(0) || body["used_tokens"] != float64(0) || body["allowance"] != float64(allowance) || body["month"] == nil {
		t.Fatalf("GET /ai/usage = %d %v (allowance want %d)", st, body, allowance)
	}
	if _, err := m.db.Pool().Exec(context.Background(), `INSERT INTO ai_usage (company_id, month, prompt_tokens, completion_tokens, requests)
		VALUES ($1, ($2 || '-01')::date, 120, 30, 2)`, owner.companyID, body["month"]); err != nil {
		t.Fatal(err)
	}
	st, _, body = oc.do("GET", "/api/v1/ai/usage", nil)
	if st != http.StatusOK || body["prompt_tokens"] != float64(120) || body["completion_tokens"] != float64(30) || body["used_tokens"] != float64(150) {
		t.Errorf("GET /ai/usage after use = %d %v, want 120 + 30", st, body)
	}
	if st, _, _ := c.with(reader.token, owner.companyID).do("GET", "/api/v1/ai/usage", nil); st != http.StatusForbidden {
		t.Errorf("viewer reads AI usage = %d, want 403 (the settings page hides it from viewers)", st)
	}
	if st, _, body := c.with(rival.token, rival.companyID).do("GET", "/api/v1/ai/usage", nil); st != http.StatusOK || body["used_tokens"] != float64(0) {
		t.Errorf("another company's usage = %d %v, want its own 0", st, body)
	}
	if st, _, _ := c.with(rival.token, owner.companyID).do("GET", "/api/v1/ai/usage", nil); st != http.StatusNotFound {
		t.Errorf("rival reads this company's usage = %d, want 404", st)
	}
}
