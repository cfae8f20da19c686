package smtp_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/adapters/mail/mailtest"
	"github.com/heraldhq/herald/adapters/mail/smtp"
	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

const from = "Herald <herald@example.com>"

// mailer returns a Mailer for srv, trusting its certificate.
func mailer(t *testing.T, srv *mailtest.Server) *smtp.Mailer {
	t.Helper()
	return mailerFor(t, srv.SMTPURL(), srv.TLSConfig())
}

func mailerFor(t *testing.T, rawURL string, tlsConf *tls.Config) *smtp.Mailer {
	t.Helper()
	cfg, ok, err := smtp.ParseConfig(func(k string) string {
		return map[string]string{"HERALD_SMTP_URL": rawURL, "HERALD_SMTP_FROM": from}[k]
	})
	if err != nil || !ok {
		t.Fatalf("ParseConfig(%q) = %v, %v", rawURL, ok, err)
	}
	return smtp.New(cfg, smtp.Options{DialTimeout: 10 * time.Second, CommandTimeout: 30 * time.Second, TLS: tlsConf})
}

func message(to, subject string) ports.MailMessage {
	return ports.MailMessage{
		MessageID: fmt.Sprintf("<%d@herald>", time.Now().UnixNano()), To: to, Subject: subject,
		Text:        "Your post was published.\nSee it: https://herald.example.com/posts/1",
		HTML:        `<p>Your post was <strong>published</strong>.</p><p><a href="https://herald.example.com/posts/1">See it</a></p>`,
		Unsubscribe: "https://herald.example.com/unsubscribe/abc.def",
	}
}

func TestMailer_SendsToALocalServerWithoutTLS(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	msg := message("ana@example.com", "Published: Launch day")
	if err := mailer(t, srv).Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, "ana@example.com", "Published: Launch day")
	if got.From.Address != "herald@example.com" || got.From.Name != "Herald" {
		t.Errorf("From = %+v, want Herald <herald@example.com>", got.From)
	}
	if "<"+got.MessageID+">" != msg.MessageID {
		t.Errorf("Message-ID = %q, want %q", got.MessageID, msg.MessageID)
	}
	d := srv.Detail(t, got.ID)
	if !strings.Contains(d.Text, "Your post was published.") || !strings.Contains(d.Text, "https://herald.example.com/posts/1") {
		t.Errorf("text = %q", d.Text)
	}
	if !strings.Contains(d.HTML, "<strong>published</strong>") {
		t.Errorf("HTML = %q", d.HTML)
	}
	h := srv.Headers(t, got.ID)
	for name, want := range map[string]string{
		"List-Unsubscribe":      "<https://herald.example.com/unsubscribe/abc.def>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Mime-Version":          "1.0",
	} {
		if len(h[name]) != 1 || h[name][0] != want {
			t.Errorf("header %s = %q, want %q", name, h[name], want)
		}
	}
	if len(h["Date"]) != 1 {
		t.Errorf("Date = %q, want one", h["Date"])
	} else if _, err := time.Parse(time.RFC1123Z, h["Date"][0]); err != nil {
		t.Errorf("Date %q: %v", h["Date"][0], err)
	}
	if ct := strings.Join(h["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	raw := srv.Raw(t, got.ID)
	if !strings.Contains(raw, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable") ||
		!strings.Contains(raw, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable") {
		t.Errorf("raw message lacks its quoted-printable UTF-8 parts:\n%s", raw)
	}
}

func TestMailer_WithoutUnsubscribeHasNoListHeaders(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	msg := message("bo@example.com", "Reset your password")
	msg.Unsubscribe = ""
	if err := mailer(t, srv).Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	h := srv.Headers(t, srv.WaitFor(t, "bo@example.com", "Reset your password").ID)
	if h["List-Unsubscribe"] != nil || h["List-Unsubscribe-Post"] != nil {
		t.Errorf("headers = %v, want no List-Unsubscribe", h)
	}
}

func TestMailer_EncodesANonASCIISubject(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	subject := "Beitrag veröffentlicht ✓ — «Été» 日本"
	msg := message("cy@example.com", subject)
	msg.Text = "Grüße, Zoë ✓\nLine two."
	if err := mailer(t, srv).Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, "cy@example.com", "veröffentlicht")
	if got.Subject != subject {
		t.Errorf("Subject = %q, want %q", got.Subject, subject)
	}
	raw := srv.Raw(t, got.ID)
	if !strings.Contains(raw, "Subject: =?utf-8?q?") {
		t.Errorf("raw subject is not RFC 2047 encoded:\n%s", raw[:min(len(raw), 600)])
	}
	if d := srv.Detail(t, got.ID); !strings.Contains(d.Text, "Grüße, Zoë ✓") {
		t.Errorf("text = %q", d.Text)
	}
}

func TestMailer_STARTTLSWithCredentials(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.StartTLS, Username: "herald", Password: "pa55-w0rd"})

	t.Run("Delivers", func(t *testing.T) {
		if err := mailer(t, srv).Send(context.Background(), message("di@example.com", "Over STARTTLS")); err != nil {
			t.Fatalf("Send: %v", err)
		}
		srv.WaitFor(t, "di@example.com", "Over STARTTLS")
	})
	t.Run("WrongPasswordIsRetriedAndNotShown", func(t *testing.T) {
		url := strings.Replace(srv.SMTPURL(), "pa55-w0rd", "wrong-s3cret", 1)
		err := mailerFor(t, url, srv.TLSConfig()).Send(context.Background(), message("di@example.com", "Wrong password"))
		if err == nil || domain.CodeOf(err) == domain.CodeInvalid {
			t.Fatalf("Send with a wrong password = %v, want a retryable error", err)
		}
		if strings.Contains(err.Error(), "wrong-s3cret") {
			t.Errorf("error %q shows the password", err)
		}
	})
	t.Run("UntrustedCertificateIsRefused", func(t *testing.T) {
		err := mailerFor(t, srv.SMTPURL(), nil).Send(context.Background(), message("di@example.com", "Untrusted"))
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Send to a server with an unknown certificate = %v, want a STARTTLS error", err)
		}
	})
}

func TestMailer_ImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{TLS: mailtest.ImplicitTLS, Username: "herald", Password: "pa55-w0rd"})
	if !strings.HasPrefix(srv.SMTPURL(), "smtps://") {
		t.Fatalf("SMTPURL = %q", srv.SMTPURL())
	}
	if err := mailer(t, srv).Send(context.Background(), message("ed@example.com", "Over TLS")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.WaitFor(t, "ed@example.com", "Over TLS")
}

func TestMailer_RequiresSTARTTLSWhenAsked(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	url := "smtp://herald:pa55-w0rd@" + net.JoinHostPort(srv.Host, srv.Port)
	err := mailerFor(t, url, nil).Send(context.Background(), message("fa@example.com", "No TLS"))
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("Send over a server without STARTTLS = %v, want a refusal", err)
	}
	if got := srv.Messages(t); len(got) != 0 {
		t.Errorf("messages = %+v, want none", got)
	}
}

func TestMailer_RefusalsForGoodAreInvalid(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{AllowedRecipients: `@example\.com$`, Chaos: true})
	m := mailer(t, srv)

	err := m.Send(context.Background(), message("ana@elsewhere.test", "Refused"))
	if domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("Send to a refused recipient = %v (code %q), want CodeInvalid", err, domain.CodeOf(err))
	}
	if !strings.Contains(domain.MessageOf(err), "refused") {
		t.Errorf("message = %q", domain.MessageOf(err))
	}

	srv.SetChaos(t, 451, 100)
	err = m.Send(context.Background(), message("ana@example.com", "Try later"))
	srv.SetChaos(t, 451, 0)
	if err == nil || domain.CodeOf(err) == domain.CodeInvalid {
		t.Fatalf("Send answered 451 = %v, want a retryable error", err)
	}
	if err := m.Send(context.Background(), message("ana@example.com", "Now it works")); err != nil {
		t.Fatalf("Send after the 451s: %v", err)
	}
	srv.WaitFor(t, "ana@example.com", "Now it works")
	if got := srv.Messages(t); len(got) != 1 {
		t.Errorf("messages = %+v, want only the one accepted", got)
	}
}

// fakeServer answers SMTP on a local port with the given reply to the end of DATA.
func fakeServer(t *testing.T, dataReply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 fake ESMTP\r\n")
				inData := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case inData && cmd == ".":
						inData = false
						fmt.Fprint(c, dataReply+"\r\n")
					case inData:
					case strings.HasPrefix(cmd, "EHLO"):
						fmt.Fprint(c, "250-fake\r\n250 8BITMIME\r\n")
					case cmd == "DATA":
						inData = true
						fmt.Fprint(c, "354 go ahead\r\n")
					case cmd == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return "smtp://" + l.Addr().String() + "?tls=none"
}

func TestMailer_DataRefusal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		reply   string
		invalid bool
	}{{"554 5.7.1 message rejected as spam", true}, {"451 4.3.0 try again later", false}} {
		err := mailerFor(t, fakeServer(t, tt.reply), nil).Send(context.Background(), message("ana@example.com", "Hello"))
		if err == nil || (domain.CodeOf(err) == domain.CodeInvalid) != tt.invalid {
			t.Errorf("Send answered %q = %v (code %q), want invalid %v", tt.reply, err, domain.CodeOf(err), tt.invalid)
		}
	}
}

func TestMailer_RefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	// Nothing listens here: a refusal before connecting is CodeInvalid, a connection
	// attempt would be a network error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	m := mailerFor(t, "smtp://"+addr+"?tls=none", nil)
	for name, change := range map[string]func(*ports.MailMessage){
		"SubjectCRLF":     func(m *ports.MailMessage) { m.Subject = "Hi\r\nBcc: victim@example.com" },
		"SubjectLF":       func(m *ports.MailMessage) { m.Subject = "Hi\nBcc: victim@example.com" },
		"ToCRLF":          func(m *ports.MailMessage) { m.To = "ana@example.com\r\nBcc: victim@example.com" },
		"ToTwoAddresses":  func(m *ports.MailMessage) { m.To = "ana@example.com, victim@example.com" },
		"MessageIDCR":     func(m *ports.MailMessage) { m.MessageID = "<1@herald>\rBcc: victim@example.com" },
		"UnsubscribeLF":   func(m *ports.MailMessage) { m.Unsubscribe = "https://h.example/u\nBcc: victim@example.com" },
		"UnsubscribeJunk": func(m *ports.MailMessage) { m.Unsubscribe = "https://h.example/u>, <mailto:x@example.com" },
	} {
		msg := message("ana@example.com", "Hello")
		change(&msg)
		err := m.Send(context.Background(), msg)
		if domain.CodeOf(err) != domain.CodeInvalid {
			t.Errorf("%s: Send = %v (code %q), want CodeInvalid before connecting", name, err, domain.CodeOf(err))
		}
	}
}

func TestMailer_CommandTimeout(t *testing.T) {
	t.Parallel()
	// A server that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn // kept open, silent, until the test ends
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	cfg, err := smtp.ParseURL("smtp://" + l.Addr().String() + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	m := smtp.New(cfg, smtp.Options{CommandTimeout: 200 * time.Millisecond})
	err = m.Send(context.Background(), message("ana@example.com", "Hello"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Send to a silent server = %v, want a timeout", err)
	}
}
