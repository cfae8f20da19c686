package smtp

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Security is how the connection to the SMTP server is protected.
type Security string

// The securities a HERALD_SMTP_URL can ask for.
const (
	StartTLS    Security = "starttls" // smtp://: plain connection upgraded with STARTTLS, which the server must offer
	ImplicitTLS Security = "tls"      // smtps://: TLS from the first byte
	NoTLS       Security = "none"     // smtp://...?tls=none: plain text, for a local server; never with credentials
)

// Config is where and as whom Herald sends email.
type Config struct {
	Host     string
	Port     string
	Security Security
	Username string // "" when the server takes mail without signing in
	Password string // never logged: String leaves it out
	From     mail.Address
}

// String describes the server for logs, without the password.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, c.Port)}
	if c.Security == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	if c.Security == NoTLS {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// ParseConfig reads HERALD_SMTP_URL and HERALD_SMTP_FROM through getenv. ok is false when
// HERALD_SMTP_URL is not set (no email is sent). The error names the variable and never
// holds the password.
func ParseConfig(getenv func(string) string) (cfg Config, ok bool, err error) {
	raw := strings.TrimSpace(getenv("HERALD_SMTP_URL"))
	from := strings.TrimSpace(getenv("HERALD_SMTP_FROM"))
	if raw == "" {
		if from != "" {
			return Config{}, false, errors.New("HERALD_SMTP_FROM: is set but HERALD_SMTP_URL is not; set both to send email, or neither")
		}
		return Config{}, false, nil
	}
	var errs []error
	cfg, err = ParseURL(raw)
	if err != nil {
		errs = append(errs, fmt.Errorf("HERALD_SMTP_URL: %w", err))
	}
	switch addr, err := parseFrom(from); {
	case from == "":
		errs = append(errs, errors.New("HERALD_SMTP_FROM: must be set with HERALD_SMTP_URL, such as Herald <herald@example.com>"))
	case err != nil:
		errs = append(errs, fmt.Errorf("HERALD_SMTP_FROM: %w", err))
	default:
		cfg.From = addr
	}
	if len(errs) > 0 {
		return Config{}, false, errors.Join(errs...)
	}
	return cfg, true, nil
}

func parseFrom(s string) (mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return mail.Address{}, errors.New("must be one line")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(a.Address, "@") {
		return mail.Address{}, fmt.Errorf("must be an address such as Herald <herald@example.com> (got %q)", s)
	}
	return *a, nil
}

// ParseURL reads an SMTP server's address: smtp://user:pass@host:587 (STARTTLS, port 587
// when left out), smtps://user:pass@host:465 (implicit TLS, port 465 when left out), or
// smtp://host:port?tls=none for a local server without TLS (then without credentials,
// which would travel in clear). Errors never hold the password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's error repeats the address, password included.
		return Config{}, errors.New("must be a URL such as smtp://user:password@mail.example.com:587")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.Security, c.Port = StartTLS, "587"
	case "smtps":
		c.Security, c.Port = ImplicitTLS, "465"
	default:
		return Config{}, fmt.Errorf("must start with smtp:// (STARTTLS) or smtps:// (TLS), such as smtp://user:password@mail.example.com:587 (got scheme %q)", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("names no host, such as smtp://user:password@mail.example.com:587")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("has an invalid port %q", p)
		}
		c.Port = p
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, errors.New("must not have a path")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return Config{}, fmt.Errorf("has an unknown parameter %q (only tls=none is known)", k)
		}
	}
	switch t := q.Get("tls"); t {
	case "":
	case "none":
		if c.Security == ImplicitTLS {
			return Config{}, errors.New("smtps:// always uses TLS; use smtp://host:port?tls=none for a server without TLS")
		}
		if c.Username != "" || c.Password != "" {
			return Config{}, errors.New("tls=none would send the credentials in clear; use STARTTLS (smtp://) or TLS (smtps://), or a server that needs no sign-in")
		}
		c.Security = NoTLS
	default:
		return Config{}, fmt.Errorf("tls must be none or left out (got %q)", t)
	}
	return c, nil
}
