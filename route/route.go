package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Route is a routing table entry (RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE;
// libnl's rtnl_route, `ip route`).
//
// The zero value of most fields means "not set". Addresses are netip
// values, so decoding a route allocates nothing unless it has next hops
// (Nexthops), an encapsulation (Encap) or a congestion-control name
// (Metrics.CongestionControl).
type Route struct {
	// Family is the address family (inet, inet6). Marshal infers it from
	// the addresses when it is zero.
	Family Family
	// Type is the route type; Marshal sends unicast when it is zero
	// (unspec), except in a delete, where unspec matches any type.
	Type RouteType
	// Protocol is who installed the route (rtm_protocol).
	Protocol Protocol
	// Scope is the route's scope (rtm_scope).
	Scope Scope
	// TOS is the type-of-service selector (rtm_tos; dsfield for IPv4).
	TOS uint8
	// Pref is an IPv6 router preference (RTA_PREF).
	Pref RoutePref
	// HasUID says UID is set (see UID).
	HasUID bool
	// Flags are rtm_flags: RTNH_F_* (onlink, linkdown, ...) and RTM_F_*.
	Flags RouteFlags
	// Table is the routing table: rtm_table, or RTA_TABLE past 255.
	// 0 means main when adding.
	Table uint32

	// Dst is the destination prefix; 0.0.0.0/0 or ::/0 is the default
	// route. A zero Dst when marshalling means the default route.
	Dst netip.Prefix
	// Src is the source prefix of a source-specific (IPv6 "from") route,
	// or the "from" address of RouteGet's answer (RTA_SRC, rtm_src_len).
	Src netip.Prefix
	// Gateway is the next hop of the route's own family (RTA_GATEWAY).
	Gateway netip.Addr
	// Via is a next hop of another family than the route's, such as an
	// IPv6 gateway for an IPv4 route (RTA_VIA).
	Via netip.Addr
	// PrefSrc is the preferred source address (RTA_PREFSRC, ip's "src").
	PrefSrc netip.Addr
	// IIF is the input interface index (RTA_IIF).
	IIF uint32
	// OIF is the output interface index (RTA_OIF, ip's "dev").
	OIF uint32
	// Priority is the route's metric (RTA_PRIORITY, ip's "metric").
	Priority uint32
	// NHID is the ID of a nexthop object the route uses (RTA_NH_ID).
	NHID uint32
	// Metrics are the RTAX_* values of RTA_METRICS.
	Metrics RouteMetrics
	// Nexthops are the hops of a multipath route (RTA_MULTIPATH).
	Nexthops []RouteNexthop
	// Encap is a lightweight-tunnel encapsulation (RTA_ENCAP_TYPE and
	// RTA_ENCAP), nil when none.
	Encap *Encap
	// Expires is the lifetime to give an IPv6 route when adding it, whole
	// seconds (RTA_EXPIRES). The kernel reports what is left of it in
	// CacheInfo.Expires, not here; String and JSON show either.
	Expires time.Duration
	// CacheInfo is RTA_CACHEINFO: the kernel's usage figures (read only;
	// IPv6 routes and lookups carry it), nil when absent.
	CacheInfo *RouteCacheInfo
	// Mark is the firewall mark of a route lookup (RTA_MARK).
	Mark uint32
	// UID is the user ID of a route lookup (RTA_UID) when HasUID.
	UID uint32
	// Flow is the routing realms (RTA_FLOW).
	Flow uint32
}

// RouteCacheInfo is struct rta_cacheinfo. Times are in the kernel's clock
// ticks (USER_HZ, 100 a second) converted to durations.
type RouteCacheInfo struct {
	ClntRef uint32
	LastUse time.Duration
	Expires time.Duration
	Error   uint32
	Used    uint32
	ID      uint32
	TS      uint32
	TSAge   uint32
}

// routeAttrNHID is RTA_NH_ID (newer than x/sys/unix's list).
const routeAttrNHID = 30

// routeHeaderLen is the size of struct rtmsg.
const routeHeaderLen = unix.SizeofRtMsg

// routeTick is one USER_HZ clock tick.
const routeTick = 10 * time.Millisecond

// Unmarshal decodes an RTM_NEWROUTE/RTM_DELROUTE payload (struct rtmsg and
// the attributes) into r, replacing what r held. It never panics; unknown
// attributes are ignored.
func (r *Route) Unmarshal(data []byte) error {
	*r = Route{}
	return r.unmarshal(data, nil)
}

// unmarshal decodes into a zeroed r; hops, when not nil, is storage the
// next hops may reuse (the iterator's).
func (r *Route) unmarshal(data []byte, hops []RouteNexthop) error {
	if len(data) < routeHeaderLen {
		return fmt.Errorf("route: message of %d bytes, shorter than struct rtmsg (%d)", len(data), routeHeaderLen)
	}
	r.Family = Family(data[0])
	dstLen, srcLen := int(data[1]), int(data[2])
	r.TOS = data[3]
	r.Table = uint32(data[4])
	r.Protocol = Protocol(data[5])
	r.Scope = Scope(data[6])
	r.Type = RouteType(data[7])
	r.Flags = RouteFlags(binary.NativeEndian.Uint32(data[8:12]))
	var dst, src netip.Addr
	s := core.ScanAttrs(data[routeHeaderLen:])
	for s.Next() {
		a := s.Attr()
		switch a.Type {
		case unix.RTA_DST:
			dst = s.Addr()
		case unix.RTA_SRC:
			src = s.Addr()
		case unix.RTA_GATEWAY:
			r.Gateway = s.Addr()
		case unix.RTA_VIA:
			v, err := routeDecodeVia(a.Data)
			s.Fail(err)
			r.Via = v
		case unix.RTA_PREFSRC:
			r.PrefSrc = s.Addr()
		case unix.RTA_IIF:
			r.IIF = s.Uint32()
		case unix.RTA_OIF:
			r.OIF = s.Uint32()
		case unix.RTA_PRIORITY:
			r.Priority = s.Uint32()
		case unix.RTA_TABLE:
			r.Table = s.Uint32()
		case unix.RTA_METRICS:
			s.Fail(r.Metrics.unmarshal(a.Data))
		case unix.RTA_MULTIPATH:
			var err error
			r.Nexthops, err = routeDecodeMultipath(hops[:0], a.Data)
			s.Fail(err)
		case routeAttrNHID:
			r.NHID = s.Uint32()
		case unix.RTA_ENCAP_TYPE:
			t := EncapType(s.Uint16())
			if r.Encap == nil {
				r.Encap = &Encap{}
			}
			r.Encap.Type = t
		case unix.RTA_ENCAP:
			if r.Encap == nil {
				r.Encap = &Encap{}
			}
			r.Encap.raw = a.Data
		case unix.RTA_PREF:
			r.Pref = routePrefFromWire(s.Uint8())
		case unix.RTA_EXPIRES:
			r.Expires = time.Duration(s.Uint32()) * time.Second
		case unix.RTA_CACHEINFO:
			r.CacheInfo = &RouteCacheInfo{}
			s.Fail(r.CacheInfo.unmarshal(a.Data))
		case unix.RTA_MARK:
			r.Mark = s.Uint32()
		case unix.RTA_UID:
			r.UID, r.HasUID = s.Uint32(), true
		case unix.RTA_FLOW:
			r.Flow = s.Uint32()
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("route: %w", err)
	}
	if r.Encap != nil {
		if err := r.Encap.decode(); err != nil {
			return err
		}
	}
	var err error
	if r.Dst, err = routePrefix(r.Family, dst, dstLen, "destination"); err != nil {
		return err
	}
	if r.Src, err = routePrefix(r.Family, src, srcLen, "source"); err != nil {
		return err
	}
	return nil
}

// routePrefix makes the prefix of an RTA_DST/RTA_SRC address and its
// length; a missing address is the family's zero address (so the default
// route is 0.0.0.0/0). Families other than inet and inet6 (MPLS labels)
// have no prefix.
func routePrefix(f Family, a netip.Addr, bits int, what string) (netip.Prefix, error) {
	if !a.IsValid() {
		switch {
		case bits != 0:
			if f == FamilyInet || f == FamilyInet6 {
				return netip.Prefix{}, fmt.Errorf("route: %s length %d without an address", what, bits)
			}
			return netip.Prefix{}, nil
		case f == FamilyInet:
			if what == "source" {
				return netip.Prefix{}, nil
			}
			return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
		case f == FamilyInet6:
			if what == "source" {
				return netip.Prefix{}, nil
			}
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0), nil
		}
		return netip.Prefix{}, nil
	}
	p := netip.PrefixFrom(a, bits)
	if !p.IsValid() {
		return netip.Prefix{}, fmt.Errorf("route: %s length %d too long for %v", what, bits, a)
	}
	return p, nil
}

// routeDecodeVia reads struct rtvia: a u16 family and the address.
func routeDecodeVia(b []byte) (netip.Addr, error) {
	if len(b) < 2 {
		return netip.Addr{}, fmt.Errorf("RTA_VIA of %d bytes", len(b))
	}
	fam := binary.NativeEndian.Uint16(b)
	addr := b[2:]
	switch {
	case fam == unix.AF_INET && len(addr) == 4:
		return netip.AddrFrom4([4]byte(addr)), nil
	case fam == unix.AF_INET6 && len(addr) == 16:
		return netip.AddrFrom16([16]byte(addr)), nil
	}
	return netip.Addr{}, fmt.Errorf("RTA_VIA family %d with a %d-byte address", fam, len(addr))
}

func (c *RouteCacheInfo) unmarshal(b []byte) error {
	if len(b) < 32 {
		return fmt.Errorf("RTA_CACHEINFO of %d bytes, want 32", len(b))
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(b[4*i:]) }
	*c = RouteCacheInfo{
		ClntRef: u(0), LastUse: time.Duration(u(1)) * routeTick,
		Expires: time.Duration(int32(u(2))) * routeTick, Error: u(3), Used: u(4),
		ID: u(5), TS: u(6), TSAge: u(7),
	}
	return nil
}

// Errors Marshal returns for routes it cannot encode.
var (
	errRouteFamily = errors.New("route: addresses of different families (use Via for a gateway of another family)")
	errRouteWeight = errors.New("route: next-hop weight must be 1 to 256")
)

// family is r.Family or, when zero, the family of its addresses.
func (r *Route) family() Family {
	if r.Family != FamilyUnspec {
		return r.Family
	}
	for _, a := range [...]netip.Addr{r.Dst.Addr(), r.Src.Addr(), r.Gateway, r.PrefSrc} {
		if a.IsValid() {
			return routeAddrFamily(a)
		}
	}
	for i := range r.Nexthops {
		if a := r.Nexthops[i].Gateway; a.IsValid() {
			return routeAddrFamily(a)
		}
	}
	return FamilyUnspec
}

func routeAddrFamily(a netip.Addr) Family {
	if a.Is4() {
		return FamilyInet
	}
	return FamilyInet6
}

// Marshal appends the RTM_NEWROUTE payload of r (struct rtmsg and the
// attributes a request carries) to b. Read-only facts (CacheInfo, UID,
// the RTM_F_* flags other than the ones a request may carry) are left
// out. It refuses a route whose prefixes are invalid or whose addresses
// are of different families.
func (r *Route) Marshal(b []byte) ([]byte, error) {
	return r.marshal(b, r.Type)
}

func (r *Route) marshal(b []byte, typ RouteType) ([]byte, error) {
	fam := r.family()
	dst := r.Dst
	if !dst.IsValid() {
		if r.Dst != (netip.Prefix{}) {
			return b, fmt.Errorf("route: invalid destination prefix %v", r.Dst)
		}
		dst = netip.Prefix{}
	}
	if r.Src != (netip.Prefix{}) && !r.Src.IsValid() {
		return b, fmt.Errorf("route: invalid source prefix %v", r.Src)
	}
	if fam == FamilyInet || fam == FamilyInet6 {
		for _, a := range [...]netip.Addr{dst.Addr(), r.Src.Addr(), r.Gateway, r.PrefSrc} {
			if a.IsValid() && (routeAddrFamily(a) != fam || a.Is4In6()) {
				return b, errRouteFamily
			}
		}
	}
	table := r.Table
	hdrTable := uint8(0)
	if table < 256 {
		hdrTable = uint8(table)
	}
	start := len(b)
	b = append(b, uint8(fam), uint8(dst.Bits()), 0, r.TOS, hdrTable, uint8(r.Protocol), uint8(r.Scope), uint8(typ))
	if !dst.IsValid() {
		b[start+1] = 0
	}
	if r.Src.IsValid() {
		b[start+2] = uint8(r.Src.Bits())
	}
	b = binary.NativeEndian.AppendUint32(b, uint32(r.Flags))
	if table >= 256 {
		b = routeAttrU32(b, unix.RTA_TABLE, table)
	}
	if dst.IsValid() && dst.Bits() > 0 {
		b = routeAttrAddr(b, unix.RTA_DST, dst.Addr())
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		b = routeAttrAddr(b, unix.RTA_SRC, r.Src.Addr())
	}
	if r.Gateway.IsValid() {
		b = routeAttrAddr(b, unix.RTA_GATEWAY, r.Gateway)
	}
	if r.Via.IsValid() {
		b = routeAttrVia(b, r.Via)
	}
	if r.PrefSrc.IsValid() {
		b = routeAttrAddr(b, unix.RTA_PREFSRC, r.PrefSrc)
	}
	if r.IIF != 0 {
		b = routeAttrU32(b, unix.RTA_IIF, r.IIF)
	}
	if r.OIF != 0 {
		b = routeAttrU32(b, unix.RTA_OIF, r.OIF)
	}
	if r.Priority != 0 {
		b = routeAttrU32(b, unix.RTA_PRIORITY, r.Priority)
	}
	if r.NHID != 0 {
		b = routeAttrU32(b, routeAttrNHID, r.NHID)
	}
	if r.Flow != 0 {
		b = routeAttrU32(b, unix.RTA_FLOW, r.Flow)
	}
	if r.Mark != 0 {
		b = routeAttrU32(b, unix.RTA_MARK, r.Mark)
	}
	if r.Pref != RoutePrefUnset {
		b = append(b, 5, 0, unix.RTA_PREF, 0, r.Pref.wire(), 0, 0, 0)
	}
	if r.Expires > 0 {
		b = routeAttrU32(b, unix.RTA_EXPIRES, uint32(r.Expires/time.Second))
	}
	var err error
	if b, err = r.Metrics.appendAttr(b); err != nil {
		return b[:start], err
	}
	if b, err = r.Encap.appendAttrs(b); err != nil {
		return b[:start], err
	}
	if len(r.Nexthops) > 0 {
		if b, err = routeAppendMultipath(b, fam, r.Nexthops); err != nil {
			return b[:start], err
		}
	}
	return b, nil
}

// routeAttrU32 appends a u32 attribute.
func routeAttrU32(b []byte, typ uint16, v uint32) []byte {
	b = append(b, 8, 0, byte(typ), byte(typ>>8))
	return binary.NativeEndian.AppendUint32(b, v)
}

// routeAttrAddr appends an IPv4 or IPv6 address attribute.
func routeAttrAddr(b []byte, typ uint16, a netip.Addr) []byte {
	if a.Is4() {
		v := a.As4()
		return append(b, 8, 0, byte(typ), byte(typ>>8), v[0], v[1], v[2], v[3])
	}
	v := a.As16()
	b = append(b, 20, 0, byte(typ), byte(typ>>8))
	return append(b, v[:]...)
}

// routeAttrVia appends RTA_VIA (struct rtvia).
func routeAttrVia(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		v := a.As4()
		b = append(b, 10, 0, unix.RTA_VIA, 0)
		b = binary.NativeEndian.AppendUint16(b, unix.AF_INET)
		return append(b, v[0], v[1], v[2], v[3], 0, 0)
	}
	v := a.As16()
	b = append(b, 22, 0, unix.RTA_VIA, 0)
	b = binary.NativeEndian.AppendUint16(b, unix.AF_INET6)
	b = append(b, v[:]...)
	return append(b, 0, 0)
}

// routeNestStart opens a nested attribute in b; routeNestEnd writes its
// length.
func routeNestStart(b []byte, typ uint16) ([]byte, int) {
	return append(b, 0, 0, byte(typ), byte(typ>>8)), len(b)
}

func routeNestEnd(b []byte, at int, what string) ([]byte, error) {
	l := len(b) - at
	if l > 0xffff {
		return b[:at], fmt.Errorf("route: %s longer than 65535 bytes", what)
	}
	binary.NativeEndian.PutUint16(b[at:], uint16(l))
	return b, nil
}
