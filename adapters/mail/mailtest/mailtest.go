// Package mailtest starts a real SMTP server for tests: Mailpit, built once from its Go
// module into the user's cache directory and started per test on free ports, with its
// data in the test's temporary directory. Tests send to it and read what arrived through
// Mailpit's HTTP API. It is test support; only tests import it.
package mailtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/testbin"
)

// Module and Version name the Mailpit source the server is built from.
const (
	Module  = "github.com/axllent/mailpit"
	Version = "v1.33.1"
)

// BinaryEnv names a variable that may point at a mailpit binary built elsewhere (a CI
// cache), to skip the build.
const BinaryEnv = "HERALD_TEST_MAILPIT"

// StartTimeout bounds the wait for Mailpit to answer: generous, for a loaded machine.
const StartTimeout = 2 * time.Minute

// WaitTimeout bounds how long WaitFor polls for a message.
const WaitTimeout = 3 * time.Minute

// TLSMode is how the server's SMTP port is protected.
type TLSMode int

// The TLS modes.
const (
	NoTLS       TLSMode = iota // plain SMTP
	StartTLS                   // STARTTLS offered and required, with a certificate for 127.0.0.1
	ImplicitTLS                // TLS from the first byte (smtps)
)

// Options shape the server; the zero value is a plain server that takes any mail.
type Options struct {
	TLS TLSMode
	// Username and Password, when set, are the only credentials the server accepts;
	// it then requires signing in.
	Username, Password string
	// AllowedRecipients, when set, is a regular expression: other recipients are refused
	// with a 5xx reply.
	AllowedRecipients string
	// Chaos lets SetChaos make the server answer errors.
	Chaos bool
}

// Server is a running Mailpit.
type Server struct {
	Host    string         // 127.0.0.1
	Port    string         // the SMTP port
	APIURL  string         // http://127.0.0.1:<port>, Mailpit's web UI and API
	RootCAs *x509.CertPool // trusts the server's certificate (TLS modes)
	opts    Options
}

// SMTPURL returns the server's address as HERALD_SMTP_URL takes it, with the
// credentials when the server has any.
func (s *Server) SMTPURL() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, s.Port)}
	switch s.opts.TLS {
	case NoTLS:
		u.RawQuery = "tls=none"
	case ImplicitTLS:
		u.Scheme = "smtps"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// TLSConfig returns a client TLS configuration that trusts the server (nil without TLS).
func (s *Server) TLSConfig() *tls.Config {
	if s.RootCAs == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
}

// Start builds Mailpit when the cache does not have it yet, starts it with opts, waits
// until it answers, and stops it when the test ends. It fails the test when Mailpit
// cannot be built or started.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	ports := testbin.FreePorts(t, 2)
	s := &Server{Host: "127.0.0.1", Port: ports[0], APIURL: "http://127.0.0.1:" + ports[1], opts: opts}
	args := []string{"--smtp", "127.0.0.1:" + ports[0], "--listen", "127.0.0.1:" + ports[1],
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns", "--quiet"}
	if opts.TLS != NoTLS {
		cert, key := writeCert(t, dir)
		pool := x509.NewCertPool()
		pem, _ := os.ReadFile(cert)
		pool.AppendCertsFromPEM(pem)
		s.RootCAs = pool
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
		if opts.TLS == StartTLS {
			args = append(args, "--smtp-require-starttls")
		} else {
			args = append(args, "--smtp-require-tls")
		}
	}
	if opts.Username != "" {
		file := filepath.Join(dir, "smtp-auth")
		if err := os.WriteFile(file, []byte(opts.Username+":"+opts.Password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", file)
	}
	if opts.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", opts.AllowedRecipients)
	}
	if opts.Chaos {
		args = append(args, "--enable-chaos")
	}
	logFile, err := os.Create(filepath.Join(dir, "mailpit.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Mailpit reads MP_* variables; the developer's own must not change the tests.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	if err := s.waitReady(exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "mailpit.log"))
		t.Fatalf("mailpit did not start within %s: %v\nits log:\n%s", StartTimeout, err, log)
	}
	return s
}

func (s *Server) waitReady(exited <-chan error) error {
	deadline := time.Now().Add(StartTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("mailpit exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.APIURL + "/readyz")
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("readyz answered %s", resp.Status)
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, s.Port), time.Second)
		if err != nil {
			last = err
			continue
		}
		c.Close()
		return nil
	}
	return fmt.Errorf("last attempt: %v", last)
}

// Address is a sender or recipient as Mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Message is one message that arrived, as Mailpit lists it.
type Message struct {
	ID        string // Mailpit's own id
	MessageID string // the Message-ID header, without angle brackets
	From      Address
	To        []Address
	Subject   string // decoded
	Created   time.Time
}

// Detail is a message with its bodies, decoded.
type Detail struct {
	Message
	Text string
	HTML string
}

// Messages returns every message that arrived, newest first.
func (s *Server) Messages(t testing.TB) []Message {
	t.Helper()
	var out struct {
		Messages []Message `json:"messages"`
	}
	s.get(t, "/api/v1/messages?limit=1000", &out)
	return out.Messages
}

// WaitFor polls until a message to address whose subject contains subject has arrived,
// and returns it; it fails the test after WaitTimeout.
func (s *Server) WaitFor(t testing.TB, address, subject string) Message {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		for _, m := range s.Messages(t) {
			if strings.Contains(m.Subject, subject) && m.sentTo(address) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: no message to %s with %q in its subject within %s; arrived: %+v", address, subject, WaitTimeout, s.Messages(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// To returns the messages that arrived for address.
func (s *Server) To(t testing.TB, address string) []Message {
	t.Helper()
	var out []Message
	for _, m := range s.Messages(t) {
		if m.sentTo(address) {
			out = append(out, m)
		}
	}
	return out
}

func (m Message) sentTo(address string) bool {
	for _, a := range m.To {
		if strings.EqualFold(a.Address, address) {
			return true
		}
	}
	return false
}

// Detail returns the message id (Mailpit's) with its text and HTML bodies.
func (s *Server) Detail(t testing.TB, id string) Detail {
	t.Helper()
	var d Detail
	s.get(t, "/api/v1/message/"+url.PathEscape(id), &d)
	return d
}

// Headers returns the message's headers as they arrived.
func (s *Server) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	s.get(t, "/api/v1/message/"+url.PathEscape(id)+"/headers", &h)
	return h
}

// Raw returns the message's source as it arrived.
func (s *Server) Raw(t testing.TB, id string) string {
	t.Helper()
	return string(s.do(t, http.MethodGet, "/api/v1/message/"+url.PathEscape(id)+"/raw", nil))
}

// DeleteAll removes every message.
func (s *Server) DeleteAll(t testing.TB) {
	t.Helper()
	s.do(t, http.MethodDelete, "/api/v1/messages", nil)
}

// SetChaos makes the server answer code to a share (percent) of RCPT commands; 0 stops
// it. The server must have been started with Options.Chaos.
func (s *Server) SetChaos(t testing.TB, code, percent int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Recipient": map[string]int{"ErrorCode": code, "Probability": percent}})
	s.do(t, http.MethodPut, "/api/v1/chaos", body)
}

func (s *Server) get(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(s.do(t, http.MethodGet, path, nil), v); err != nil {
		t.Fatalf("mailtest: GET %s: %v", path, err)
	}
}

func (s *Server) do(t testing.TB, method, path string, body []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.APIURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mailtest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode >= 300 {
		t.Fatalf("mailtest: %s %s: %s %s %v", method, path, resp.Status, b, err)
	}
	return b
}

// Tool is mailpit, built from Module at Version into <user cache>/herald/mailpit-<Version>, or
// the binary $HERALD_TEST_... (BinaryEnv) names.
var Tool = testbin.Tool{Name: "mailpit", Module: Module, Version: Version, Package: ".", Env: BinaryEnv, Dir: "mailpit-" + Version}

// Binary returns the path of the mailpit binary (Tool), built first when missing.
func Binary(t testing.TB) string {
	t.Helper()
	return Tool.Binary(t)
}

// writeCert writes a self-signed certificate for 127.0.0.1 and localhost, valid for a
// day, and returns the certificate's and the key's files.
func writeCert(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
