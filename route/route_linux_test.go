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
	"slices"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// routeTestSetup makes a namespace with a veth pair veth0/veth1, both up,
// 192.0.2.1/24 and 2001:db8::1/64 (nodad) on veth0, and a Conn in it. It
// returns the Conn, the namespace and veth0's index.
func routeTestSetup(t *testing.T) (*Conn, *core.NetNS, uint32) {
	t.Helper()
	ns := nstest.New(t)
	for _, args := range [][]string{
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		// No link-local addresses: their routes would come and go
		// while a test compares listings.
		{"link", "set", "veth0", "addrgenmode", "none"},
		{"link", "set", "veth1", "addrgenmode", "none"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0"},
		{"addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, ns, uint32(addrTestIndex(t, ns, "veth0"))
}

// routeTestNames maps interface indexes to names, read with ip.
func routeTestNames(t *testing.T, ns *core.NetNS) func(uint32) string {
	t.Helper()
	var links []struct {
		Index  uint32 `json:"ifindex"`
		Ifname string `json:"ifname"`
	}
	require.NoError(t, json.Unmarshal([]byte(nstest.Cmd(t, ns, "ip", "-j", "link", "show")), &links))
	m := map[uint32]string{}
	for _, l := range links {
		m[l.Index] = l.Ifname
	}
	return func(i uint32) string { return m[i] }
}

// routeTestIP runs `ip -j ARGS` in ns and returns the objects it printed.
func routeTestIP(t *testing.T, ns *core.NetNS, args ...string) []map[string]any {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-j", "-n", ns.Name()}, args...)...).Output()
	require.NoError(t, err, "ip %v", args)
	var v []map[string]any
	require.NoError(t, json.Unmarshal(out, &v), string(out))
	return v
}

// routeTestSkip are the keys of `ip -j route` not compared: volatile
// (expires, cache) or ip's own presentation.
var routeTestSkip = map[string]bool{"expires": true, "cache": true}

// routeTestAgree checks that every fact ip shows about a route, our JSON
// shows with the same name and value, and that we show no fact ip
// leaves out (but "family").
func routeTestAgree(t *testing.T, ip map[string]any, r *Route, names func(uint32) string) {
	t.Helper()
	b := r.AppendJSON(nil, names)
	var ours map[string]any
	require.NoError(t, json.Unmarshal(b, &ours), string(b))
	for k, v := range ip {
		if routeTestSkip[k] {
			continue
		}
		require.Equal(t, v, ours[k], "%s of %v (ip %v, ours %s)", k, ip["dst"], ip, b)
	}
	for k := range ours {
		if _, ok := ip[k]; !ok && k != "family" && !routeTestSkip[k] {
			t.Errorf("we show %s of %v, ip does not (ip %v, ours %s)", k, ip["dst"], ip, b)
		}
	}
}

// routeTestIPRoutes are the routes TestRouteFromIP adds with ip.
var routeTestIPRoutes = [][]string{
	{"route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "veth0", "proto", "static", "metric", "5"},
	{"route", "add", "203.0.113.0/24", "nexthop", "via", "192.0.2.2", "weight", "2", "nexthop", "via", "192.0.2.3", "weight", "3"},
	{"route", "add", "blackhole", "198.51.100.128/25", "table", "1000"},
	{"route", "add", "unreachable", "203.0.113.7"},
	{"route", "add", "prohibit", "203.0.113.8", "metric", "9"},
	{"route", "add", "throw", "203.0.113.16/28", "table", "1000"},
	{"route", "add", "198.18.0.0/16", "via", "192.0.2.2", "mtu", "1400", "initcwnd", "10", "src", "192.0.2.1"},
	{"route", "add", "198.19.0.0/16", "via", "192.0.2.9", "dev", "veth0", "onlink"},
	{"route", "add", "198.19.1.0/24", "via", "inet6", "2001:db8::2", "dev", "veth0"},
	{"route", "add", "198.19.2.0/24", "dev", "veth0", "scope", "link", "table", "1000", "proto", "bgp"},
	{"route", "add", "default", "via", "192.0.2.254", "metric", "100", "mtu", "lock", "1300", "advmss", "1200"},
	{"-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8::2", "metric", "10", "pref", "high"},
	{"-6", "route", "add", "2001:db8:2::/64", "nexthop", "via", "2001:db8::2", "weight", "1", "nexthop", "via", "2001:db8::3", "weight", "4"},
	{"-6", "route", "add", "2001:db8:3::/64", "dev", "veth0", "table", "1000", "hoplimit", "7"},
}

// TestRouteFromIP reads what ip made: every route of every table, as
// `ip -j route show table all` shows them, fact by fact.
func TestRouteFromIP(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	for _, args := range routeTestIPRoutes {
		nstest.Cmd(t, ns, "ip", args...)
	}
	ctx := context.Background()
	routes, err := c.Routes(ctx, nil)
	require.NoError(t, err)
	ip := routeTestIP(t, ns, "route", "show", "table", "all")
	require.Len(t, routes, len(ip), "route count")
	names := routeTestNames(t, ns)
	for i := range routes {
		routeTestAgree(t, ip[i], &routes[i], names)
	}

	// The iterator sees the same routes.
	i := 0
	for r, err := range c.RouteIter(ctx, nil) {
		require.NoError(t, err)
		require.True(t, r.Equal(&routes[i]), "route %d: %v", i, r.Diff(&routes[i]))
		i++
	}
	require.Equal(t, len(routes), i)

	// A few routes in full.
	find := func(dst string, table uint32) *Route {
		t.Helper()
		p := netip.MustParsePrefix(dst)
		for i := range routes {
			if routes[i].Dst == p && routes[i].Table == table {
				return &routes[i]
			}
		}
		t.Fatalf("no route to %s in table %d", dst, table)
		return nil
	}
	mp := find("203.0.113.0/24", TableMain)
	require.Equal(t, []RouteNexthop{
		{Weight: 2, OIF: veth0, Gateway: netip.MustParseAddr("192.0.2.2")},
		{Weight: 3, OIF: veth0, Gateway: netip.MustParseAddr("192.0.2.3")},
	}, mp.Nexthops)
	require.Equal(t, "203.0.113.0/24 nexthop via 192.0.2.2 dev veth0 weight 2 nexthop via 192.0.2.3 dev veth0 weight 3",
		string(mp.AppendText(nil, names)))
	m := find("198.18.0.0/16", TableMain)
	require.Equal(t, RouteMetrics{MTU: 1400, InitCWnd: 10}, m.Metrics)
	require.Equal(t, netip.MustParseAddr("192.0.2.1"), m.PrefSrc)
	def := find("0.0.0.0/0", TableMain)
	require.Equal(t, RouteMetrics{MTU: 1300, AdvMSS: 1200, Lock: 1 << unix.RTAX_MTU}, def.Metrics)
	require.Equal(t, "default via 192.0.2.254 dev if"+fmt.Sprint(veth0)+" metric 100 mtu lock 1300 advmss 1200", def.String())
	bh := find("198.51.100.128/25", 1000)
	require.Equal(t, RouteTypeBlackhole, bh.Type)
	require.Equal(t, "blackhole 198.51.100.128/25 table 1000", bh.String())
	via := find("198.19.1.0/24", TableMain)
	require.Equal(t, netip.MustParseAddr("2001:db8::2"), via.Via)
	require.False(t, via.Gateway.IsValid())
	onlink := find("198.19.0.0/16", TableMain)
	require.Equal(t, RouteOnLink, onlink.Flags)
	v6 := find("2001:db8:1::/64", TableMain)
	require.Equal(t, RoutePrefHigh, v6.Pref)
	require.Equal(t, uint32(10), v6.Priority)
	require.Equal(t, "2001:db8:1::/64 via 2001:db8::2 dev veth0 metric 10 pref high", string(v6.AppendText(nil, names)))
	v6mp := find("2001:db8:2::/64", TableMain)
	require.Len(t, v6mp.Nexthops, 2)
	require.Equal(t, 4, v6mp.Nexthops[1].Weight)
	require.Equal(t, uint32(7), find("2001:db8:3::/64", 1000).Metrics.HopLimit)
}

// TestRouteFilters checks the kernel-side and local filters against ip's
// own filtered listings.
func TestRouteFilters(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	for _, args := range routeTestIPRoutes {
		nstest.Cmd(t, ns, "ip", args...)
	}
	nstest.Cmd(t, ns, "ip", "link", "add", "veth2", "type", "veth", "peer", "name", "veth3")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth2", "up")
	nstest.Cmd(t, ns, "ip", "route", "add", "198.51.100.77", "dev", "veth2")
	veth2 := uint32(addrTestIndex(t, ns, "veth2"))
	ctx := context.Background()
	dsts := func(f *RouteFilter) []string {
		t.Helper()
		rs, err := c.Routes(ctx, f)
		require.NoError(t, err)
		var out []string
		for i := range rs {
			out = append(out, string(rs[i].appendDst(nil)))
		}
		return out
	}
	ipDsts := func(args ...string) []string {
		var out []string
		for _, o := range routeTestIP(t, ns, args...) {
			out = append(out, o["dst"].(string))
		}
		return out
	}
	require.Equal(t, ipDsts("-4", "route", "show", "table", "1000"), dsts(&RouteFilter{Family: FamilyInet, Table: 1000}))
	require.Equal(t, ipDsts("route", "show", "table", "all", "proto", "static"), dsts(&RouteFilter{Protocol: ProtocolStatic}))
	require.Equal(t, ipDsts("route", "show", "table", "all", "type", "unreachable"), dsts(&RouteFilter{Type: RouteTypeUnreachable}))
	require.Equal(t, ipDsts("-4", "route", "show", "table", "all", "dev", "veth2"), dsts(&RouteFilter{Family: FamilyInet, OIF: veth2}))
	require.Equal(t, ipDsts("-4", "route", "show", "scope", "link"), dsts(&RouteFilter{Family: FamilyInet, Table: TableMain, Scope: new(ScopeLink)}))
	require.Equal(t, []string{"198.51.100.0/24"}, dsts(&RouteFilter{Dst: netip.MustParsePrefix("198.51.100.0/24")}))
	require.Equal(t, []string{"198.18.0.0/16", "198.51.100.0/24", "203.0.113.0/24"},
		dsts(&RouteFilter{Gateway: netip.MustParseAddr("192.0.2.2")}))
	require.Equal(t, []string{"2001:db8:3::/64"}, dsts(&RouteFilter{Family: FamilyInet6, Table: 1000}))

	// A table that does not exist has no routes.
	require.Empty(t, dsts(&RouteFilter{Family: FamilyInet, Table: 4242}))
	n := 0
	for _, err := range c.RouteIter(ctx, &RouteFilter{Family: FamilyInet, Table: 4242}) {
		require.NoError(t, err)
		n++
	}
	require.Zero(t, n)

	// The kernel filtered: with strict checking off it would not, and
	// the local match keeps the answer the same.
	loose, err := Dial(&core.Config{NetNS: ns, NoStrict: true})
	require.NoError(t, err)
	defer loose.Close()
	f := &RouteFilter{Family: FamilyInet, OIF: veth0, Table: TableMain}
	rs, err := loose.Routes(ctx, f)
	require.NoError(t, err)
	var looseDsts []string
	for i := range rs {
		looseDsts = append(looseDsts, string(rs[i].appendDst(nil)))
	}
	// ip's own "dev" filter skips multipath routes; the kernel's (and
	// ours) keeps a route with any hop out of the device.
	require.Equal(t, append(ipDsts("-4", "route", "show", "dev", "veth0"), "203.0.113.0/24"), looseDsts)
	require.Equal(t, looseDsts, dsts(f))
}

// TestRouteToIP adds routes with nlkit and reads them back with ip.
func TestRouteToIP(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	ctx := context.Background()
	gw := netip.MustParseAddr("192.0.2.2")
	routes := []Route{
		{Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: gw, OIF: veth0, Protocol: ProtocolStatic, Priority: 5},
		{Dst: netip.MustParsePrefix("198.51.100.0/25"), Gateway: gw, Table: 100, Priority: 5},
		{Dst: netip.MustParsePrefix("203.0.113.0/24"), Nexthops: []RouteNexthop{
			{Gateway: gw, OIF: veth0, Weight: 2}, {Gateway: netip.MustParseAddr("192.0.2.3"), OIF: veth0, Weight: 3},
		}},
		{Dst: netip.MustParsePrefix("203.0.113.7/32"), Type: RouteTypeBlackhole},
		{Dst: netip.MustParsePrefix("203.0.113.8/32"), Type: RouteTypeUnreachable},
		{Dst: netip.MustParsePrefix("203.0.113.9/32"), Type: RouteTypeProhibit, Table: 1000},
		{Dst: netip.MustParsePrefix("198.18.0.0/16"), Gateway: gw, PrefSrc: netip.MustParseAddr("192.0.2.1"),
			Metrics: RouteMetrics{MTU: 1400, InitCWnd: 10, Lock: 1 << unix.RTAX_MTU}},
		{Dst: netip.MustParsePrefix("198.19.0.0/16"), Gateway: netip.MustParseAddr("192.0.2.9"), OIF: veth0, Flags: RouteOnLink},
		{Dst: netip.MustParsePrefix("198.19.1.0/24"), Via: netip.MustParseAddr("2001:db8::2"), OIF: veth0},
		{Dst: netip.MustParsePrefix("198.19.2.0/24"), OIF: veth0},
		{Dst: netip.MustParsePrefix("2001:db8:1::/64"), Gateway: netip.MustParseAddr("2001:db8::2"), Priority: 10, Pref: RoutePrefHigh},
		{Dst: netip.MustParsePrefix("2001:db8:4::/64"), OIF: veth0, Metrics: RouteMetrics{HopLimit: 9}, Protocol: ProtocolBGP},
	}
	for i := range routes {
		require.NoError(t, c.RouteAdd(ctx, &routes[i]), "%v", &routes[i])
	}
	names := routeTestNames(t, ns)
	ip := routeTestIP(t, ns, "route", "show", "table", "all")
	got, err := c.Routes(ctx, nil)
	require.NoError(t, err)
	require.Len(t, got, len(ip))
	for i := range got {
		routeTestAgree(t, ip[i], &got[i], names)
	}
	text := nstest.Cmd(t, ns, "ip", "route", "show", "table", "all")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	for _, want := range []string{
		"198.51.100.0/24 via 192.0.2.2 dev veth0 proto static metric 5",
		"198.51.100.0/25 via 192.0.2.2 dev veth0 table 100 metric 5",
		"blackhole 203.0.113.7",
		"unreachable 203.0.113.8",
		"prohibit 203.0.113.9 table 1000",
		"198.18.0.0/16 via 192.0.2.2 dev veth0 src 192.0.2.1 mtu lock 1400 initcwnd 10",
		"198.19.0.0/16 via 192.0.2.9 dev veth0 onlink",
		"198.19.1.0/24 via inet6 2001:db8::2 dev veth0",
		"198.19.2.0/24 dev veth0 scope link",
		"nexthop via 192.0.2.2 dev veth0 weight 2",
		"nexthop via 192.0.2.3 dev veth0 weight 3",
		"2001:db8:1::/64 via 2001:db8::2 dev veth0 metric 10 pref high",
		"2001:db8:4::/64 dev veth0 proto bgp metric 1024 hoplimit 9 pref medium",
	} {
		require.Contains(t, lines, want, "ip route shows:\n%s", text)
	}
}

// TestRouteGet compares RouteGet with `ip -j route get`.
func TestRouteGet(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	nstest.Cmd(t, ns, "ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "metric", "5")
	nstest.Cmd(t, ns, "ip", "route", "add", "2001:db8:1::/64", "via", "2001:db8::2", "pref", "high")
	ctx := context.Background()
	names := routeTestNames(t, ns)

	r, err := c.RouteGet(ctx, netip.MustParseAddr("198.51.100.7"), nil)
	require.NoError(t, err)
	ip := routeTestIP(t, ns, "route", "get", "198.51.100.7")
	require.Len(t, ip, 1)
	routeTestAgree(t, ip[0], r, names)
	require.Equal(t, veth0, r.OIF)
	require.Equal(t, netip.MustParseAddr("192.0.2.2"), r.Gateway)
	require.True(t, r.Flags&RouteCloned != 0)

	r, err = c.RouteGet(ctx, netip.MustParseAddr("2001:db8:1::5"), nil)
	require.NoError(t, err)
	ip = routeTestIP(t, ns, "route", "get", "2001:db8:1::5")
	routeTestAgree(t, ip[0], r, names)

	// The FIB entry that matched, and the table of the lookup.
	r, err = c.RouteGet(ctx, netip.MustParseAddr("198.51.100.7"), &RouteGetOptions{FIBMatch: true, LookupTable: true, Mark: 5})
	require.NoError(t, err)
	require.Equal(t, netip.MustParsePrefix("198.51.100.0/24"), r.Dst)
	require.Equal(t, uint32(5), r.Priority)
	require.Equal(t, TableMain, r.Table)
	ip = routeTestIP(t, ns, "route", "get", "fibmatch", "198.51.100.7", "mark", "5")
	routeTestAgree(t, ip[0], r, names)

	// From a source, out of a given device.
	r, err = c.RouteGet(ctx, netip.MustParseAddr("198.51.100.9"), &RouteGetOptions{Src: netip.MustParseAddr("192.0.2.1"), OIF: veth0})
	require.NoError(t, err)
	require.Equal(t, netip.MustParsePrefix("192.0.2.1/32"), r.Src)

	// No route: ENETUNREACH with the op.
	_, err = c.RouteGet(ctx, netip.MustParseAddr("203.0.113.1"), nil)
	require.ErrorIs(t, err, unix.ENETUNREACH)
	require.ErrorContains(t, err, "route get 203.0.113.1: network is unreachable")
}

// TestRouteChange covers replace, append, delete and flush.
func TestRouteChange(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	ctx := context.Background()
	dst := netip.MustParsePrefix("198.51.100.0/24")
	r := Route{Dst: dst, Gateway: netip.MustParseAddr("192.0.2.2"), OIF: veth0, Table: 100}
	require.NoError(t, c.RouteAdd(ctx, &r))

	err := c.RouteAdd(ctx, &r)
	require.ErrorIs(t, err, fs.ErrExist)
	require.EqualError(t, err, "route add 198.51.100.0/24 table 100: file exists")

	r.Gateway = netip.MustParseAddr("192.0.2.3")
	require.NoError(t, c.RouteReplace(ctx, &r))
	require.Equal(t, "198.51.100.0/24 via 192.0.2.3 dev veth0 \n", nstest.Cmd(t, ns, "ip", "route", "show", "table", "100"))

	r2 := r
	r2.Gateway = netip.MustParseAddr("192.0.2.4")
	require.NoError(t, c.RouteAppend(ctx, &r2))
	got, err := c.Routes(ctx, &RouteFilter{Table: 100})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, r2.Gateway, got[1].Gateway)

	// Delete names the route; zero fields match anything.
	require.NoError(t, c.RouteDel(ctx, &Route{Dst: dst, Table: 100, Gateway: r2.Gateway}))
	require.Equal(t, "198.51.100.0/24 via 192.0.2.3 dev veth0 \n", nstest.Cmd(t, ns, "ip", "route", "show", "table", "100"))
	require.NoError(t, c.RouteDel(ctx, &Route{Dst: dst, Table: 100}))
	err = c.RouteDel(ctx, &Route{Dst: dst, Table: 100})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, err, unix.ESRCH)
	require.ErrorContains(t, err, "route del 198.51.100.0/24 table 100: no such process")

	// Flush by filter: only what matches goes.
	for i := range 20 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}), 32)
		require.NoError(t, c.RouteAdd(ctx, &Route{Dst: p, Gateway: netip.MustParseAddr("192.0.2.2"), Protocol: ProtocolStatic}))
	}
	nstest.Cmd(t, ns, "ip", "route", "add", "2001:db8:9::/64", "via", "2001:db8::2", "proto", "static")
	nstest.Cmd(t, ns, "ip", "route", "add", "198.19.0.0/16", "via", "192.0.2.2")
	n, err := c.RouteFlush(ctx, &RouteFilter{Family: FamilyInet, Protocol: ProtocolStatic})
	require.NoError(t, err)
	require.Equal(t, 20, n)
	require.Empty(t, nstest.Cmd(t, ns, "ip", "route", "show", "proto", "static"))
	require.NotEmpty(t, nstest.Cmd(t, ns, "ip", "-6", "route", "show", "proto", "static"))
	require.Contains(t, nstest.Cmd(t, ns, "ip", "route", "show"), "198.19.0.0/16 via 192.0.2.2")
	n, err = c.RouteFlush(ctx, &RouteFilter{Family: FamilyInet, Protocol: ProtocolStatic})
	require.NoError(t, err)
	require.Zero(t, n)

	// Flush of a multipath route deletes it whole, v4 and v6.
	nstest.Cmd(t, ns, "ip", "route", "add", "203.0.113.0/24", "proto", "bgp", "nexthop", "via", "192.0.2.2", "nexthop", "via", "192.0.2.3")
	nstest.Cmd(t, ns, "ip", "route", "add", "2001:db8:8::/64", "proto", "bgp", "nexthop", "via", "2001:db8::2", "nexthop", "via", "2001:db8::3")
	n, err = c.RouteFlush(ctx, &RouteFilter{Protocol: ProtocolBGP})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Empty(t, nstest.Cmd(t, ns, "ip", "route", "show", "table", "all", "proto", "bgp"))
}

// TestRouteErrors checks the kernel's refusals and ours, and that none
// changes anything.
func TestRouteErrors(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	ctx := context.Background()
	before := nstest.Cmd(t, ns, "ip", "route", "show", "table", "all")

	// A bad interface: ENODEV.
	err := c.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), OIF: 9999})
	require.ErrorIs(t, err, unix.ENODEV)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "route add 198.51.100.0/24: no such device")

	// Host bits set: the kernel refuses with its reason.
	err = c.RouteAdd(ctx, &Route{Dst: netip.PrefixFrom(netip.MustParseAddr("198.51.100.1"), 24), OIF: veth0})
	require.ErrorIs(t, err, unix.EINVAL)
	require.ErrorContains(t, err, "route add 198.51.100.1/24: invalid argument: Invalid prefix for given prefix length")

	// Prefix length 33 cannot even be made: refused here.
	err = c.RouteAdd(ctx, &Route{Dst: netip.PrefixFrom(netip.MustParseAddr("198.51.100.0"), 33), OIF: veth0})
	require.ErrorContains(t, err, "invalid destination prefix")

	// A gateway that is not on any link.
	err = c.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: netip.MustParseAddr("203.0.113.99")})
	require.ErrorIs(t, err, unix.ENETUNREACH)
	require.ErrorContains(t, err, "Nexthop has invalid gateway")

	// Mixed families are refused here.
	err = c.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: netip.MustParseAddr("2001:db8::2")})
	require.ErrorIs(t, err, errRouteFamily)

	// Weight out of range.
	err = c.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Nexthops: []RouteNexthop{{Gateway: netip.MustParseAddr("192.0.2.2"), Weight: 300}}})
	require.ErrorIs(t, err, errRouteWeight)

	// Deleting a missing route.
	err = c.RouteDel(ctx, &Route{Dst: netip.MustParsePrefix("203.0.113.0/24")})
	require.ErrorIs(t, err, fs.ErrNotExist)

	// MPLS encapsulation needs the mpls_iptunnel module, which this
	// kernel may lack: either it works or the kernel says why.
	err = c.RouteAdd(ctx, &Route{Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: netip.MustParseAddr("192.0.2.2"),
		Encap: &Encap{Type: EncapMPLS, Labels: []uint32{100, 200}}})
	if err == nil {
		out := nstest.Cmd(t, ns, "ip", "route", "show", "203.0.113.0/24")
		require.Contains(t, out, "encap mpls  100/200")
		require.NoError(t, c.RouteDel(ctx, &Route{Dst: netip.MustParsePrefix("203.0.113.0/24")}))
	} else {
		require.ErrorIs(t, err, unix.EOPNOTSUPP)
		t.Logf("MPLS encap: %v", err)
	}
	require.Equal(t, before, nstest.Cmd(t, ns, "ip", "route", "show", "table", "all"), "a refused request changed something")
}

// TestRouteBatch adds routes in a batch, some of them bad, and checks
// each answer.
func TestRouteBatch(t *testing.T) {
	t.Parallel()
	c, ns, veth0 := routeTestSetup(t)
	ctx := context.Background()
	gw := netip.MustParseAddr("192.0.2.2")
	const n = 1000
	routes := make([]Route, n)
	for i := range routes {
		routes[i] = Route{
			Dst:     netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 32),
			Gateway: gw, OIF: veth0, Protocol: ProtocolStatic,
		}
	}
	routes[10].Dst = routes[9].Dst                                              // EEXIST, mid-datagram
	routes[127].OIF, routes[127].Gateway = 9999, netip.Addr{}                   // ENODEV, last of the first datagram
	routes[500].Dst = netip.PrefixFrom(netip.MustParseAddr("198.51.100.1"), 24) // EINVAL with a message
	routes[600].Gateway = netip.MustParseAddr("2001:db8::1")                    // refused here
	routes[n-1].Gateway = netip.MustParseAddr("203.0.113.1")                    // ENETUNREACH, the very last
	errs := make([]error, n)
	require.NoError(t, c.RouteAddBatch(ctx, routes, errs))
	for i, err := range errs {
		switch i {
		case 10:
			require.ErrorIs(t, err, fs.ErrExist)
			require.EqualError(t, err, "route add 198.18.0.9: file exists")
		case 127:
			require.ErrorIs(t, err, unix.ENODEV)
		case 500:
			require.ErrorContains(t, err, "Invalid prefix for given prefix length")
		case 600:
			require.ErrorIs(t, err, errRouteFamily)
		case n - 1:
			require.ErrorIs(t, err, unix.ENETUNREACH)
		default:
			require.NoError(t, err, "route %d", i)
		}
	}
	got, err := c.Routes(ctx, &RouteFilter{Family: FamilyInet, Protocol: ProtocolStatic})
	require.NoError(t, err)
	require.Len(t, got, n-5)
	out := nstest.Cmd(t, ns, "ip", "route", "show", "proto", "static")
	require.Equal(t, n-5, strings.Count(out, "\n"))

	// With errs nil the first error comes back.
	err = c.RouteAddBatch(ctx, routes[:20], nil)
	require.ErrorIs(t, err, fs.ErrExist)
	require.EqualError(t, err, "route add 198.18.0.0: file exists")

	// Delete them in a batch.
	dels := slices.Clone(routes[:300])
	errs = make([]error, len(dels))
	require.NoError(t, c.RouteDelBatch(ctx, dels, errs))
	for i, err := range errs {
		if i == 10 || i == 127 {
			require.ErrorIs(t, err, unix.ESRCH, "route %d", i)
			continue
		}
		require.NoError(t, err, "route %d", i)
	}
	require.Equal(t, n-5-298, strings.Count(nstest.Cmd(t, ns, "ip", "route", "show", "proto", "static"), "\n"))

	// Errors need room for every route.
	require.ErrorContains(t, c.RouteAddBatch(ctx, routes, make([]error, 3)), "errs holds 3 entries for 1000 routes")
	// The Conn still works.
	_, err = c.RouteGet(ctx, netip.MustParseAddr("198.18.3.1"), nil)
	require.NoError(t, err)
	require.Zero(t, c.Core().Stats().Unexpected)
}

// TestRouteCapture records the kernel's route messages into
// testdata/route_dump.hex when NLKIT_CAPTURE=1 (as root); the fuzz targets
// and the decode test read them.
func TestRouteCapture(t *testing.T) {
	if os.Getenv("NLKIT_CAPTURE") != "1" {
		t.Skip("set NLKIT_CAPTURE=1 to record testdata/route_dump.hex")
	}
	c, ns, _ := routeTestSetup(t)
	for _, args := range routeTestIPRoutes {
		nstest.Cmd(t, ns, "ip", args...)
	}
	nstest.Cmd(t, ns, "ip", "-6", "route", "add", "2001:db8:5::/64", "via", "2001:db8::2", "expires", "100")
	lines := []string{
		"# route_dump: RTM_GETROUTE dump (all families, all tables) from " + addrTestUname() + " after",
		"# `ip route add` of each route in routeTestIPRoutes (route_linux_test.go) and an expiring IPv6 route,",
		"# then the answer to `ip route get 198.51.100.7`.",
		"# One whole netlink message a line, in hex. Recorded by NLKIT_CAPTURE=1 go test -run TestRouteCapture.",
	}
	for m, err := range c.Core().Dump(context.Background(), (*RouteFilter)(nil).request()) {
		require.NoError(t, err)
		raw, err := m.MarshalBinary()
		require.NoError(t, err)
		lines = append(lines, fmt.Sprintf("%x", raw))
	}
	b := []byte{unix.AF_INET, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	b = routeAttrAddr(b, unix.RTA_DST, netip.MustParseAddr("198.51.100.7"))
	msgs, err := c.Core().Execute(context.Background(), request(unix.RTM_GETROUTE, 0, b))
	if err != nil && !errors.Is(err, unix.ENETUNREACH) {
		require.NoError(t, err)
	}
	for _, m := range msgs {
		raw, _ := m.MarshalBinary()
		lines = append(lines, fmt.Sprintf("%x", raw))
	}
	require.NoError(t, os.WriteFile("testdata/route_dump.hex", []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}
