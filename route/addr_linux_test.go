package route

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// addrTestSetup makes a namespace with a veth pair v0/v1 (v0 up, v1
// down, so v0 has no carrier and no IPv6 link-local address comes and
// goes) and a Conn in it; it returns the Conn, the namespace and v0's
// index.
func addrTestSetup(t *testing.T) (*Conn, *core.NetNS, int32) {
	t.Helper()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	nstest.Cmd(t, ns, "ip", "link", "set", "v0", "up")
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, ns, addrTestIndex(t, ns, "v0")
}

// addrTestIndex reads a link's index with ip.
func addrTestIndex(t *testing.T, ns *core.NetNS, name string) int32 {
	t.Helper()
	var links []struct {
		Index int32 `json:"ifindex"`
	}
	require.NoError(t, json.Unmarshal([]byte(nstest.Cmd(t, ns, "ip", "-j", "link", "show", name)), &links))
	require.Len(t, links, 1)
	return links[0].Index
}

// addrTestIP returns `ip -j addr show dev` for the link: its addr_info
// elements keyed by local address.
func addrTestIP(t *testing.T, ns *core.NetNS, dev string) map[string]map[string]any {
	t.Helper()
	out, err := exec.Command("ip", "-j", "-n", ns.Name(), "addr", "show", "dev", dev).Output()
	require.NoError(t, err)
	var links []struct {
		AddrInfo []map[string]any `json:"addr_info"`
	}
	require.NoError(t, json.Unmarshal(out, &links), string(out))
	require.Len(t, links, 1)
	m := map[string]map[string]any{}
	for _, a := range links[0].AddrInfo {
		m[a["local"].(string)] = a
	}
	return m
}

// addrTestAgree checks that every fact ip shows about an address, our
// JSON shows with the same name and value (lifetimes within 2 s: they
// tick between the two reads).
func addrTestAgree(t *testing.T, ip map[string]any, a *Addr) {
	t.Helper()
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var ours map[string]any
	require.NoError(t, json.Unmarshal(b, &ours))
	for k, v := range ip {
		switch k {
		case "valid_life_time", "preferred_life_time":
			require.InDelta(t, v, ours[k], 2, "%s of %s (ours %s)", k, ip["local"], b)
		default:
			require.Equal(t, v, ours[k], "%s of %s (ours %s)", k, ip["local"], b)
		}
	}
	for k, v := range ours {
		if v == true {
			require.Equal(t, true, ip[k], "flag %s of %s that ip does not show", k, ip["local"])
		}
	}
}

// TestAddrReadsWhatIPMade: what ip adds, Addrs reads the same.
func TestAddrReadsWhatIPMade(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx := context.Background()
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.1/24", "dev", "v0", "broadcast", "+", "label", "v0:1")
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.77/24", "dev", "v0") // a secondary
	nstest.Cmd(t, ns, "ip", "addr", "add", "198.51.100.5", "peer", "198.51.100.9/32", "dev", "v0", "metric", "7")
	nstest.Cmd(t, ns, "ip", "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad", "noprefixroute",
		"valid_lft", "100", "preferred_lft", "50")
	nstest.Cmd(t, ns, "ip", "addr", "add", "2001:db8:1::1/64", "dev", "v0", "nodad", "preferred_lft", "0")

	addrs, err := c.Addrs(ctx, &AddrFilter{Index: idx, HasScope: true, Scope: ScopeUniverse})
	require.NoError(t, err)
	ip := addrTestIP(t, ns, "v0")
	byLocal := map[string]*Addr{}
	for i := range addrs {
		byLocal[addrs[i].Prefix.Addr().String()] = &addrs[i]
	}
	require.Len(t, byLocal, 5)
	for local, a := range byLocal {
		require.Contains(t, ip, local)
		addrTestAgree(t, ip[local], a)
	}

	v4 := byLocal["192.0.2.1"]
	require.Equal(t, FamilyInet, v4.Family)
	require.Equal(t, idx, v4.Index)
	require.Equal(t, netip.MustParsePrefix("192.0.2.1/24"), v4.Prefix)
	require.Equal(t, netip.MustParseAddr("192.0.2.255"), v4.Broadcast)
	require.Equal(t, "v0:1", v4.Label)
	require.Equal(t, AddrPermanent, v4.Flags)
	require.Equal(t, Forever, v4.ValidLifetime)
	require.Equal(t, Forever, v4.PreferredLifetime)
	require.Positive(t, v4.Created)
	require.Equal(t, "192.0.2.1/24 brd 192.0.2.255 scope global v0:1 valid_lft forever preferred_lft forever",
		strings.TrimPrefix(v4.String(), fmt.Sprintf("%d: inet ", idx)))
	require.Equal(t, AddrSecondary|AddrPermanent, byLocal["192.0.2.77"].Flags)

	p2p := byLocal["198.51.100.5"]
	require.Equal(t, netip.MustParseAddr("198.51.100.9"), p2p.Peer)
	require.Equal(t, 32, p2p.Prefix.Bits())
	require.Equal(t, uint32(7), p2p.Priority)
	require.Contains(t, p2p.String(), "198.51.100.5 peer 198.51.100.9/32 metric 7 scope global v0")

	v6 := byLocal["2001:db8::1"]
	require.Equal(t, FamilyInet6, v6.Family)
	require.Equal(t, AddrNoDAD|AddrNoPrefixRoute, v6.Flags)
	require.InDelta(t, 100, v6.ValidLifetime.Seconds(), 2)
	require.InDelta(t, 50, v6.PreferredLifetime.Seconds(), 2)
	require.Contains(t, v6.String(), "inet6 2001:db8::1/64 scope global nodad dynamic noprefixroute valid_lft ")
	dep := byLocal["2001:db8:1::1"]
	require.Equal(t, AddrNoDAD|AddrDeprecated, dep.Flags&^AddrPermanent)

	// The filters: family and index in the kernel, scope and label here.
	v6s, err := c.Addrs(ctx, &AddrFilter{Family: FamilyInet6, Index: idx})
	require.NoError(t, err)
	for _, a := range v6s {
		require.Equal(t, FamilyInet6, a.Family)
	}
	require.Len(t, v6s, 2, "no link-local: v0 has no carrier (v1 is down)")
	host, err := c.Addrs(ctx, &AddrFilter{HasScope: true, Scope: ScopeHost})
	require.NoError(t, err)
	require.Len(t, host, 2) // 127.0.0.1, ::1 on lo
	labelled, err := c.Addrs(ctx, &AddrFilter{Label: "v0:1"})
	require.NoError(t, err)
	require.Len(t, labelled, 1)
	require.Equal(t, "192.0.2.1/24", labelled[0].Prefix.String())
	all, err := c.Addrs(ctx, nil)
	require.NoError(t, err)
	require.Len(t, all, 2+5) // lo's two, v0's five

	// The iterator reuses one value.
	var seen []*Addr
	for a, err := range c.AddrIter(ctx, &AddrFilter{Index: idx}) {
		require.NoError(t, err)
		seen = append(seen, a)
	}
	require.Len(t, seen, 5)
	require.Same(t, seen[0], seen[4])
}

// TestAddrIPReadsWhatNlkitMade: what AddrAdd adds, ip shows the same.
func TestAddrIPReadsWhatNlkitMade(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx := context.Background()
	want := []Addr{
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Broadcast: netip.MustParseAddr("192.0.2.255"), Label: "v0:1"},
		{Index: idx, Prefix: netip.MustParsePrefix("198.51.100.5/32"), Peer: netip.MustParseAddr("198.51.100.9"), Priority: 9},
		{Index: idx, Prefix: netip.MustParsePrefix("2001:db8::1/64"), Flags: AddrNoDAD | AddrNoPrefixRoute,
			ValidLifetime: 100 * time.Second, PreferredLifetime: 50 * time.Second},
		{Index: idx, Prefix: netip.MustParsePrefix("203.0.113.1/24"), Scope: ScopeLink, Protocol: 42},
		{Index: idx, Prefix: netip.MustParsePrefix("2001:db8:5::1/64"), Flags: AddrNoDAD, Protocol: AddrProtoKernelRA},
	}
	for i := range want {
		require.NoError(t, c.AddrAdd(ctx, &want[i]))
	}
	ip := addrTestIP(t, ns, "v0")
	got, err := c.Addrs(ctx, &AddrFilter{Index: idx})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range got {
		local := got[i].Prefix.Addr().String()
		require.Contains(t, ip, local)
		addrTestAgree(t, ip[local], &got[i])
	}
	require.Equal(t, "v0:1", ip["192.0.2.1"]["label"])
	require.Equal(t, "192.0.2.255", ip["192.0.2.1"]["broadcast"])
	require.Equal(t, "198.51.100.9", ip["198.51.100.5"]["address"])
	require.Equal(t, float64(9), ip["198.51.100.5"]["metric"])
	require.Equal(t, true, ip["2001:db8::1"]["noprefixroute"])
	require.Equal(t, true, ip["2001:db8::1"]["nodad"])
	require.InDelta(t, 100, ip["2001:db8::1"]["valid_life_time"], 2)
	require.InDelta(t, 50, ip["2001:db8::1"]["preferred_life_time"], 2)
	require.Equal(t, "link", ip["203.0.113.1"]["scope"])
	// iproute2 6.1 knows no IFA_PROTO: the kernel's answer shows it kept it.
	protos := map[string]Protocol{}
	for _, a := range got {
		protos[a.Prefix.String()] = a.Protocol
	}
	require.Equal(t, Protocol(42), protos["203.0.113.1/24"])
	require.Equal(t, AddrProtoKernelRA, protos["2001:db8:5::1/64"])

	// noprefixroute: no route for 2001:db8::/64; the others have theirs,
	// the peer's with its metric.
	routes := nstest.Cmd(t, ns, "ip", "-6", "route", "show", "dev", "v0")
	require.NotContains(t, routes, "2001:db8::/64")
	require.Contains(t, nstest.Cmd(t, ns, "ip", "route", "show", "dev", "v0"), "198.51.100.9 proto kernel scope link src 198.51.100.5 metric 9")

	// Replace changes the lifetimes in place; add of the same fails.
	upd := want[2]
	upd.ValidLifetime, upd.PreferredLifetime = 300*time.Second, 300*time.Second
	require.NoError(t, c.AddrReplace(ctx, &upd))
	require.InDelta(t, 300, addrTestIP(t, ns, "v0")["2001:db8::1"]["valid_life_time"], 2)
	err = c.AddrAdd(ctx, &want[0])
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorIs(t, err, unix.EEXIST)
	require.ErrorContains(t, err, fmt.Sprintf("addr add 192.0.2.1/24 dev %d: file exists", idx))

	// Delete, and delete again.
	require.NoError(t, c.AddrDel(ctx, &want[0]))
	require.NotContains(t, addrTestIP(t, ns, "v0"), "192.0.2.1")
	err = c.AddrDel(ctx, &want[0])
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, err, unix.EADDRNOTAVAIL)
	require.NoError(t, c.AddrDel(ctx, &Addr{Index: idx, Prefix: netip.MustParsePrefix("2001:db8::1/64")}))
	require.NotContains(t, addrTestIP(t, ns, "v0"), "2001:db8::1")
}

// TestAddrErrors checks the kernel's refusals and ours.
func TestAddrErrors(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx := context.Background()
	before := nstest.Cmd(t, ns, "ip", "addr")

	// No such link.
	err := c.AddrAdd(ctx, &Addr{Index: 999, Prefix: netip.MustParsePrefix("192.0.2.1/24")})
	require.ErrorIs(t, err, unix.ENODEV)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "addr add 192.0.2.1/24 dev 999: no such device")

	// A prefix length netip cannot hold, sent raw: the kernel explains.
	b, err := (&Addr{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24")}).Marshal(nil)
	require.NoError(t, err)
	b[1] = 33
	_, err = c.Core().Execute(ctx, request(unix.RTM_NEWADDR, core.FlagCreate|core.FlagExcl, b))
	var ke *core.Error
	require.ErrorAs(t, err, &ke)
	require.Equal(t, unix.EINVAL, ke.Errno)
	require.Equal(t, "ipv4: Invalid prefix length", ke.Message)
	b6, err := (&Addr{Index: idx, Prefix: netip.MustParsePrefix("2001:db8::1/64")}).Marshal(nil)
	require.NoError(t, err)
	b6[1] = 129
	_, err = c.Core().Execute(ctx, request(unix.RTM_NEWADDR, core.FlagCreate|core.FlagExcl, b6))
	require.ErrorAs(t, err, &ke)
	require.Equal(t, unix.EINVAL, ke.Errno)
	require.Equal(t, "ipv6: Invalid prefix length", ke.Message)

	// Refused before anything is sent.
	for _, a := range []Addr{
		{Index: idx},
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Family: FamilyInet6},
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Broadcast: netip.MustParseAddr("2001:db8::ff")},
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), PreferredLifetime: time.Second},
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), ValidLifetime: time.Second, PreferredLifetime: time.Hour},
		{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Label: strings.Repeat("x", 16)},
	} {
		err := c.AddrAdd(ctx, &a)
		require.Error(t, err, "%+v", a)
		require.ErrorContains(t, err, "addr add ")
		var ke *core.Error
		require.False(t, errors.As(err, &ke), "sent to the kernel: %v", err)
	}
	require.Equal(t, before, nstest.Cmd(t, ns, "ip", "addr"), "a refused request changed something")
}

// TestAddrCapture records the kernel's address messages into
// testdata/addr_dump.hex when NLKIT_CAPTURE=1 (as root); the fuzz target
// and the decode test read them.
func TestAddrCapture(t *testing.T) {
	if os.Getenv("NLKIT_CAPTURE") != "1" {
		t.Skip("set NLKIT_CAPTURE=1 to record testdata/addr_dump.hex")
	}
	c, ns, _ := addrTestSetup(t)
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.1/24", "dev", "v0", "broadcast", "+", "label", "v0:1")
	nstest.Cmd(t, ns, "ip", "addr", "add", "198.51.100.5", "peer", "198.51.100.9/32", "dev", "v0", "metric", "7")
	nstest.Cmd(t, ns, "ip", "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad", "noprefixroute",
		"valid_lft", "100", "preferred_lft", "50")
	var lines []string
	lines = append(lines, "# addr_dump: RTM_GETADDR dump from "+addrTestUname()+": lo, and on v0 (a veth)",
		"# 192.0.2.1/24 brd + label v0:1, 198.51.100.5 peer 198.51.100.9/32 metric 7,",
		"# 2001:db8::1/64 nodad noprefixroute valid_lft 100 preferred_lft 50 (v1 is down: no link-local address).",
		"# One whole netlink message a line, in hex. Recorded by NLKIT_CAPTURE=1 go test -run TestAddrCapture.")
	for m, err := range c.Core().Dump(context.Background(), addrDumpRequest(nil)) {
		require.NoError(t, err)
		raw, err := m.MarshalBinary()
		require.NoError(t, err)
		lines = append(lines, fmt.Sprintf("%x", raw))
	}
	require.NoError(t, os.WriteFile("testdata/addr_dump.hex", []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

func addrTestUname() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "Linux"
	}
	return "Linux " + unix.ByteSliceToString(u.Release[:])
}

// TestAddrNeedsNetAdmin: without CAP_NET_ADMIN, listing works and adding
// or deleting fails with EPERM, changing nothing (roWithoutNetAdmin).
func TestAddrNeedsNetAdmin(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx := context.Background()
	have := &Addr{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	require.NoError(t, c.AddrAdd(ctx, have))
	var listErr, addErr, delErr error
	roWithoutNetAdmin(t, ns, func(weak *Conn) {
		_, listErr = weak.Addrs(ctx, nil)
		addErr = weak.AddrAdd(ctx, &Addr{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.2/24")})
		delErr = weak.AddrDel(ctx, have)
	})
	require.NoError(t, listErr)
	require.ErrorIs(t, addErr, fs.ErrPermission)
	require.ErrorIs(t, addErr, unix.EPERM)
	require.ErrorContains(t, addErr, "addr add 192.0.2.2/24 dev ")
	require.ErrorIs(t, delErr, unix.EPERM)
	ip := addrTestIP(t, ns, "v0")
	require.Contains(t, ip, "192.0.2.1")
	require.NotContains(t, ip, "192.0.2.2")
}
