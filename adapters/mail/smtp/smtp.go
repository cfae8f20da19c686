// Package smtp is a ports.Mailer that hands Herald's emails to an SMTP server
// (HERALD_SMTP_URL): STARTTLS or implicit TLS, plain text only for a local server without
// credentials. It builds RFC 5322 multipart/alternative messages itself and refuses any
// field that could inject a header. It imports domain and ports only.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/heraldhq/herald/domain"
	"github.com/heraldhq/herald/ports"
)

// Options tune a Mailer; the zero value is fine.
type Options struct {
	// DialTimeout bounds connecting (and the TLS handshake); default 15s.
	DialTimeout time.Duration
	// CommandTimeout bounds each SMTP command and its reply, the message's data included;
	// default 60s.
	CommandTimeout time.Duration
	// TLS is the base of the TLS configuration (tests give their own RootCAs); ServerName
	// is set to the configured host when empty.
	TLS *tls.Config
	// Hello is the name given in EHLO (an IP address becomes an address literal);
	// default "localhost".
	Hello string
	// Now stamps each message's Date; default time.Now.
	Now func() time.Time
}

// Mailer sends email through one SMTP server, one connection per message.
type Mailer struct {
	cfg  Config
	opts Options
}

var _ ports.Mailer = (*Mailer)(nil)

// New returns a Mailer for cfg (from ParseConfig or ParseURL).
func New(cfg Config, opts Options) *Mailer {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 15 * time.Second
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 60 * time.Second
	}
	if opts.Hello == "" {
		opts.Hello = "localhost"
	}
	// RFC 5321 4.1.3: an address in EHLO is written as an address literal.
	if ip := net.ParseIP(opts.Hello); ip != nil {
		if ip.To4() != nil {
			opts.Hello = "[" + ip.String() + "]"
		} else {
			opts.Hello = "[IPv6:" + ip.String() + "]"
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Mailer{cfg: cfg, opts: opts}
}

// Send implements ports.Mailer. A message with a field that holds a line break (or is
// otherwise malformed) is refused with CodeInvalid before any connection; a 5xx reply to
// RCPT or DATA is CodeInvalid (the server refused for good); anything else (network, 4xx,
// TLS, sign-in) is a plain error worth retrying.
func (m *Mailer) Send(ctx context.Context, msg ports.MailMessage) error {
	body, err := buildMessage(m.cfg.From, msg, m.opts.Now())
	if err != nil {
		return err
	}
	return m.deliver(ctx, msg.To, body)
}

// conn wraps the connection so each command gets its own deadline, cut short by ctx.
type conn struct {
	net.Conn
	ctx     context.Context
	timeout time.Duration
}

func (c *conn) arm() {
	d := time.Now().Add(c.timeout)
	if dl, ok := c.ctx.Deadline(); ok && dl.Before(d) {
		d = dl
	}
	_ = c.Conn.SetDeadline(d)
}

// Read and Write re-arm the deadline so each command and reply has CommandTimeout,
// however many it takes.
func (c *conn) Read(b []byte) (int, error) {
	c.arm()
	return c.Conn.Read(b)
}

func (c *conn) Write(b []byte) (int, error) {
	c.arm()
	return c.Conn.Write(b)
}

func (m *Mailer) deliver(ctx context.Context, to string, body []byte) (err error) {
	addr := net.JoinHostPort(m.cfg.Host, m.cfg.Port)
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.opts.TLS != nil {
		tlsConf = m.opts.TLS.Clone()
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = m.cfg.Host
	}
	dialCtx, cancel := context.WithTimeout(ctx, m.opts.DialTimeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dialCtx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	// Closing the connection when ctx ends interrupts whatever command is waiting.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	var c net.Conn = &conn{Conn: raw, ctx: ctx, timeout: m.opts.CommandTimeout}
	if m.cfg.Security == ImplicitTLS {
		// net/smtp knows the connection is secure (and PlainAuth may sign in) only when
		// it is handed a *tls.Conn.
		tc := tls.Client(c, tlsConf)
		if err := tc.HandshakeContext(dialCtx); err != nil {
			raw.Close()
			return fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		c = tc
	}
	client, err := smtp.NewClient(c, m.cfg.Host)
	if err != nil {
		raw.Close()
		return fmt.Errorf("smtp: greeting from %s: %w", addr, err)
	}
	defer client.Close()
	if err := client.Hello(m.opts.Hello); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if m.cfg.Security == StartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS; use smtps:// or, for a local server, ?tls=none")
		}
		if err := client.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if m.cfg.Security == NoTLS {
			return errors.New("smtp: refusing to send credentials without TLS")
		}
		if ok, _ := client.Extension("AUTH"); !ok {
			return errors.New("smtp: the server does not offer AUTH, but HERALD_SMTP_URL has credentials")
		}
		// PlainAuth itself refuses to send the password over a connection without TLS.
		if err := client.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return fmt.Errorf("smtp: sign in as %s: %w", m.cfg.Username, withoutSecret(err, m.cfg.Password))
		}
	}
	if err := client.Mail(m.cfg.From.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := client.Rcpt(to); err != nil {
		return refused("RCPT TO", err)
	}
	w, err := client.Data()
	if err != nil {
		return refused("DATA", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return refused("DATA", err)
	}
	if err := client.Quit(); err != nil {
		// The message was accepted at the end of DATA; a lost QUIT changes nothing.
		return nil
	}
	return nil
}

// refused turns a 5xx reply into CodeInvalid (not worth retrying) and leaves every other
// failure retryable.
func refused(step string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 && tp.Code < 600 {
		return &domain.Error{Code: domain.CodeInvalid,
			Message: fmt.Sprintf("The mail server refused the email (%d %s).", tp.Code, oneLine(tp.Msg)),
			Err:     fmt.Errorf("smtp: %s: %w", step, err)}
	}
	return fmt.Errorf("smtp: %s: %w", step, err)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// withoutSecret keeps a server that echoes what it was sent from putting the password in
// Herald's logs.
func withoutSecret(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}
