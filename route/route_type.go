package route

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RouteType is a route's type (rtm_type, RTN_*).
type RouteType uint8

// The route types of rtnetlink.h.
const (
	RouteTypeUnspec      RouteType = unix.RTN_UNSPEC
	RouteTypeUnicast     RouteType = unix.RTN_UNICAST
	RouteTypeLocal       RouteType = unix.RTN_LOCAL
	RouteTypeBroadcast   RouteType = unix.RTN_BROADCAST
	RouteTypeAnycast     RouteType = unix.RTN_ANYCAST
	RouteTypeMulticast   RouteType = unix.RTN_MULTICAST
	RouteTypeBlackhole   RouteType = unix.RTN_BLACKHOLE
	RouteTypeUnreachable RouteType = unix.RTN_UNREACHABLE
	RouteTypeProhibit    RouteType = unix.RTN_PROHIBIT
	RouteTypeThrow       RouteType = unix.RTN_THROW
	RouteTypeNAT         RouteType = unix.RTN_NAT
	RouteTypeXResolve    RouteType = unix.RTN_XRESOLVE
)

var routeTypeNames = [...]string{
	RouteTypeUnspec: "unspec", RouteTypeUnicast: "unicast", RouteTypeLocal: "local",
	RouteTypeBroadcast: "broadcast", RouteTypeAnycast: "anycast", RouteTypeMulticast: "multicast",
	RouteTypeBlackhole: "blackhole", RouteTypeUnreachable: "unreachable", RouteTypeProhibit: "prohibit",
	RouteTypeThrow: "throw", RouteTypeNAT: "nat", RouteTypeXResolve: "xresolve",
}

// String names the type as ip(8) does ("unicast", "blackhole", ...).
func (t RouteType) String() string {
	if int(t) < len(routeTypeNames) {
		return routeTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// MarshalText makes JSON show the name, as `ip -j` does.
func (t RouteType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a name or a number.
func (t *RouteType) UnmarshalText(b []byte) error {
	v, err := ParseRouteType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseRouteType reads a route type name ("unicast", "local", "broadcast",
// "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw",
// "nat", "xresolve", "unspec") or a number.
func ParseRouteType(s string) (RouteType, error) {
	for i, n := range routeTypeNames {
		if strings.EqualFold(n, s) {
			return RouteType(i), nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("route: invalid route type %q", s)
	}
	return RouteType(v), nil
}

// RouteFlags are the rtm_flags of a route: the next-hop flags (RTNH_F_*,
// the low byte) and the route flags (RTM_F_*).
type RouteFlags uint32

// Route and next-hop flags.
const (
	RouteDead          RouteFlags = unix.RTNH_F_DEAD
	RoutePervasive     RouteFlags = unix.RTNH_F_PERVASIVE
	RouteOnLink        RouteFlags = unix.RTNH_F_ONLINK
	RouteOffload       RouteFlags = unix.RTNH_F_OFFLOAD
	RouteLinkDown      RouteFlags = unix.RTNH_F_LINKDOWN
	RouteUnresolved    RouteFlags = unix.RTNH_F_UNRESOLVED
	RouteTrap          RouteFlags = unix.RTNH_F_TRAP
	RouteNotify        RouteFlags = unix.RTM_F_NOTIFY
	RouteCloned        RouteFlags = unix.RTM_F_CLONED
	RouteEqualize      RouteFlags = unix.RTM_F_EQUALIZE
	RoutePrefix        RouteFlags = unix.RTM_F_PREFIX
	RouteLookupTable   RouteFlags = unix.RTM_F_LOOKUP_TABLE
	RouteFIBMatch      RouteFlags = unix.RTM_F_FIB_MATCH
	RouteRTOffload     RouteFlags = unix.RTM_F_OFFLOAD
	RouteRTTrap        RouteFlags = unix.RTM_F_TRAP
	RouteOffloadFailed RouteFlags = unix.RTM_F_OFFLOAD_FAILED
)

// routeFlagNames are the names ip(8) prints, in its order.
var routeFlagNames = [...]struct {
	f    RouteFlags
	name string
}{
	{RouteDead, "dead"}, {RouteOnLink, "onlink"}, {RoutePervasive, "pervasive"},
	{RouteOffload, "offload"}, {RouteTrap, "trap"}, {RouteNotify, "notify"},
	{RouteLinkDown, "linkdown"}, {RouteUnresolved, "unresolved"},
	{RouteRTOffload, "rt_offload"}, {RouteRTTrap, "rt_trap"}, {RouteOffloadFailed, "rt_offload_failed"},
	{RouteCloned, "cloned"}, {RouteEqualize, "equalize"}, {RoutePrefix, "prefix"},
	{RouteLookupTable, "lookup_table"}, {RouteFIBMatch, "fib_match"},
}

// Names lists the flags set, by the names ip(8) uses ("onlink",
// "linkdown", ...); unnamed bits print as hex.
func (f RouteFlags) Names() []string {
	var out []string
	rest := f
	for _, n := range routeFlagNames {
		if rest&n.f != 0 {
			out = append(out, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// String prints the flag names separated by commas.
func (f RouteFlags) String() string { return strings.Join(f.Names(), ",") }

// ParseRouteFlag reads one flag name as Names prints it.
func ParseRouteFlag(s string) (RouteFlags, error) {
	for _, n := range routeFlagNames {
		if strings.EqualFold(n.name, s) {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("route: invalid route flag %q", s)
}

// appendIPFlags appends the flags ip(8) shows on a route line (the
// next-hop flags and the RTM_F_OFFLOAD family; not the request-only ones).
func (f RouteFlags) appendText(b []byte) []byte {
	for _, n := range routeFlagNames[:11] {
		if f&n.f != 0 {
			b = append(b, ' ')
			b = append(b, n.name...)
		}
	}
	return b
}

// RoutePref is an IPv6 route preference (RTA_PREF, RFC 4191). The zero
// value means the route carries none.
type RoutePref uint8

// The preferences. The wire values differ (medium is 0 there); Unmarshal
// and Marshal translate.
const (
	RoutePrefUnset RoutePref = iota
	RoutePrefLow
	RoutePrefMedium
	RoutePrefHigh
)

// ICMPV6_ROUTER_PREF_* (linux/icmpv6.h).
const (
	routePrefWireMedium  = 0
	routePrefWireHigh    = 1
	routePrefWireInvalid = 2
	routePrefWireLow     = 3
)

func routePrefFromWire(v uint8) RoutePref {
	switch v {
	case routePrefWireLow:
		return RoutePrefLow
	case routePrefWireHigh:
		return RoutePrefHigh
	}
	return RoutePrefMedium
}

func (p RoutePref) wire() uint8 {
	switch p {
	case RoutePrefLow:
		return routePrefWireLow
	case RoutePrefHigh:
		return routePrefWireHigh
	}
	return routePrefWireMedium
}

// String names the preference as ip(8) does ("low", "medium", "high");
// unset is "".
func (p RoutePref) String() string {
	switch p {
	case RoutePrefLow:
		return "low"
	case RoutePrefMedium:
		return "medium"
	case RoutePrefHigh:
		return "high"
	case RoutePrefUnset:
		return ""
	}
	return strconv.Itoa(int(p))
}

// ParseRoutePref reads "low", "medium" or "high".
func ParseRoutePref(s string) (RoutePref, error) {
	switch strings.ToLower(s) {
	case "low":
		return RoutePrefLow, nil
	case "medium":
		return RoutePrefMedium, nil
	case "high":
		return RoutePrefHigh, nil
	}
	return 0, fmt.Errorf("route: invalid route preference %q", s)
}

// EncapType is a lightweight-tunnel encapsulation type (RTA_ENCAP_TYPE,
// LWTUNNEL_ENCAP_*).
type EncapType uint16

// The encapsulation types.
const (
	EncapNone      EncapType = unix.LWTUNNEL_ENCAP_NONE
	EncapMPLS      EncapType = unix.LWTUNNEL_ENCAP_MPLS
	EncapIP        EncapType = unix.LWTUNNEL_ENCAP_IP
	EncapILA       EncapType = unix.LWTUNNEL_ENCAP_ILA
	EncapIP6       EncapType = unix.LWTUNNEL_ENCAP_IP6
	EncapSeg6      EncapType = unix.LWTUNNEL_ENCAP_SEG6
	EncapBPF       EncapType = unix.LWTUNNEL_ENCAP_BPF
	EncapSeg6Local EncapType = unix.LWTUNNEL_ENCAP_SEG6_LOCAL
	EncapRPL       EncapType = unix.LWTUNNEL_ENCAP_RPL
	EncapIOAM6     EncapType = unix.LWTUNNEL_ENCAP_IOAM6
	EncapXFRM      EncapType = unix.LWTUNNEL_ENCAP_XFRM
)

var encapTypeNames = [...]string{
	EncapNone: "none", EncapMPLS: "mpls", EncapIP: "ip", EncapILA: "ila", EncapIP6: "ip6",
	EncapSeg6: "seg6", EncapBPF: "bpf", EncapSeg6Local: "seg6local", EncapRPL: "rpl",
	EncapIOAM6: "ioam6", EncapXFRM: "xfrm",
}

// String names the type as ip(8) does ("mpls", "seg6", ...).
func (t EncapType) String() string {
	if int(t) < len(encapTypeNames) {
		return encapTypeNames[t]
	}
	return strconv.Itoa(int(t))
}
