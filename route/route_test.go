package route

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// routeTestSamples are routes covering every attribute Marshal writes.
func routeTestSamples() []Route {
	gw := netip.MustParseAddr("192.0.2.2")
	return []Route{
		{Family: FamilyInet, Type: RouteTypeUnicast, Protocol: ProtocolStatic, Table: TableMain,
			Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: gw, OIF: 3, Priority: 5},
		{Family: FamilyInet, Type: RouteTypeUnicast, Protocol: ProtocolBoot, Table: 1000, Scope: ScopeLink, TOS: 0x10,
			Dst: netip.MustParsePrefix("0.0.0.0/0"), PrefSrc: netip.MustParseAddr("192.0.2.1"), OIF: 3, IIF: 2,
			Metrics: RouteMetrics{Lock: 1 << unix.RTAX_MTU, MTU: 1400, InitCWnd: 10, InitRWnd: 20, AdvMSS: 1300,
				Window: 1, RTT: 80, RTTVar: 40, SSThresh: 5, CWnd: 6, Reordering: 3, HopLimit: 64, Features: 1,
				RTOMin: 200, QuickAck: 1, FastOpenNoCookie: 1, CongestionControl: "cubic"},
			Mark: 7, Flow: 0x10002, Flags: RouteOnLink},
		{Family: FamilyInet, Type: RouteTypeUnicast, Table: TableMain, Dst: netip.MustParsePrefix("203.0.113.0/24"),
			Nexthops: []RouteNexthop{
				{Weight: 2, OIF: 3, Gateway: gw, Flags: RouteOnLink},
				{Weight: 256, OIF: 4, Via: netip.MustParseAddr("2001:db8::2"), Flow: 9,
					Encap: &Encap{Type: EncapMPLS, Labels: []uint32{100, 200}, TTL: 9}},
			}},
		{Family: FamilyInet, Type: RouteTypeBlackhole, Table: TableMain, Dst: netip.MustParsePrefix("203.0.113.7/32")},
		{Family: FamilyInet, Type: RouteTypeUnicast, Table: TableMain, Dst: netip.MustParsePrefix("198.19.1.0/24"),
			Via: netip.MustParseAddr("2001:db8::2"), OIF: 3,
			Encap: &Encap{Type: EncapMPLS, Labels: []uint32{16, 1048575}}},
		{Family: FamilyInet, Type: RouteTypeUnicast, Table: TableMain, Dst: netip.MustParsePrefix("198.19.2.0/24"),
			NHID: 12},
		{Family: FamilyInet6, Type: RouteTypeUnicast, Table: TableMain, Protocol: ProtocolRA,
			Dst: netip.MustParsePrefix("2001:db8:1::/64"), Src: netip.MustParsePrefix("2001:db8:2::/64"),
			Gateway: netip.MustParseAddr("fe80::1"), OIF: 3, Priority: 1024, Pref: RoutePrefHigh,
			Expires: 100 * time.Second, Encap: &Encap{Type: EncapSeg6, Raw: []byte{8, 0, 1, 0, 5, 6, 7, 8}}},
		{Family: FamilyInet6, Type: RouteTypeLocal, Table: TableLocal, Dst: netip.MustParsePrefix("::1/128"), Pref: RoutePrefLow},
	}
}

// TestRouteRoundTrip marshals each sample and decodes it back.
func TestRouteRoundTrip(t *testing.T) {
	for _, r := range routeTestSamples() {
		b, err := r.Marshal(nil)
		require.NoError(t, err, "%v", &r)
		var back Route
		require.NoError(t, back.Unmarshal(b), "%v", &r)
		back.Expires = r.Expires // compared apart
		require.True(t, r.Equal(&back), "%v: %v\n%v", &r, r.Diff(&back), &back)
		require.Equal(t, r.Expires, back.Expires)
		require.Empty(t, r.Diff(&back))
	}
}

// TestRouteDecodeCapture decodes the kernel's own messages, checks a few
// lines as ip prints them, and that Marshal keeps every fact.
func TestRouteDecodeCapture(t *testing.T) {
	ms := readHexMessages(t, "route_dump.hex")
	require.NotEmpty(t, ms)
	var lines []string
	for _, m := range ms {
		if m.Header.Type != unix.RTM_NEWROUTE {
			continue
		}
		var r Route
		require.NoError(t, r.Unmarshal(m.Data))
		lines = append(lines, r.String())
		b, err := r.Marshal(nil)
		require.NoError(t, err)
		var back Route
		require.NoError(t, back.Unmarshal(b))
		back.UID, back.HasUID = r.UID, r.HasUID // a lookup's, not sent
		require.Empty(t, r.Diff(&back), "%v", &r)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"198.51.100.0/24 via 192.0.2.2 dev if3 proto static metric 5",
		"203.0.113.0/24 nexthop via 192.0.2.2 dev if3 weight 2 nexthop via 192.0.2.3 dev if3 weight 3",
		"blackhole 198.51.100.128/25 table 1000",
		"unreachable 203.0.113.7",
		"198.18.0.0/16 via 192.0.2.2 dev if3 src 192.0.2.1 mtu 1400 initcwnd 10",
		"198.19.1.0/24 via inet6 2001:db8::2 dev if3",
		"2001:db8:1::/64 via 2001:db8::2 dev if3 metric 10 pref high",
		"default via 192.0.2.254 dev if3 metric 100 mtu lock 1300 advmss 1200",
	} {
		require.Contains(t, all, want)
	}
	require.Regexp(t, `2001:db8:5::/64 via 2001:db8::2 dev if3 metric 1024 expires \d+sec pref medium`, all)
}

// TestRouteText checks String and JSON of hand-made routes.
func TestRouteText(t *testing.T) {
	s := routeTestSamples()
	require.Equal(t, "198.51.100.0/24 via 192.0.2.2 dev if3 proto static metric 5", s[0].String())
	require.Equal(t, "default tos 0x10 dev if3 table 1000 scope link src 192.0.2.1 onlink mark 0x7 iif if2 "+
		"mtu lock 1400 window 1 rtt 80 rttvar 40 ssthresh 5 cwnd 6 advmss 1300 reordering 3 hoplimit 64 initcwnd 10 "+
		"features 1 rto_min 200 initrwnd 20 quickack 1 fastopen_no_cookie 1 congctl cubic", s[1].String())
	require.Equal(t, "203.0.113.0/24 proto unspec nexthop via 192.0.2.2 dev if3 weight 2 onlink "+
		"nexthop encap mpls 100/200 ttl 9 via inet6 2001:db8::2 dev if4 weight 256", s[2].String())
	require.Equal(t, "blackhole 203.0.113.7 proto unspec", s[3].String())
	names := func(i uint32) string {
		if i == 3 {
			return "veth0"
		}
		return ""
	}
	require.Equal(t, "198.51.100.0/24 via 192.0.2.2 dev veth0 proto static metric 5", string(s[0].AppendText(nil, names)))

	b, err := json.Marshal(&s[2])
	require.NoError(t, err)
	require.JSONEq(t, `{"family":"inet","dst":"203.0.113.0/24","protocol":"unspec","flags":[],"nexthops":[
		{"gateway":"192.0.2.2","dev":"if3","weight":2,"flags":["onlink"]},
		{"via":{"family":"inet6","host":"2001:db8::2"},"dev":"if4","weight":256,"flags":[],
		 "encap":{"type":"mpls","labels":[100,200],"ttl":9}}]}`, string(b))
	b, err = json.Marshal(&s[1])
	require.NoError(t, err)
	require.JSONEq(t, `{"family":"inet","dst":"default","tos":"0x10","dev":"if3","table":"1000","scope":"link",
		"prefsrc":"192.0.2.1","flags":["onlink"],"mark":7,"iif":"if2","metrics":[{"mtu":1400,"window":1,"rtt":80,
		"rttvar":40,"ssthresh":5,"cwnd":6,"advmss":1300,"reordering":3,"hoplimit":64,"initcwnd":10,"features":1,
		"rto_min":200,"initrwnd":20,"quickack":1,"fastopen_no_cookie":1,"congctl":"cubic"}]}`, string(b))
	b, err = json.Marshal(&s[6])
	require.NoError(t, err)
	require.JSONEq(t, `{"family":"inet6","dst":"2001:db8:1::/64","from":"2001:db8:2::/64","encap":{"type":"seg6"},
		"gateway":"fe80::1","dev":"if3","protocol":"ra","metric":1024,"flags":[],"expires":100,"pref":"high"}`, string(b))
}

// TestRouteMarshalRefuses checks what Marshal will not encode.
func TestRouteMarshalRefuses(t *testing.T) {
	for _, tc := range []struct {
		r    Route
		want string
	}{
		{Route{Dst: netip.PrefixFrom(netip.MustParseAddr("198.51.100.0"), 33)}, "invalid destination prefix"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: netip.MustParseAddr("2001:db8::1")}, "different families"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Src: netip.PrefixFrom(netip.MustParseAddr("2001:db8::"), 200)}, "invalid source prefix"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Nexthops: []RouteNexthop{{Weight: 257}}}, "weight"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Nexthops: []RouteNexthop{{Gateway: netip.MustParseAddr("2001:db8::1")}}}, "different families"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Encap: &Encap{Type: EncapMPLS}}, "without labels"},
		{Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Encap: &Encap{Type: EncapMPLS, Labels: []uint32{1 << 20}}}, "out of range"},
	} {
		b, err := tc.r.Marshal([]byte{9})
		require.ErrorContains(t, err, tc.want)
		require.Equal(t, []byte{9}, b, "a refused route leaves b as it was")
	}
}

// TestRouteUnmarshalErrors feeds malformed messages.
func TestRouteUnmarshalErrors(t *testing.T) {
	var r Route
	require.ErrorContains(t, r.Unmarshal([]byte{2, 0}), "shorter than struct rtmsg")
	hdr := []byte{unix.AF_INET, 24, 0, 0, 254, 0, 0, 1, 0, 0, 0, 0}
	require.ErrorContains(t, r.Unmarshal(append(hdr[:12:12], 8, 0, unix.RTA_DST, 0, 1, 2)), "malformed")
	require.ErrorContains(t, r.Unmarshal(append(hdr[:12:12], 6, 0, unix.RTA_DST, 0, 1, 2, 0, 0)), "address")
	require.ErrorContains(t, r.Unmarshal(append(hdr[:12:12], 8, 0, unix.RTA_MULTIPATH, 0, 2, 0, 0, 0)), "RTA_MULTIPATH")
	h := append([]byte(nil), hdr...)
	h[1] = 40
	require.ErrorContains(t, r.Unmarshal(append(h, 8, 0, unix.RTA_DST, 0, 1, 2, 3, 4)), "too long")
	require.ErrorContains(t, r.Unmarshal(append(hdr[:12:12], 6, 0, unix.RTA_VIA, 0, 2, 0, 0, 0)), "RTA_VIA")
	require.ErrorContains(t, r.Unmarshal(append(hdr[:12:12],
		6, 0, unix.RTA_ENCAP_TYPE, 0, 1, 0, 0, 0, 8, 0, unix.RTA_ENCAP, 0, 5, 0, 1, 0)), "MPLS encap")
}

// TestRouteMPLSEncapBytes decodes an MPLS encapsulation from the bytes
// ip(8) sends for `encap mpls 100/200 ttl 5` (this kernel lacks MPLS, so
// they are written out here).
func TestRouteMPLSEncapBytes(t *testing.T) {
	raw := []byte{
		0x0c, 0x00, 0x01, 0x00, // MPLS_IPTUNNEL_DST, 8 bytes
		0x00, 0x06, 0x40, 0x00, // label 100, not bottom of stack
		0x00, 0x0c, 0x81, 0x00, // label 200, bottom of stack
		0x05, 0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, // MPLS_IPTUNNEL_TTL 5
	}
	labels, ttl, err := routeDecodeMPLSEncap(raw)
	require.NoError(t, err)
	require.Equal(t, []uint32{100, 200}, labels)
	require.Equal(t, uint8(5), ttl)
	e := &Encap{Type: EncapMPLS, Labels: labels, TTL: ttl}
	b, err := e.appendAttrs(nil)
	require.NoError(t, err)
	require.Equal(t, raw, b[4:4+len(raw)], "encoded as ip encodes it")
	require.Equal(t, []byte{6, 0, unix.RTA_ENCAP_TYPE, 0, 1, 0, 0, 0}, b[4+len(raw):])
}

// TestRouteTypeNames checks the name tables.
func TestRouteTypeNames(t *testing.T) {
	for _, n := range []string{"unicast", "local", "broadcast", "anycast", "multicast", "blackhole",
		"unreachable", "prohibit", "throw", "nat", "xresolve", "unspec", "42"} {
		v, err := ParseRouteType(n)
		require.NoError(t, err)
		require.Equal(t, n, v.String())
	}
	_, err := ParseRouteType("nope")
	require.ErrorContains(t, err, `invalid route type "nope"`)
	var rt RouteType
	require.NoError(t, json.Unmarshal([]byte(`"blackhole"`), &rt))
	require.Equal(t, RouteTypeBlackhole, rt)
	require.Equal(t, []string{"onlink", "linkdown", "0x10000000"}, (RouteOnLink | RouteLinkDown | 0x10000000).Names())
	f, err := ParseRouteFlag("onlink")
	require.NoError(t, err)
	require.Equal(t, RouteOnLink, f)
	for _, n := range []string{"low", "medium", "high"} {
		p, err := ParseRoutePref(n)
		require.NoError(t, err)
		require.Equal(t, n, p.String())
		require.Equal(t, p, routePrefFromWire(p.wire()))
	}
	tnum, err := ParseRouteMetric("initcwnd")
	require.NoError(t, err)
	require.Equal(t, unix.RTAX_INITCWND, tnum)
	var m RouteMetrics
	require.NoError(t, m.Set(tnum, 10))
	require.Equal(t, uint32(10), m.InitCWnd)
	require.Error(t, m.Set(unix.RTAX_CC_ALGO, 1))
	_, err = ParseRouteMetric("lock")
	require.Error(t, err)
}

// TestRouteRequestDefaults checks ip's defaults for zero fields.
func TestRouteRequestDefaults(t *testing.T) {
	dec := func(typ uint16, r Route) Route {
		b, err := routeRequestData(nil, typ, &r)
		require.NoError(t, err)
		var out Route
		require.NoError(t, out.Unmarshal(b))
		return out
	}
	p := netip.MustParsePrefix("198.51.100.0/24")
	r := dec(unix.RTM_NEWROUTE, Route{Dst: p, OIF: 3})
	require.Equal(t, []any{RouteTypeUnicast, ProtocolBoot, ScopeLink, TableMain}, []any{r.Type, r.Protocol, r.Scope, r.Table})
	r = dec(unix.RTM_NEWROUTE, Route{Dst: p, Gateway: netip.MustParseAddr("192.0.2.2")})
	require.Equal(t, ScopeUniverse, r.Scope)
	r = dec(unix.RTM_NEWROUTE, Route{Dst: p, Type: RouteTypeLocal})
	require.Equal(t, ScopeHost, r.Scope)
	r = dec(unix.RTM_NEWROUTE, Route{Dst: p, Type: RouteTypeBroadcast})
	require.Equal(t, ScopeLink, r.Scope)
	r = dec(unix.RTM_DELROUTE, Route{Dst: p})
	require.Equal(t, []any{RouteTypeUnspec, ProtocolUnspec, ScopeNowhere, TableMain}, []any{r.Type, r.Protocol, r.Scope, r.Table})
	require.Equal(t, "route add blackhole 198.51.100.0/24 table 1000", routeOpName("route add", &Route{Dst: p, Type: RouteTypeBlackhole, Table: 1000}))
	require.Equal(t, "route del default", routeOpName("route del", &Route{}))
}
