package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/domain"
)

// addMember has person join the company of owner's client with role the only way there
// is: owner invites, person accepts the link. It returns the invitation's id.
func addMember(t testing.TB, owner *client, person account, role string) string {
	t.Helper()
	st, _, inv := owner.do("POST", "/api/v1/members", map[string]string{"email": person.email, "role": role})
	if st != 201 {
		t.Fatalf("invite %s as %s = %d %v", person.email, role, st, inv)
	}
	if st, _, body := owner.with(person.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 200 {
		t.Fatalf("%s accepts = %d %v", person.email, st, body)
	}
	return inv["id"].(string)
}

// tokenOf returns the token in an invitation's accept_url.
func tokenOf(t testing.TB, inv map[string]any) string {
	t.Helper()
	raw, _ := inv["accept_url"].(string)
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("accept_url %q has no token", raw)
	}
	return u.Query().Get("token")
}

// TestAPI_InviteAnswersTheSameForRegisteredAndUnknownEmails: POST /members never adds
// anyone and its answer does not tell whether the email has an account.
func TestAPI_InviteAnswersTheSameForRegisteredAndUnknownEmails(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, known := register(t, c, "inviter"), register(t, c, "known")
	oc := c.with(owner.token, owner.companyID)
	unknown := strings.ToLower(uniqueEmail("unknown"))

	stK, hK, k := oc.do("POST", "/api/v1/members", map[string]string{"email": known.email, "role": "editor"})
	stU, hU, u := oc.do("POST", "/api/v1/members", map[string]string{"email": unknown, "role": "editor"})
	if stK != 201 || stU != 201 {
		t.Fatalf("invite registered = %d %v, unknown = %d %v", stK, k, stU, u)
	}
	shape := func(body map[string]any, email string) map[string]any {
		out := map[string]any{}
		for key, v := range body {
			switch key {
			case "id", "accept_url", "expires_at": // differ by nature; checked below
				out[key] = v != nil && v != ""
			case "email":
				out[key] = v == email
			default:
				out[key] = v
			}
		}
		return out
	}
	if a, b := fmt.Sprint(shape(k, known.email)), fmt.Sprint(shape(u, unknown)); a != b {
		t.Errorf("answers differ:\nregistered %s\nunknown    %s", a, b)
	}
	if hK.Get("Content-Type") != hU.Get("Content-Type") || hK.Get("ETag") != hU.Get("ETag") {
		t.Errorf("headers differ: %v / %v", hK, hU)
	}
	for _, key := range []string{"id", "email", "role", "expires_at", "accept_url"} {
		if k[key] == nil {
			t.Errorf("invitation without %s: %v", key, k)
		}
	}
	exp, err := time.Parse(time.RFC3339, fmt.Sprint(k["expires_at"]))
	if err != nil || exp.Before(time.Now().Add(7*24*time.Hour-time.Hour)) || exp.After(time.Now().Add(7*24*time.Hour+time.Hour)) {
		t.Errorf("expires_at = %v, want 7 days from now", k["expires_at"])
	}
	if !strings.HasPrefix(fmt.Sprint(k["accept_url"]), m.URL()+"/invitations/accept?token=") {
		t.Errorf("accept_url = %v, want the web app's accept page", k["accept_url"])
	}
	// Nobody joined: the registered person still has only their own company.
	if _, _, me := c.with(known.token, "").do("GET", "/api/v1/auth/me", nil); len(me["memberships"].([]any)) != 1 {
		t.Errorf("the invited person's memberships = %v, want only their own", me["memberships"])
	}
	if st, _, _ := c.with(known.token, owner.companyID).do("GET", "/api/v1/members", nil); st != 404 {
		t.Errorf("the invited person reads the company before accepting = %d, want 404", st)
	}
	// Registering with an invited address takes no invitation either.
	st, _, reg := c.do("POST", "/api/v1/auth/register", map[string]string{"email": unknown, "password": "correct horse battery", "name": "Newbie", "company": "Newbie Co"})
	if st != 201 || field(reg, "company", "name") != "Newbie Co" {
		t.Fatalf("register = %d %v", st, reg)
	}
	if _, _, me := c.with(reg["token"].(string), "").do("GET", "/api/v1/auth/me", nil); len(me["memberships"].([]any)) != 1 {
		t.Errorf("registering with an invited email joined %v", me["memberships"])
	}
}

// TestAPI_InvitationsListRenewRevokeAndRoles covers the invitation endpoints, who may call
// them, and that another company can neither see nor touch them.
func TestAPI_InvitationsListRenewRevokeAndRoles(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, editor, viewer, rival, guest := register(t, c, "lister"), register(t, c, "ed"), register(t, c, "vi"), register(t, c, "rival"), register(t, c, "guest")
	oc := c.with(owner.token, owner.companyID)
	addMember(t, oc, editor, "editor")
	addMember(t, oc, viewer, "viewer")

	_, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": guest.email, "role": "viewer"})
	id, first := inv["id"].(string), tokenOf(t, inv)

	_, _, list := oc.do("GET", "/api/v1/invitations", nil)
	items, _ := list["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != id || items[0].(map[string]any)["accept_url"] != nil || items[0].(map[string]any)["expires_at"] == nil {
		t.Errorf("GET /invitations = %v, want the one invitation without its link", list)
	}
	// Editors and viewers cannot invite, renew or revoke; they may read the team.
	for _, who := range []account{editor, viewer} {
		wc := c.with(who.token, owner.companyID)
		for _, call := range []struct{ method, path string }{{"POST", "/api/v1/members"}, {"POST", "/api/v1/invitations/" + id + "/renew"}, {"DELETE", "/api/v1/invitations/" + id}} {
			if st, _, body := wc.do(call.method, call.path, map[string]string{"email": uniqueEmail("x"), "role": "viewer"}); st != 403 || body["status"] != float64(403) {
				t.Errorf("%s %s by %s = %d %v, want 403", call.method, call.path, who.email, st, body)
			}
		}
	}
	// Another company: not found, and its own list stays empty.
	rc := c.with(rival.token, rival.companyID)
	for _, call := range []struct{ method, path string }{{"POST", "/api/v1/invitations/" + id + "/renew"}, {"DELETE", "/api/v1/invitations/" + id},
		{"POST", "/api/v1/invitations/not-a-uuid/renew"}, {"DELETE", "/api/v1/invitations/🙂"}} {
		if st, _, body := rc.do(call.method, call.path, nil); st != 404 || body["status"] != float64(404) {
			t.Errorf("rival %s %s = %d %v, want 404", call.method, call.path, st, body)
		}
	}
	if st, _, _ := c.with(rival.token, owner.companyID).do("GET", "/api/v1/invitations", nil); st != 404 {
		t.Errorf("rival names the company for its invitations = %d, want 404", st)
	}
	if _, _, l := rc.do("GET", "/api/v1/invitations", nil); len(l["items"].([]any)) != 0 {
		t.Errorf("rival's invitations = %v", l)
	}

	// Renewing makes a new link and kills the old one.
	st, _, renewed := oc.do("POST", "/api/v1/invitations/"+id+"/renew", nil)
	if st != 200 || renewed["id"] != id || tokenOf(t, renewed) == first {
		t.Fatalf("renew = %d %v", st, renewed)
	}
	gc := c.with(guest.token, "")
	if st, _, body := gc.do("POST", "/api/v1/invitations/accept", map[string]string{"token": first}); st != 404 || body["status"] != float64(404) {
		t.Errorf("accepting the old link = %d %v, want 404", st, body)
	}
	// Revoking kills the new one too.
	if st, _, _ := oc.do("DELETE", "/api/v1/invitations/"+id, nil); st != 204 {
		t.Errorf("revoke = %d, want 204", st)
	}
	if st, _, _ := oc.do("DELETE", "/api/v1/invitations/"+id, nil); st != 404 {
		t.Errorf("revoke again = %d, want 404", st)
	}
	if st, _, _ := gc.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, renewed)}); st != 404 {
		t.Errorf("accepting a revoked link = %d, want 404", st)
	}
	// Bad input is a problem, never a 500.
	for _, body := range []any{map[string]string{"token": ""}, map[string]string{"token": "hrd_inv_" + strings.Repeat("A", 43)}, map[string]any{"token": 7}, []byte("{")} {
		if st, _, b := gc.do("POST", "/api/v1/invitations/accept", body); st != 404 && st != 400 && st != 422 {
			t.Errorf("accept %v = %d %v, want a 4xx problem", body, st, b)
		}
	}
	if st, _, _ := c.do("POST", "/api/v1/invitations/accept", map[string]string{"token": first}); st != 401 {
		t.Errorf("accept without signing in = %d, want 401", st)
	}
}

// TestAPI_InvitationIsSingleUseScopedAndExpires: a link joins the company it belongs to,
// once, even with two accepts at the same moment; an expired link is not found.
func TestAPI_InvitationIsSingleUseScopedAndExpires(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner, rival := register(t, c, "once"), register(t, c, "other")
	oc := c.with(owner.token, owner.companyID)
	if st, _, b := superadmin(t, m, c).do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "business"}); st != 200 {
		t.Fatalf("to business (room for the racers) = %d %v", st, b)
	}

	// The link is the capability: whoever accepts joins the company that made it, and
	// nothing of their own company changes.
	_, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("forwarded"), "role": "editor"})
	st, _, ms := c.with(rival.token, rival.companyID).do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)})
	if st != 200 || ms["company_id"] != owner.companyID || ms["role"] != "editor" || ms["company_name"] != "once Inc" {
		t.Fatalf("accept = %d %v, want a membership of the inviting company", st, ms)
	}
	if st, _, _ := c.with(owner.token, rival.companyID).do("GET", "/api/v1/members", nil); st != 404 {
		t.Errorf("the inviter reaches the accepter's company = %d, want 404", st)
	}
	if st, _, body := c.with(rival.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 404 {
		t.Errorf("reusing a link = %d %v, want 404", st, body)
	}

	// Two people accept one link at once: exactly one joins.
	for round := 0; round < 5; round++ {
		a, b := register(t, c, "racer-a"), register(t, c, "racer-b")
		_, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("race"), "role": "viewer"})
		token := tokenOf(t, inv)
		results := make(chan int, 2)
		var wg sync.WaitGroup
		for _, who := range []account{a, b} {
			wg.Add(1)
			go func(who account) {
				defer wg.Done()
				st, _, _ := c.with(who.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": token})
				results <- st
			}(who)
		}
		wg.Wait()
		close(results)
		got := map[int]int{}
		for st := range results {
			got[st]++
		}
		if got[200] != 1 || got[404] != 1 {
			t.Fatalf("round %d: two accepts at once answered %v, want one 200 and one 404", round, got)
		}
	}

	// Expired: the stored expiry is in the past.
	guest := register(t, c, "late")
	_, _, inv = oc.do("POST", "/api/v1/members", map[string]string{"email": guest.email, "role": "viewer"})
	if _, err := m.db.Pool().Exec(context.Background(), `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, inv["id"]); err != nil {
		t.Fatal(err)
	}
	if st, _, body := c.with(guest.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 404 {
		t.Errorf("accepting an expired link = %d %v, want 404", st, body)
	}
	st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{"email": uniqueEmail("late-new"), "password": "correct horse battery", "name": "Late", "invitation_token": tokenOf(t, inv)})
	if st != 404 {
		t.Errorf("registering with an expired link = %d %v, want 404", st, body)
	}
	// Renewing an expired invitation makes it work again.
	_, _, renewed := oc.do("POST", "/api/v1/invitations/"+inv["id"].(string)+"/renew", nil)
	if st, _, body := c.with(guest.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, renewed)}); st != 200 {
		t.Errorf("accepting a renewed link = %d %v", st, body)
	}
	// Accepting as a member already: 409, and the link still works for someone else.
	_, _, inv = oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("dup"), "role": "viewer"})
	if st, _, _ := c.with(guest.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 409 {
		t.Errorf("a member accepts again = %d, want 409", st)
	}
	if st, _, _ := c.with(register(t, c, "next").token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenOf(t, inv)}); st != 200 {
		t.Errorf("the link after a member's refused accept = %d, want 200", st)
	}
}

// TestAPI_InvitationTokensAreNotKept: the database holds only the token's hash, and an
// Idempotency-Key replay of POST /members or of a renewal answers without the link.
func TestAPI_InvitationTokensAreNotKept(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{})
	c := newClient(t, m)
	owner := register(t, c, "keeper")
	oc := c.with(owner.token, owner.companyID)
	in := map[string]string{"email": uniqueEmail("idem"), "role": "viewer"}
	st, _, first := oc.do("POST", "/api/v1/members", in, "Idempotency-Key", "invite-1")
	if st != 201 {
		t.Fatalf("invite = %d %v", st, first)
	}
	st, h, replay := oc.do("POST", "/api/v1/members", in, "Idempotency-Key", "invite-1")
	if st != 201 || h.Get("Idempotent-Replayed") != "true" || replay["id"] != first["id"] || replay["accept_url"] != nil {
		t.Errorf("replay = %d %v (replayed %q), want the first answer without accept_url", st, replay, h.Get("Idempotent-Replayed"))
	}
	st, _, renewed := oc.do("POST", "/api/v1/invitations/"+first["id"].(string)+"/renew", nil, "Idempotency-Key", "renew-1")
	if st != 200 {
		t.Fatalf("renew = %d %v", st, renewed)
	}
	if _, _, again := oc.do("POST", "/api/v1/invitations/"+first["id"].(string)+"/renew", nil, "Idempotency-Key", "renew-1"); again["accept_url"] != nil {
		t.Errorf("renew replay = %v, want no accept_url", again)
	}
	ctx := context.Background()
	for _, tok := range []string{tokenOf(t, first), tokenOf(t, renewed)} {
		var rows int
		if err := m.db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM idempotency_keys k WHERE k::text LIKE '%' || $1 || '%')
			+ (SELECT count(*) FROM invitations i WHERE i::text LIKE '%' || $1 || '%')
			+ (SELECT count(*) FROM audit_log a WHERE a::text LIKE '%' || $1 || '%')`, tok).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Errorf("the token is stored in %d rows", rows)
		}
	}
	var hashed int
	_ = m.db.Pool().QueryRow(ctx, `SELECT count(*) FROM invitations WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, tokenOf(t, renewed)).Scan(&hashed)
	if hashed != 1 {
		t.Errorf("rows with the renewed token's hash = %d, want 1", hashed)
	}
}

// TestAPI_AcceptRespectsThePlansMemberLimit: a plan lowered after the invitation was made
// stops the accept with the plan-limit problem, and the link keeps working for later.
func TestAPI_AcceptRespectsThePlansMemberLimit(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner := register(t, c, "plan")
	oc := c.with(owner.token, owner.companyID)
	root := superadmin(t, m, c)
	if st, _, b := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "pro"}); st != 200 {
		t.Fatalf("to pro = %d %v", st, b)
	}
	limit := domain.PlanFree.Limits().Members
	var links []string
	for i := 0; i < limit+1; i++ {
		_, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("seat"), "role": "viewer"})
		links = append(links, tokenOf(t, inv))
	}
	if st, _, b := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "free"}); st != 200 {
		t.Fatalf("to free = %d %v", st, b)
	}
	joiner := register(t, c, "joiner")
	st, _, body := c.with(joiner.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": links[0]})
	wantLimit(t, "accepting past the plan's members", st, body, "members")
	if _, _, me := c.with(joiner.token, "").do("GET", "/api/v1/auth/me", nil); len(me["memberships"].([]any)) != 1 {
		t.Errorf("a refused accept joined: %v", me["memberships"])
	}
	if st, _, _ := root.do("PUT", "/api/v1/admin/companies/"+owner.companyID, map[string]string{"plan": "pro"}); st != 200 {
		t.Fatal("back to pro")
	}
	if st, _, body := c.with(joiner.token, "").do("POST", "/api/v1/invitations/accept", map[string]string{"token": links[0]}); st != 200 {
		t.Errorf("accept after the upgrade = %d %v", st, body)
	}
}

// TestAPI_RegisterWithAnInvitation: the invitee registers without a company name and joins
// with the invited role; an email with an account signs in with its password and joins.
func TestAPI_RegisterWithAnInvitation(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	owner, known := register(t, c, "host"), register(t, c, "known")
	oc := c.with(owner.token, owner.companyID)

	_, _, inv := oc.do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("fresh"), "role": "editor"})
	email := strings.ToLower(uniqueEmail("fresh-reg"))
	st, _, reg := c.do("POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "correct horse battery", "name": "Fresh", "invitation_token": tokenOf(t, inv)})
	if st != 201 || field(reg, "company", "id") != owner.companyID || reg["token"] == nil || field(reg, "user", "email") != email {
		t.Fatalf("register with an invitation = %d %v", st, reg)
	}
	_, _, me := c.with(reg["token"].(string), "").do("GET", "/api/v1/auth/me", nil)
	if ms := me["memberships"].([]any); len(ms) != 1 || ms[0].(map[string]any)["company_id"] != owner.companyID || ms[0].(map[string]any)["role"] != "editor" {
		t.Errorf("memberships = %v, want only the inviting company as editor", ms)
	}
	// A bad link creates nobody.
	lost := uniqueEmail("lost")
	if st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{"email": lost, "password": "correct horse battery", "name": "Lost", "invitation_token": "nope"}); st != 404 {
		t.Errorf("register with an unknown link = %d %v, want 404", st, body)
	}
	if st, _, _ := c.do("POST", "/api/v1/auth/login", map[string]string{"email": lost, "password": "correct horse battery"}); st != 401 {
		t.Errorf("login after a refused registration = %d, want 401", st)
	}
	// Without a link the company name is required, as before.
	if st, _, body := c.do("POST", "/api/v1/auth/register", map[string]string{"email": uniqueEmail("x"), "password": "correct horse battery", "name": "X"}); st != 422 || problemFields(body)["company"] == "" {
		t.Errorf("register without company or link = %d %v", st, body)
	}

	// Someone with an account: their password signs in (nothing new is created) and joins.
	_, _, inv = oc.do("POST", "/api/v1/members", map[string]string{"email": known.email, "role": "viewer"})
	st, _, reg = c.do("POST", "/api/v1/auth/register", map[string]string{"email": known.email, "password": "correct horse battery", "name": "Ignored", "invitation_token": tokenOf(t, inv)})
	if st != 201 || field(reg, "user", "id") != known.userID || field(reg, "company", "id") != owner.companyID {
		t.Fatalf("register as an existing account with its password = %d %v", st, reg)
	}
	_, _, me = c.with(reg["token"].(string), "").do("GET", "/api/v1/auth/me", nil)
	if ms := me["memberships"].([]any); len(ms) != 2 || field(me, "user", "name") == "Ignored" {
		t.Errorf("after signing in through registration: %v", me)
	}
	// Without a link, the right password just signs in, with their first company.
	st, _, reg = c.do("POST", "/api/v1/auth/register", map[string]string{"email": known.email, "password": "correct horse battery", "name": "Known", "company": "Another"})
	if id := field(reg, "company", "id"); st != 201 || field(reg, "user", "id") != known.userID || (id != known.companyID && id != owner.companyID) {
		t.Errorf("register as an existing account = %d %v, want a sign-in with one of their companies", st, reg)
	}
	if _, _, me = c.with(known.token, "").do("GET", "/api/v1/auth/me", nil); len(me["memberships"].([]any)) != 2 {
		t.Errorf("signing in through registration created a company: %v", me["memberships"])
	}
}

// TestAPI_RegisterIsThrottledPerEmail: guessing an account's password through registration
// stops after the per-address limit, whichever client address tries.
func TestAPI_RegisterIsThrottledPerEmail(t *testing.T) {
	t.Parallel()
	m := startHerald(t, app.Limits{Window: time.Hour, PerIP: 1_000, PerEmail: 4}) // the victim's own registration counts too
	c := newClient(t, m)
	victim := register(t, c, "victim")
	var last int
	var h http.Header
	for i := 0; i < 4; i++ {
		cc := c.with("", "")
		cc.ip = uniqueIP()
		last, h, _ = cc.do("POST", "/api/v1/auth/register", map[string]string{"email": victim.email, "password": fmt.Sprintf("guess number %d!", i), "name": "Mallory", "company": "M"})
		if i < 3 && last != 401 {
			t.Errorf("guess %d = %d, want 401", i, last)
		}
	}
	if last != 429 || h.Get("Retry-After") == "" {
		t.Errorf("guess past the limit = %d (Retry-After %q), want 429", last, h.Get("Retry-After"))
	}
}
