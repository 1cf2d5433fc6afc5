package route

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Family is an address family as rtnetlink headers carry it (AF_*).
type Family uint8

// The address families route objects use.
const (
	FamilyUnspec Family = unix.AF_UNSPEC
	FamilyInet   Family = unix.AF_INET
	FamilyInet6  Family = unix.AF_INET6
	FamilyBridge Family = unix.AF_BRIDGE
	FamilyMPLS   Family = unix.AF_MPLS
	FamilyPacket Family = unix.AF_PACKET
)

var familyNames = map[Family]string{
	FamilyUnspec: "unspec", FamilyInet: "inet", FamilyInet6: "inet6",
	FamilyBridge: "bridge", FamilyMPLS: "mpls", FamilyPacket: "link",
}

// String names the family the way ip(8) does ("inet", "inet6", ...).
func (f Family) String() string {
	if s, ok := familyNames[f]; ok {
		return s
	}
	return strconv.Itoa(int(f))
}

// MarshalText makes JSON show the name.
func (f Family) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a name or a number.
func (f *Family) UnmarshalText(b []byte) error {
	v, err := ParseFamily(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFamily reads "inet", "inet6" (also "4", "6", "ipv4", "ipv6"),
// "bridge", "mpls", "link", "unspec" or a number.
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(s) {
	case "4", "ipv4", "ip":
		return FamilyInet, nil
	case "6", "ipv6":
		return FamilyInet6, nil
	}
	return parseName(familyNames, s, "address family")
}

// Scope is a route or address scope (RT_SCOPE_*).
type Scope uint8

// The scopes the kernel names.
const (
	ScopeUniverse Scope = unix.RT_SCOPE_UNIVERSE
	ScopeSite     Scope = unix.RT_SCOPE_SITE
	ScopeLink     Scope = unix.RT_SCOPE_LINK
	ScopeHost     Scope = unix.RT_SCOPE_HOST
	ScopeNowhere  Scope = unix.RT_SCOPE_NOWHERE
)

var scopeNames = map[Scope]string{
	ScopeUniverse: "global", ScopeSite: "site", ScopeLink: "link",
	ScopeHost: "host", ScopeNowhere: "nowhere",
}

// String names the scope as ip(8) shows it ("global", "link", "host", ...).
func (s Scope) String() string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return strconv.Itoa(int(s))
}

// MarshalText makes JSON show the name, as `ip -j` does.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name or a number.
func (s *Scope) UnmarshalText(b []byte) error {
	v, err := ParseScope(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseScope reads a scope name ("global" or "universe", "site", "link",
// "host", "nowhere") or a number.
func ParseScope(s string) (Scope, error) {
	if strings.EqualFold(s, "universe") {
		return ScopeUniverse, nil
	}
	return parseName(scopeNames, s, "scope")
}

// Protocol is the origin of a route or address (RTPROT_*, IFAPROT_*).
type Protocol uint8

// The route protocols of rtnetlink.h.
const (
	ProtocolUnspec   Protocol = unix.RTPROT_UNSPEC
	ProtocolRedirect Protocol = unix.RTPROT_REDIRECT
	ProtocolKernel   Protocol = unix.RTPROT_KERNEL
	ProtocolBoot     Protocol = unix.RTPROT_BOOT
	ProtocolStatic   Protocol = unix.RTPROT_STATIC
	ProtocolRA       Protocol = unix.RTPROT_RA
	ProtocolDHCP     Protocol = unix.RTPROT_DHCP
	ProtocolBird     Protocol = unix.RTPROT_BIRD
	ProtocolBGP      Protocol = unix.RTPROT_BGP
	ProtocolISIS     Protocol = unix.RTPROT_ISIS
	ProtocolOSPF     Protocol = unix.RTPROT_OSPF
	ProtocolRIP      Protocol = unix.RTPROT_RIP
	ProtocolEIGRP    Protocol = unix.RTPROT_EIGRP
)

var protocolNames = map[Protocol]string{
	ProtocolUnspec: "unspec", ProtocolRedirect: "redirect", ProtocolKernel: "kernel",
	ProtocolBoot: "boot", ProtocolStatic: "static", 8: "gated", ProtocolRA: "ra",
	10: "mrt", 11: "zebra", ProtocolBird: "bird", 13: "dnrouted", 14: "xorp",
	15: "ntk", ProtocolDHCP: "dhcp", 17: "mrouted", 18: "keepalived",
	42: "babel", 99: "openr", ProtocolBGP: "bgp", ProtocolISIS: "isis",
	ProtocolOSPF: "ospf", ProtocolRIP: "rip", ProtocolEIGRP: "eigrp",
}

// String names the protocol as ip(8) does ("kernel", "boot", "static", ...).
func (p Protocol) String() string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// MarshalText makes JSON show the name, as `ip -j` does.
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a name or a number.
func (p *Protocol) UnmarshalText(b []byte) error {
	v, err := ParseProtocol(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParseProtocol reads a protocol name or a number.
func ParseProtocol(s string) (Protocol, error) { return parseName(protocolNames, s, "protocol") }

// The routing tables the kernel names (RT_TABLE_*). Tables above 255 are
// carried in RTA_TABLE / FRA_TABLE.
const (
	TableUnspec  uint32 = unix.RT_TABLE_UNSPEC
	TableCompat  uint32 = unix.RT_TABLE_COMPAT
	TableDefault uint32 = unix.RT_TABLE_DEFAULT
	TableMain    uint32 = unix.RT_TABLE_MAIN
	TableLocal   uint32 = unix.RT_TABLE_LOCAL
)

// TableName names a table as ip(8) does ("main", "local", "default", or
// the number).
func TableName(t uint32) string {
	switch t {
	case TableMain:
		return "main"
	case TableLocal:
		return "local"
	case TableDefault:
		return "default"
	case TableUnspec:
		return "unspec"
	}
	return strconv.FormatUint(uint64(t), 10)
}

// ParseTable reads "main", "local", "default", "all"/"unspec" (0) or a number.
func ParseTable(s string) (uint32, error) {
	switch strings.ToLower(s) {
	case "main":
		return TableMain, nil
	case "local":
		return TableLocal, nil
	case "default":
		return TableDefault, nil
	case "all", "unspec":
		return TableUnspec, nil
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("route: invalid table %q", s)
	}
	return uint32(v), nil
}

// parseName reads a name from names (case-insensitive) or a number that
// fits in T.
func parseName[T ~uint8](names map[T]string, s, what string) (T, error) {
	for v, n := range names {
		if strings.EqualFold(n, s) {
			return v, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("route: invalid %s %q", what, s)
	}
	return T(v), nil
}
