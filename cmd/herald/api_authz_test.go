package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/adapters/postgres/pgtest"
	"github.com/heraldhq/herald/app"
)

// TestAPI_SuperadminAndRoleChangesReachEveryInstanceAtOnce runs two Herald instances on one
// database. A superadmin made with `herald admin create-superadmin` while both run is
// allowed on /admin at the very next request on both, with no restart; a role demotion
// made on one instance refuses the demoted person's next change on the other.
func TestAPI_SuperadminAndRoleChangesReachEveryInstanceAtOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.FreshURL(t)
	env := map[string]string{"DATABASE_URL": url}
	m1 := startHeraldWith(t, app.Limits{}, env)
	m2 := startHeraldWith(t, app.Limits{}, env)
	c1, c2 := newClient(t, m1), newClient(t, m2)
	root := register(t, c1, "root")
	web := func(m *Main) int { // the tenants page, as a browser with the API token's session would ask
		req, _ := http.NewRequest(http.MethodGet, m.URL()+"/admin/tenants", nil)
		req.AddCookie(&http.Cookie{Name: "herald_session", Value: root.token})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i, c := range []*client{c1, c2} {
		if st, _, _ := c.with(root.token, "").do("GET", "/api/v1/admin/companies", nil); st != http.StatusForbidden {
			t.Fatalf("instance %d: /admin/companies before the grant = %d, want 403", i+1, st)
		}
	}
	var out bytes.Buffer
	getenv := func(k string) string { return env[k] }
	if err := run(context.Background(), []string{"admin", "create-superadmin", "--email", root.email}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("create-superadmin: %v (%s)", err, out.String())
	}
	for i, m := range []*Main{m1, m2} {
		c := []*client{c1, c2}[i]
		if st, _, body := c.with(root.token, "").do("GET", "/api/v1/admin/companies", nil); st != http.StatusOK {
			t.Errorf("instance %d: /admin/companies right after create-superadmin = %d %v, want 200", i+1, st, body)
		}
		if st := web(m); st != http.StatusOK {
			t.Errorf("instance %d: /admin/tenants page right after create-superadmin = %d, want 200", i+1, st)
		}
	}

	owner, helper := register(t, c1, "owner"), register(t, c1, "helper")
	if _, err := m1.db.Pool().Exec(context.Background(), `INSERT INTO memberships (company_id, user_id, role) VALUES ($1, $2, 'admin')`,
		owner.companyID, helper.userID); err != nil {
		t.Fatal(err)
	}
	invite := func(c *client) int {
		st, _, _ := c.with(helper.token, owner.companyID).do("POST", "/api/v1/members", map[string]string{"email": uniqueEmail("guest"), "role": "viewer"})
		return st
	}
	if st := invite(c2); st != http.StatusCreated {
		t.Fatalf("the admin invites on instance 2 = %d, want 201", st)
	}
	if st, _, body := c1.with(owner.token, owner.companyID).do("PUT", "/api/v1/members/"+helper.userID, map[string]string{"role": "viewer"}); st != http.StatusOK {
		t.Fatalf("demote on instance 1 = %d %v", st, body)
	}
	if st := invite(c2); st != http.StatusForbidden {
		t.Errorf("the demoted viewer invites on instance 2 right after = %d, want 403", st)
	}
}
