package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeDNS answers A and AAAA questions for "<label>.test." from names, on a UDP port of
// its own, so a test controls what a webhook's host name resolves to.
func fakeDNS(t *testing.T, names map[string]netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := answer(buf[:n], names); resp != nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// answer builds the response to one DNS query: the question echoed and, when the name is
// known and the type matches the address's family, one record.
func answer(q []byte, names map[string]netip.Addr) []byte {
	if len(q) < 12 {
		return nil
	}
	i, labels := 12, []string{}
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	question := q[12 : i+5]
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	resp := append([]byte{}, q[:2]...)
	resp = append(resp, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0)
	resp = append(resp, question...)
	ip, ok := names[strings.ToLower(strings.Join(labels, "."))]
	if !ok {
		resp[3] |= 3 // NXDOMAIN
		return resp
	}
	var rtype uint16 = 28
	rdata := ip.AsSlice()
	if ip.Is4() {
		rtype = 1
	}
	if qtype != rtype {
		return resp
	}
	resp[7] = 1 // one answer
	resp = append(resp, 0xc0, 12)
	resp = binary.BigEndian.AppendUint16(resp, rtype)
	resp = binary.BigEndian.AppendUint16(resp, 1)
	resp = binary.BigEndian.AppendUint32(resp, 60)
	resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
	return append(resp, rdata...)
}

// TestSend_RefusesEveryKindOfNonPublicAddressAfterDNS resolves a host name per kind of
// address through a DNS server the test controls, so the refusal happens on the resolved
// address at connection time (domain.ReachableIP, the one definition): every kind is
// refused; with private addresses allowed, link-local and metadata addresses still are,
// while a loopback receiver is reached.
func TestSend_RefusesEveryKindOfNonPublicAddressAfterDNS(t *testing.T) {
	t.Parallel()
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	base, _ := url.Parse(srv.URL)
	port := base.Port()
	refused := map[string]string{
		"this-network": "0.1.2.3", "benchmarking": "198.18.0.1", "reserved": "240.0.0.1", "ietf": "192.0.0.1",
		"site-local": "fec0::1", "nat64-loopback": "64:ff9b::7f00:1", "nat64-local": "64:ff9b:1::a00:1",
		"sixtofour-loopback": "2002:7f00:1::1", "compatible-loopback": "::127.0.0.1", "mapped-loopback": "::ffff:127.0.0.1",
		"private": "10.0.0.1", "cgnat": "100.64.0.1", "ula": "fd12::1", "loopback": "127.0.0.1", "loopback6": "::1",
		"metadata": "169.254.169.254", "metadata6": "fd00:ec2::254", "link-local": "169.254.1.1", "link-local6": "fe80::1",
		"nat64-metadata": "64:ff9b::a9fe:a9fe", "sixtofour-metadata": "2002:a9fe:a9fe::1",
	}
	alwaysRefused := []string{"metadata", "metadata6", "link-local", "link-local6", "nat64-metadata", "sixtofour-metadata"}
	names := map[string]netip.Addr{}
	for label, ip := range refused {
		names[label+".test"] = netip.MustParseAddr(ip)
	}
	names["receiver.test"] = netip.MustParseAddr("127.0.0.1")
	resolver := fakeDNS(t, names)

	guarded := New(Options{Timeout: 5 * time.Second, Resolver: resolver})
	for label, ip := range refused {
		res := guarded.Send(context.Background(), message("http://"+label+".test:"+port+"/hook"))
		if !errors.Is(res.Err, ErrPrivateAddress) || res.Succeeded() {
			t.Errorf("%s.test (%s): status %d, err %v; want ErrPrivateAddress", label, ip, res.Status, res.Err)
		}
		// Literal addresses are refused the same way.
		lit := ip
		if strings.Contains(ip, ":") {
			lit = "[" + ip + "]"
		}
		if res := guarded.Send(context.Background(), message("http://"+lit+":"+port+"/hook")); !errors.Is(res.Err, ErrPrivateAddress) {
			t.Errorf("literal %s: status %d, err %v; want ErrPrivateAddress", ip, res.Status, res.Err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d requests through the guard", n)
	}

	open := New(Options{Timeout: 5 * time.Second, Resolver: resolver, AllowPrivate: true})
	for _, label := range alwaysRefused {
		if res := open.Send(context.Background(), message("http://"+label+".test:"+port+"/hook")); !errors.Is(res.Err, ErrPrivateAddress) {
			t.Errorf("with private addresses allowed, %s.test (%s): status %d, err %v; want ErrPrivateAddress", label, refused[label], res.Status, res.Err)
		}
	}
	if res := open.Send(context.Background(), message("http://receiver.test:"+port+"/hook")); !res.Succeeded() || hits.Load() != 1 {
		t.Errorf("with private addresses allowed, the loopback receiver: status %d, err %v, hits %d", res.Status, res.Err, hits.Load())
	}
}
