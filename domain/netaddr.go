package domain

import "net/netip"

// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT), private in all but name.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// PublicIP reports whether ip is an address on the public internet: not loopback, private,
// link-local, multicast, unspecified or shared (CGNAT). IPv4-mapped IPv6 is judged as IPv4.
func PublicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() || sharedAddressSpace.Contains(ip))
}
