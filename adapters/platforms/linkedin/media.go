package linkedin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/heraldhq/herald/domain"
)

// errProhibitedAddress is a media download refused because it would reach a non-public
// address (loopback, private, link-local, metadata services...).
var errProhibitedAddress = errors.New("media address is not public")

// publicOnly is a net.Dialer Control func that refuses every address that is not public
// (domain.PublicIP), checked on the resolved address of each dial (so DNS rebinding and redirects
// cannot reach internal services), and ports other than 80 and 443. See STACK-NOTES 8.3.
func publicOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errProhibitedAddress, address)
	}
	if ip := ap.Addr(); !domain.PublicIP(ip) {
		return fmt.Errorf("%w: %s", errProhibitedAddress, ip)
	}
	if p := ap.Port(); p != 80 && p != 443 {
		return fmt.Errorf("%w: port %d", errProhibitedAddress, p)
	}
	return nil
}

// newMediaClient is the default client for downloading media from the public URLs posts
// name: public addresses only, no proxy from the environment, at most 5 redirects.
func newMediaClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: publicOnly}
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConns:          10,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}
