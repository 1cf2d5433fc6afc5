package route

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The NETCONFA_* attributes (linux/netconf.h).
const (
	netconfaIfindex                  = 1
	netconfaForwarding               = 2
	netconfaRPFilter                 = 3
	netconfaMCForwarding             = 4
	netconfaProxyNeigh               = 5
	netconfaIgnoreRoutesWithLinkdown = 6
	netconfaInput                    = 7
	netconfaBCForwarding             = 8
)

// The special ifindexes of netconf: the "all" and "default" settings.
const (
	NetconfIfindexAll     int32 = -1 // NETCONFA_IFINDEX_ALL
	NetconfIfindexDefault int32 = -2 // NETCONFA_IFINDEX_DEFAULT
)

// netconfHeaderLen is struct netconfmsg (one byte) padded to 4.
const netconfHeaderLen = 4

// NetconfAttrs says which settings a Netconf carries, one bit per
// NETCONFA_* attribute (1 << type).
type NetconfAttrs uint16

// The settings a Netconf may carry.
const (
	NetconfHasForwarding               NetconfAttrs = 1 << netconfaForwarding
	NetconfHasRPFilter                 NetconfAttrs = 1 << netconfaRPFilter
	NetconfHasMCForwarding             NetconfAttrs = 1 << netconfaMCForwarding
	NetconfHasProxyNeigh               NetconfAttrs = 1 << netconfaProxyNeigh
	NetconfHasIgnoreRoutesWithLinkdown NetconfAttrs = 1 << netconfaIgnoreRoutesWithLinkdown
	NetconfHasInput                    NetconfAttrs = 1 << netconfaInput
	NetconfHasBCForwarding             NetconfAttrs = 1 << netconfaBCForwarding
)

// Netconf is a link's (or the all/default) IP configuration as netconf
// reports it (RTM_NEWNETCONF, struct netconfmsg and NETCONFA_*), the
// values of /proc/sys/net/ipv4/conf/LINK/ and friends. Which settings
// are present depends on the family: Has says.
type Netconf struct {
	// Family is FamilyInet, FamilyInet6 or FamilyMPLS.
	Family Family
	// Ifindex is the link, or NetconfIfindexAll / NetconfIfindexDefault.
	Ifindex int32
	// Has says which of the settings below the kernel sent.
	Has NetconfAttrs
	// Forwarding, MCForwarding, ProxyNeigh, IgnoreRoutesWithLinkdown,
	// Input (MPLS) and BCForwarding are booleans as numbers (0 or 1).
	Forwarding, MCForwarding, ProxyNeigh, IgnoreRoutesWithLinkdown, Input, BCForwarding int32
	// RPFilter is the reverse path filter: 0 off, 1 strict, 2 loose.
	RPFilter int32
}

// Unmarshal decodes an RTM_NEWNETCONF payload into nc.
func (nc *Netconf) Unmarshal(data []byte) error {
	if len(data) < 1 {
		return roShort("netconfmsg", len(data), 1)
	}
	*nc = Netconf{Family: Family(data[0])}
	if len(data) < netconfHeaderLen {
		return nil
	}
	s := core.ScanAttrs(data[netconfHeaderLen:])
	for s.Next() {
		t := s.Type()
		if t == netconfaIfindex {
			nc.Ifindex = s.Int32()
			continue
		}
		var p *int32
		switch t {
		case netconfaForwarding:
			p = &nc.Forwarding
		case netconfaRPFilter:
			p = &nc.RPFilter
		case netconfaMCForwarding:
			p = &nc.MCForwarding
		case netconfaProxyNeigh:
			p = &nc.ProxyNeigh
		case netconfaIgnoreRoutesWithLinkdown:
			p = &nc.IgnoreRoutesWithLinkdown
		case netconfaInput:
			p = &nc.Input
		case netconfaBCForwarding:
			p = &nc.BCForwarding
		default:
			continue
		}
		*p = s.Int32()
		nc.Has |= 1 << t
	}
	return s.Err()
}

// netconfFields lists the settings in attribute order.
func (nc *Netconf) netconfFields() []struct {
	typ  uint16
	v    int32
	name string
} {
	return []struct {
		typ  uint16
		v    int32
		name string
	}{
		{netconfaForwarding, nc.Forwarding, "forwarding"},
		{netconfaRPFilter, nc.RPFilter, "rp_filter"},
		{netconfaMCForwarding, nc.MCForwarding, "mc_forwarding"},
		{netconfaBCForwarding, nc.BCForwarding, "bc_forwarding"},
		{netconfaProxyNeigh, nc.ProxyNeigh, "proxy_neigh"},
		{netconfaIgnoreRoutesWithLinkdown, nc.IgnoreRoutesWithLinkdown, "ignore_routes_with_linkdown"},
		{netconfaInput, nc.Input, "input"},
	}
}

// Marshal appends nc as the kernel sends it (netconfmsg, NETCONFA_IFINDEX
// and the settings Has names) to b. The kernel takes netconf only as
// reports; Marshal serves tests and tools that forge them.
func (nc *Netconf) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw([]byte{byte(nc.Family), 0, 0, 0})
	e.Int32(netconfaIfindex, nc.Ifindex)
	for _, f := range nc.netconfFields() {
		if nc.Has&(1<<f.typ) != 0 {
			e.Int32(f.typ, f.v)
		}
	}
	return append(b, e.Bytes()...), nil
}

// Equal reports whether nc and o are the same.
func (nc *Netconf) Equal(o *Netconf) bool { return *nc == *o }

// Diff names the fields that differ.
func (nc *Netconf) Diff(o *Netconf) []string {
	var d roDiffer
	d.add("Family", nc.Family != o.Family)
	d.add("Ifindex", nc.Ifindex != o.Ifindex)
	d.add("Has", nc.Has != o.Has)
	d.add("Forwarding", nc.Forwarding != o.Forwarding)
	d.add("RPFilter", nc.RPFilter != o.RPFilter)
	d.add("MCForwarding", nc.MCForwarding != o.MCForwarding)
	d.add("ProxyNeigh", nc.ProxyNeigh != o.ProxyNeigh)
	d.add("IgnoreRoutesWithLinkdown", nc.IgnoreRoutesWithLinkdown != o.IgnoreRoutesWithLinkdown)
	d.add("Input", nc.Input != o.Input)
	d.add("BCForwarding", nc.BCForwarding != o.BCForwarding)
	return d
}

// NetconfRPFilterName names a reverse-path-filter mode as ip(8) does.
func NetconfRPFilterName(v int32) string {
	switch v {
	case 0:
		return "off"
	case 1:
		return "strict"
	case 2:
		return "loose"
	}
	return "unknown mode"
}

// netconfInterface names the link as ip(8) does: "all", "default" or the
// name (ifN without names).
func netconfInterface(names func(int32) string, i int32) string {
	switch i {
	case NetconfIfindexAll:
		return "all"
	case NetconfIfindexDefault:
		return "default"
	}
	return roLinkName(names, i)
}

// String prints nc on one line like `ip netconf`:
// "inet veth0 forwarding off rp_filter strict mc_forwarding off ...".
func (nc *Netconf) String() string { return nc.Format(nil) }

// Format is String with link names from names (nil: ifN).
func (nc *Netconf) Format(names func(int32) string) string {
	var b strings.Builder
	b.WriteString(nc.Family.String() + " " + netconfInterface(names, nc.Ifindex))
	for _, f := range nc.netconfFields() {
		if nc.Has&(1<<f.typ) == 0 {
			continue
		}
		b.WriteString(" " + f.name + " ")
		switch {
		case f.typ == netconfaRPFilter:
			b.WriteString(NetconfRPFilterName(f.v))
		case f.v == 0:
			b.WriteString("off")
		case f.v == 1:
			b.WriteString("on")
		default:
			b.WriteString(strconv.Itoa(int(f.v)))
		}
	}
	return b.String()
}

// MarshalJSON prints nc with the names of `ip -j netconf`: family,
// interface ("all", "default") or ifindex, booleans, rp_filter as a
// word.
func (nc *Netconf) MarshalJSON() ([]byte, error) {
	var b []byte
	b = append(b, `{"family":`...)
	b = strconv.AppendQuote(b, nc.Family.String())
	switch nc.Ifindex {
	case NetconfIfindexAll, NetconfIfindexDefault:
		b = append(b, `,"interface":`...)
		b = strconv.AppendQuote(b, netconfInterface(nil, nc.Ifindex))
	default:
		b = append(b, `,"ifindex":`...)
		b = strconv.AppendInt(b, int64(nc.Ifindex), 10)
	}
	for _, f := range nc.netconfFields() {
		if nc.Has&(1<<f.typ) == 0 {
			continue
		}
		b = append(b, ',')
		b = strconv.AppendQuote(b, f.name)
		b = append(b, ':')
		if f.typ == netconfaRPFilter {
			b = strconv.AppendQuote(b, NetconfRPFilterName(f.v))
		} else {
			b = strconv.AppendBool(b, f.v != 0)
		}
	}
	b = append(b, '}')
	if !json.Valid(b) {
		return nil, &json.UnsupportedValueError{Str: "netconf"}
	}
	return b, nil
}

// netconfDumpRequest asks for the netconf of family (FamilyUnspec: all).
func netconfDumpRequest(family Family) core.Message {
	return request(unix.RTM_GETNETCONF, 0, []byte{byte(family), 0, 0, 0})
}

// NetconfIter lists the netconf entries of family (FamilyUnspec for all
// families) one at a time, into one reused value.
func (c *Conn) NetconfIter(ctx context.Context, family Family) iter.Seq2[*Netconf, error] {
	return roIter[Netconf](ctx, c, netconfDumpRequest(family), unix.RTM_NEWNETCONF, "netconf list", nil)
}

// Netconfs lists the netconf entries of family (FamilyUnspec for all
// families), like `ip netconf show`: one per link, then "all" and
// "default".
func (c *Conn) Netconfs(ctx context.Context, family Family) ([]Netconf, error) {
	return roList[Netconf](ctx, c, netconfDumpRequest(family), unix.RTM_NEWNETCONF, "netconf list", nil)
}

// Netconf gets the netconf of one link (or NetconfIfindexAll /
// NetconfIfindexDefault) in family (FamilyInet, FamilyInet6 or
// FamilyMPLS), like `ip netconf show dev LINK`.
func (c *Conn) Netconf(ctx context.Context, family Family, ifindex int32) (*Netconf, error) {
	var e core.AttrEncoder
	e.Raw([]byte{byte(family), 0, 0, 0})
	e.Int32(netconfaIfindex, ifindex)
	op := "netconf get " + family.String() + " " + netconfInterface(nil, ifindex)
	var nc Netconf
	if err := roGet[Netconf](ctx, c, request(unix.RTM_GETNETCONF, 0, e.Bytes()), unix.RTM_NEWNETCONF, op, &nc); err != nil {
		return nil, err
	}
	return &nc, nil
}
