package main

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/app"
)

// BenchmarkAPI_Me measures one authenticated API request end to end over loopback: token
// lookup, the handler, JSON, every middleware.
func BenchmarkAPI_Me(b *testing.B) {
	m := startHerald(b, app.Limits{})
	c := newClient(b, m)
	a := c.with(register(b, c, "bench").token, "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if st, _, _ := a.do("GET", "/api/v1/auth/me", nil); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}

// BenchmarkAPI_Members measures a company-scoped request: token lookup, X-Company-ID
// resolution, the Casbin check and the members query.
func BenchmarkAPI_Members(b *testing.B) {
	m := startHerald(b, app.Limits{})
	c := newClient(b, m)
	acc := register(b, c, "bench")
	a := c.with(acc.token, acc.companyID)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if st, _, _ := a.do("GET", "/api/v1/members", nil); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}

// BenchmarkAPI_Login measures a sign-in, dominated on purpose by argon2id.
func BenchmarkAPI_Login(b *testing.B) {
	m := startHerald(b, app.Limits{})
	c := newClient(b, m)
	acc := register(b, c, "bench")
	body := map[string]string{"email": acc.email, "password": "correct horse battery"}
	b.ResetTimer()
	for b.Loop() {
		if st, _, _ := c.do("POST", "/api/v1/auth/login", body); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}
