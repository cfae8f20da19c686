package domain

import (
	"errors"
	"net/netip"
	"testing"
)

// TestPublicIP_EveryKindOfAddress is the one table of what is public, what only an
// operator's "allow private" opens, and what is refused always.
func TestPublicIP_EveryKindOfAddress(t *testing.T) {
	t.Parallel()
	const (
		public  = "public"  // allowed always
		private = "private" // refused unless the operator allows private addresses
		never   = "never"   // refused always: link-local and metadata services
	)
	for _, tc := range []struct{ ip, want string }{
		{"8.8.8.8", public}, {"1.1.1.1", public}, {"93.184.216.34", public},
		{"2606:4700:4700::1111", public}, {"2a00:1450:4001:80b::200e", public},
		{"::ffff:8.8.8.8", public}, {"64:ff9b::808:808", public}, {"2002:808:808::1", public},

		{"127.0.0.1", private}, {"127.255.255.254", private}, {"10.1.2.3", private}, {"172.16.0.1", private}, {"192.168.1.1", private},
		{"100.64.0.1", private}, {"0.0.0.0", private}, {"0.1.2.3", private}, {"198.18.0.1", private}, {"198.19.255.255", private},
		{"240.0.0.1", private}, {"255.255.255.255", private}, {"192.0.0.1", private}, {"192.0.0.170", private},
		{"192.0.2.1", private}, {"198.51.100.1", private}, {"203.0.113.1", private}, {"239.255.255.250", private},
		{"::1", private}, {"::", private}, {"fc00::1", private}, {"fd12:3456::1", private}, {"fec0::1", private}, {"feff::1", private},
		{"2001:db8::1", private}, {"2001::1", private}, {"3fff::1", private},
		// IPv4 inside IPv6: judged as the IPv4 address, or never public when it cannot be.
		{"::ffff:127.0.0.1", private}, {"::ffff:10.0.0.1", private}, {"::ffff:192.168.0.1", private}, {"::ffff:0.0.0.0", private},
		{"64:ff9b::7f00:1", private}, {"64:ff9b::a00:1", private}, {"64:ff9b::c0a8:101", private},
		{"64:ff9b:1::a00:1", private}, {"64:ff9b:1::808:808", private},
		{"2002:7f00:1::1", private}, {"2002:a00:1::", private}, {"2002:c0a8:101::1", private},
		{"::127.0.0.1", private}, {"::10.0.0.1", private}, {"::8.8.8.8", private},

		{"169.254.169.254", never}, {"169.254.170.2", never}, {"169.254.0.1", never}, {"fe80::1", never}, {"fe80::1%eth0", never}, {"224.0.0.1", never}, {"ff02::1", never},
		{"fd00:ec2::254", never}, {"100.100.100.200", never}, {"168.63.129.16", never},
		{"::ffff:169.254.169.254", never}, {"64:ff9b::a9fe:a9fe", never}, {"2002:a9fe:a9fe::1", never},
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := PublicIP(ip); got != (tc.want == public) {
			t.Errorf("PublicIP(%s) = %v, want %v", tc.ip, got, tc.want == public)
		}
		if got := ReachableIP(ip, true); got != (tc.want != never) {
			t.Errorf("ReachableIP(%s, allowPrivate) = %v, want %v", tc.ip, got, tc.want != never)
		}
		port := netip.AddrPortFrom(ip, 443).String()
		err := CheckDialAddress(port, false)
		if (err == nil) != (tc.want == public) || (err != nil && !errors.Is(err, ErrNotPublic)) {
			t.Errorf("CheckDialAddress(%s) = %v", port, err)
		}
	}
	if ReachableIP(netip.Addr{}, true) || PublicIP(netip.Addr{}) {
		t.Error("the zero address is reachable")
	}
}

// TestCheckWebhookURL_MetadataAndLinkLocalStayRefusedWhenPrivateIsAllowed: the operator's
// HERALD_WEBHOOK_ALLOW_PRIVATE opens private networks, never the cloud metadata service.
func TestCheckWebhookURL_MetadataAndLinkLocalStayRefusedWhenPrivateIsAllowed(t *testing.T) {
	t.Parallel()
	open := WebhookURLPolicy{AllowPrivate: true}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1]/hook",
		"http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/"} {
		if _, problem := CheckWebhookURL(u, open); problem == "" {
			t.Errorf("CheckWebhookURL(%s, allow private) accepted it", u)
		}
	}
	for _, u := range []string{"http://10.0.0.5/hook", "http://127.0.0.1:8080/hook", "http://localhost/hook"} {
		if _, problem := CheckWebhookURL(u, open); problem != "" {
			t.Errorf("CheckWebhookURL(%s, allow private) = %q, want accepted", u, problem)
		}
	}
	for _, u := range []string{"https://[fec0::1]/", "https://198.18.0.1/", "https://[64:ff9b::a00:1]/", "https://[2002:a00:1::]/"} {
		if _, problem := CheckWebhookURL(u, WebhookURLPolicy{}); problem == "" {
			t.Errorf("CheckWebhookURL(%s) accepted a non-public address", u)
		}
	}
}
