package main

import (
	"bytes"
	"net/http"
	"testing"
)

// TestAPI_UploadPartsAreNotHeldToTheBodyLimit: a resumable upload's part streams to disk
// whatever its size, so the server's 10 MiB limit on bodies does not refuse it (it reaches
// the handler, which finds no such upload), while every other route keeps the limit.
func TestAPI_UploadPartsAreNotHeldToTheBodyLimit(t *testing.T) {
	t.Parallel()
	m := sharedHerald(t)
	c := newClient(t, m)
	a := register(t, c, "ulla")
	authed := c.with(a.token, a.companyID)
	big := bytes.Repeat([]byte("x"), 11<<20)

	st, h, body := authed.do("PATCH", "/api/v1/uploads/00000000-0000-0000-0000-000000000000", big,
		"Tus-Resumable", "1.0.0", "Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")
	if st != http.StatusNotFound || body["status"] != float64(404) || h.Get("Tus-Resumable") != "1.0.0" {
		t.Errorf("an 11 MiB part of an unknown upload = %d %v, want a 404 problem with Tus-Resumable", st, body)
	}
	if st, _, _ := authed.do("POST", "/api/v1/posts", big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 MiB post = %d, want 413", st)
	}
}
