package main

import (
	"net/url"
	"testing"
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
