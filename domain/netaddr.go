package domain

import (
	"errors"
	"net/netip"
)

// notPublic4 are the IPv4 ranges that are not on the public internet, from the IANA
// special-purpose registry (RFC 6890 and updates); the standard library's predicates cover
// loopback, private, link-local and multicast, not these.
var notPublic4 = prefixes(
	"0.0.0.0/8",       // "this network"
	"100.64.0.0/10",   // shared address space (carrier-grade NAT)
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"240.0.0.0/4",     // reserved, and the limited broadcast address
)

// notPublic6 are the IPv6 ranges inside global unicast (2000::/3) that are not public.
var notPublic6 = prefixes(
	"2001::/32",     // Teredo: the IPv4 inside is obfuscated, so it cannot be judged
	"2001:2::/48",   // benchmarking
	"2001:10::/28",  // ORCHID
	"2001:20::/28",  // ORCHIDv2
	"2001:db8::/32", // documentation
	"3fff::/20",     // documentation
)

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")   // well-known NAT64: the IPv4 is the last 32 bits
	nat64Local     = netip.MustParsePrefix("64:ff9b:1::/48") // local-use NAT64 (RFC 8215): the network's own layout
	sixToFour      = netip.MustParsePrefix("2002::/16")      // 6to4: the IPv4 is bits 16 to 47
	ipv4Compatible = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible addresses (::a.b.c.d)
)

// metadataIPs are cloud instance-metadata services: they hand out credentials, so Herald
// never connects to them, whatever the operator allows.
var metadataIPs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack, DigitalOcean...
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"):   true, // Azure wire server
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// embeddedIPv4 returns the IPv4 address an IPv6 address carries (IPv4-mapped, NAT64,
// 6to4), so it is judged as that IPv4 address.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case ip.Is4In6():
		return ip.Unmap(), true
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// PublicIP reports whether ip is an address on the public internet, the one definition
// every outgoing connection to an address a company gave uses (webhooks, the media probe,
// platform media downloads). Refused: loopback, private, link-local, multicast, unspecified,
// shared (CGNAT), documentation, benchmarking and reserved ranges; IPv6 outside global
// unicast (site-local fec0::/10 and unique-local fc00::/7 included); and IPv4-mapped, NAT64
// and 6to4 addresses wrapping any of those IPv4 ranges. Deprecated IPv4-compatible (::a.b.c.d)
// and local-use NAT64 (64:ff9b:1::/48) addresses are never public.
func PublicIP(ip netip.Addr) bool {
	if !ip.IsValid() || metadataIPs[ip.WithZone("")] {
		return false
	}
	ip = ip.WithZone("")
	if v4, ok := embeddedIPv4(ip); ok {
		return publicIPv4(v4)
	}
	if ip.Is4() {
		return publicIPv4(ip)
	}
	if !globalUnicast6.Contains(ip) || ipv4Compatible.Contains(ip) || nat64Local.Contains(ip) {
		return false
	}
	for _, p := range notPublic6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func publicIPv4(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() || metadataIPs[ip] {
		return false
	}
	for _, p := range notPublic4 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// AlwaysRefusedIP reports whether ip is link-local (169.254.0.0/16, fe80::/10) or a cloud
// metadata service, also wrapped in IPv6: refused even when the operator allows private
// addresses, since nothing a company names should reach them.
func AlwaysRefusedIP(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("")
	if v4, ok := embeddedIPv4(ip); ok {
		ip = v4
	}
	return metadataIPs[ip] || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()
}

// ReachableIP reports whether Herald may connect to ip for a company: only public addresses,
// or, when the operator allows private ones (allowPrivate), any address but the always
// refused ones (AlwaysRefusedIP).
func ReachableIP(ip netip.Addr, allowPrivate bool) bool {
	if allowPrivate {
		return !AlwaysRefusedIP(ip)
	}
	return PublicIP(ip)
}

// ErrNotPublic is why a connection to an address was refused (ReachableIP).
var ErrNotPublic = errors.New("the address is not on the public internet")

// CheckDialAddress returns an error wrapping ErrNotPublic when the resolved host:port
// address is not ReachableIP; it is the check a dialer's Control function makes before
// every connection, after DNS resolution, so redirects and DNS rebinding cannot get past it.
func CheckDialAddress(address string, allowPrivate bool) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	if ip := ap.Addr(); !ReachableIP(ip, allowPrivate) {
		return &netError{ip: ip}
	}
	return nil
}

type netError struct{ ip netip.Addr }

func (e *netError) Error() string { return ErrNotPublic.Error() + " (" + e.ip.String() + ")" }
func (e *netError) Unwrap() error { return ErrNotPublic }
