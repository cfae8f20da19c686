package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/domain"
)

// A server on loopback with an arbitrary port stands for a media host on a private network.
func TestClient_RefusesPrivateUnlessAllowedAndTakesAnyPort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "media") }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if port == "80" || port == "443" {
		t.Skip("the test server took a standard port")
	}

	_, err := Client(Options{}).Get(srv.URL)
	if !Refused(err) || !errors.Is(err, domain.ErrNotPublic) {
		t.Fatalf("loopback without AllowPrivate: %v, want a refusal", err)
	}
	res, err := Client(Options{AllowPrivate: true}).Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback on port %s with AllowPrivate: %v", port, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}
}

func TestClient_RedirectToAForbiddenAddressIsRefused(t *testing.T) {
	// Allowed private (loopback), a redirect to the metadata address is still refused.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := Client(Options{AllowPrivate: true}).Do(req)
	if !Refused(err) {
		t.Fatalf("redirect to the metadata address: %v, want a refusal", err)
	}
}

func TestClient_NoRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	res, err := Client(Options{AllowPrivate: true, MaxRedirects: -1}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the redirect itself", res.StatusCode)
	}
}
