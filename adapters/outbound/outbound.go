// Package outbound is Herald's one guard for connections a company's data makes it open:
// media downloads and uploads, media checks and webhook deliveries. Every dial is checked
// after DNS resolution, on every redirect hop (domain.CheckDialAddress): only public
// addresses, or, when the operator allows private ones (HERALD_MEDIA_ALLOW_PRIVATE,
// HERALD_WEBHOOK_ALLOW_PRIVATE), any address but link-local and metadata ones. Any port is
// allowed: a media host may serve on 8080. No proxy from the environment is used, since a
// proxy would hide the address.
package outbound

import (
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/heraldhq/herald/domain"
)

// ErrRefused wraps every refused connection; errors.Is(err, domain.ErrNotPublic) holds too.
var ErrRefused = errors.New("outbound: address refused")

// Options configure a Client.
type Options struct {
	// AllowPrivate lets the client reach loopback and private addresses.
	AllowPrivate bool
	// Timeout bounds one request with its body; zero means none (large transfers set
	// their own deadline through the context).
	Timeout time.Duration
	// DialTimeout bounds one connection; zero means 10 s.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for an answer's headers; zero means 30 s.
	ResponseHeaderTimeout time.Duration
	// MaxRedirects is how many redirects are followed; zero means 5, negative means none
	// (the redirect is the answer).
	MaxRedirects int
	// Resolver replaces the system's DNS resolver (tests).
	Resolver *net.Resolver
}

// Control is the dialer check, for callers that build their own transport.
func Control(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		if err := domain.CheckDialAddress(address, allowPrivate); err != nil {
			return errors.Join(ErrRefused, err)
		}
		return nil
	}
}

// Client returns an HTTP client whose every connection passes the guard.
func Client(o Options) *http.Client {
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.ResponseHeaderTimeout == 0 {
		o.ResponseHeaderTimeout = 30 * time.Second
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 5
	}
	dialer := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second, Resolver: o.Resolver, Control: Control(o.AllowPrivate)}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	max := o.MaxRedirects
	return &http.Client{Transport: transport, Timeout: o.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if max < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) >= max {
			return errors.New("outbound: too many redirects")
		}
		return nil // the next hop dials through Control again
	}}
}

// Refused reports whether err is a connection the guard refused.
func Refused(err error) bool { return errors.Is(err, ErrRefused) }
