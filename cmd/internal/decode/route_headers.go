package decode

import (
	"encoding/binary"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// routeObject is one kind of NETLINK_ROUTE object: its family header and
// attribute names.
type routeObject struct {
	hdrLen int
	attrs  table
	header func(b []byte) any // decodes the family header for JSON
}

var (
	linkObject = routeObject{unix.SizeofIfInfomsg, linkAttrs, linkHeader}
	addrObject = routeObject{unix.SizeofIfAddrmsg, addrAttrs, addrHeader}
	rtObject   = routeObject{unix.SizeofRtMsg, routeAttrs, routeHeader}
)

// routeObjectOf returns the object kind of message type t, or nil when
// this package has no attribute names for it.
func routeObjectOf(t core.MessageType) *routeObject {
	switch t {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK, unix.RTM_GETLINK, unix.RTM_SETLINK:
		return &linkObject
	case unix.RTM_NEWADDR, unix.RTM_DELADDR, unix.RTM_GETADDR:
		return &addrObject
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE, unix.RTM_GETROUTE:
		return &rtObject
	}
	return nil
}

// LinkHeader is struct ifinfomsg, decoded.
type LinkHeader struct {
	Family string   `json:"family"`
	Type   string   `json:"link_type"`
	Index  int32    `json:"ifindex"`
	Flags  []string `json:"flags"`
	Change uint32   `json:"change,omitempty"`
}

// AddrHeader is struct ifaddrmsg, decoded.
type AddrHeader struct {
	Family    string   `json:"family"`
	PrefixLen uint8    `json:"prefixlen"`
	Flags     []string `json:"flags"`
	Scope     string   `json:"scope"`
	Index     uint32   `json:"ifindex"`
}

// RouteHeader is struct rtmsg, decoded.
type RouteHeader struct {
	Family   string   `json:"family"`
	DstLen   uint8    `json:"dst_len"`
	SrcLen   uint8    `json:"src_len"`
	TOS      uint8    `json:"tos"`
	Table    string   `json:"table"`
	Protocol string   `json:"protocol"`
	Scope    string   `json:"scope"`
	Type     string   `json:"type"`
	Flags    []string `json:"flags"`
}

func linkHeader(b []byte) any {
	return LinkHeader{
		Family: route.Family(b[0]).String(),
		Type:   linkTypeName(binary.NativeEndian.Uint16(b[2:])),
		Index:  int32(binary.NativeEndian.Uint32(b[4:])),
		Flags:  bitNames(binary.NativeEndian.Uint32(b[8:]), ifFlagNames),
		Change: binary.NativeEndian.Uint32(b[12:]),
	}
}

func addrHeader(b []byte) any {
	return AddrHeader{
		Family:    route.Family(b[0]).String(),
		PrefixLen: b[1],
		Flags:     bitNames(uint32(b[2]), addrFlagNames),
		Scope:     route.Scope(b[3]).String(),
		Index:     binary.NativeEndian.Uint32(b[4:]),
	}
}

func routeHeader(b []byte) any {
	return RouteHeader{
		Family:   route.Family(b[0]).String(),
		DstLen:   b[1],
		SrcLen:   b[2],
		TOS:      b[3],
		Table:    TableName(uint32(b[4])),
		Protocol: ProtocolName(b[5]),
		Scope:    route.Scope(b[6]).String(),
		Type:     RouteTypeName(b[7]),
		Flags:    bitNames(binary.NativeEndian.Uint32(b[8:]), routeFlagNames),
	}
}

type bitName struct {
	bit  uint32
	name string
}

// bitNames names the set bits of v; bits without a name print in hex.
func bitNames(v uint32, names []bitName) []string {
	out := []string{}
	for _, n := range names {
		if v&n.bit != 0 {
			out = append(out, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(v), 16))
	}
	return out
}

// ifFlagNames names the IFF_* link flags, as `ip link` prints them.
var ifFlagNames = []bitName{
	{unix.IFF_UP, "UP"}, {unix.IFF_BROADCAST, "BROADCAST"}, {unix.IFF_DEBUG, "DEBUG"},
	{unix.IFF_LOOPBACK, "LOOPBACK"}, {unix.IFF_POINTOPOINT, "POINTOPOINT"},
	{unix.IFF_NOTRAILERS, "NOTRAILERS"}, {unix.IFF_RUNNING, "RUNNING"}, {unix.IFF_NOARP, "NOARP"},
	{unix.IFF_PROMISC, "PROMISC"}, {unix.IFF_ALLMULTI, "ALLMULTI"}, {unix.IFF_MASTER, "MASTER"},
	{unix.IFF_SLAVE, "SLAVE"}, {unix.IFF_MULTICAST, "MULTICAST"}, {unix.IFF_PORTSEL, "PORTSEL"},
	{unix.IFF_AUTOMEDIA, "AUTOMEDIA"}, {unix.IFF_DYNAMIC, "DYNAMIC"}, {unix.IFF_LOWER_UP, "LOWER_UP"},
	{unix.IFF_DORMANT, "DORMANT"}, {unix.IFF_ECHO, "ECHO"},
}

// addrFlagNames names the IFA_F_* address flags, as `ip addr` prints them.
var addrFlagNames = []bitName{
	{unix.IFA_F_SECONDARY, "secondary"}, {unix.IFA_F_NODAD, "nodad"},
	{unix.IFA_F_OPTIMISTIC, "optimistic"}, {unix.IFA_F_DADFAILED, "dadfailed"},
	{unix.IFA_F_HOMEADDRESS, "home"}, {unix.IFA_F_DEPRECATED, "deprecated"},
	{unix.IFA_F_TENTATIVE, "tentative"}, {unix.IFA_F_PERMANENT, "permanent"},
	{unix.IFA_F_MANAGETEMPADDR, "mngtmpaddr"}, {unix.IFA_F_NOPREFIXROUTE, "noprefixroute"},
	{unix.IFA_F_MCAUTOJOIN, "autojoin"}, {unix.IFA_F_STABLE_PRIVACY, "stable-privacy"},
}

// AddrFlagNames names the IFA_F_* bits of an address's flags (the
// ifaddrmsg byte or the wider IFA_FLAGS attribute).
func AddrFlagNames(v uint32) []string { return bitNames(v, addrFlagNames) }

// LinkFlagNames names the IFF_* bits of a link's flags.
func LinkFlagNames(v uint32) []string { return bitNames(v, ifFlagNames) }

// routeFlagNames names the RTM_F_* and RTNH_F_* route flags.
var routeFlagNames = []bitName{
	{unix.RTNH_F_DEAD, "dead"}, {unix.RTNH_F_PERVASIVE, "pervasive"}, {unix.RTNH_F_ONLINK, "onlink"},
	{unix.RTNH_F_OFFLOAD, "offload"}, {unix.RTNH_F_LINKDOWN, "linkdown"},
	{unix.RTNH_F_UNRESOLVED, "unresolved"}, {unix.RTNH_F_TRAP, "trap"},
	{unix.RTM_F_NOTIFY, "notify"}, {unix.RTM_F_CLONED, "cloned"}, {unix.RTM_F_EQUALIZE, "equalize"},
	{unix.RTM_F_PREFIX, "prefix"}, {unix.RTM_F_LOOKUP_TABLE, "lookup_table"},
	{unix.RTM_F_FIB_MATCH, "fib_match"}, {unix.RTM_F_OFFLOAD, "rt_offload"},
	{unix.RTM_F_TRAP, "rt_trap"}, {unix.RTM_F_OFFLOAD_FAILED, "rt_offload_failed"},
}

func linkTypeName(t uint16) string {
	switch t {
	case unix.ARPHRD_ETHER:
		return "ether"
	case unix.ARPHRD_LOOPBACK:
		return "loopback"
	case unix.ARPHRD_NONE:
		return "none"
	case unix.ARPHRD_VOID:
		return "void"
	case unix.ARPHRD_IPGRE:
		return "gre"
	case unix.ARPHRD_TUNNEL:
		return "ipip"
	case unix.ARPHRD_SIT:
		return "sit"
	}
	return strconv.Itoa(int(t))
}

// TableName names a routing table as ip does ("main", "local").
func TableName(t uint32) string {
	switch t {
	case unix.RT_TABLE_UNSPEC:
		return "unspec"
	case unix.RT_TABLE_COMPAT:
		return "compat"
	case unix.RT_TABLE_DEFAULT:
		return "default"
	case unix.RT_TABLE_MAIN:
		return "main"
	case unix.RT_TABLE_LOCAL:
		return "local"
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ProtocolName names a route's protocol (who installed it) as ip does.
func ProtocolName(p uint8) string {
	switch p {
	case unix.RTPROT_UNSPEC:
		return "unspec"
	case unix.RTPROT_REDIRECT:
		return "redirect"
	case unix.RTPROT_KERNEL:
		return "kernel"
	case unix.RTPROT_BOOT:
		return "boot"
	case unix.RTPROT_STATIC:
		return "static"
	case unix.RTPROT_RA:
		return "ra"
	case unix.RTPROT_DHCP:
		return "dhcp"
	}
	return strconv.Itoa(int(p))
}

// RouteTypeName names a route type as ip does ("unicast", "local").
func RouteTypeName(t uint8) string {
	switch t {
	case unix.RTN_UNSPEC:
		return "none"
	case unix.RTN_UNICAST:
		return "unicast"
	case unix.RTN_LOCAL:
		return "local"
	case unix.RTN_BROADCAST:
		return "broadcast"
	case unix.RTN_ANYCAST:
		return "anycast"
	case unix.RTN_MULTICAST:
		return "multicast"
	case unix.RTN_BLACKHOLE:
		return "blackhole"
	case unix.RTN_UNREACHABLE:
		return "unreachable"
	case unix.RTN_PROHIBIT:
		return "prohibit"
	case unix.RTN_THROW:
		return "throw"
	case unix.RTN_NAT:
		return "nat"
	case unix.RTN_XRESOLVE:
		return "xresolve"
	}
	return strconv.Itoa(int(t))
}
