package main

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Small rtnetlink request builders, core alone: a family header, then
// attributes from a core.AttrEncoder. The route module will replace them
// with typed objects.

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h): the peer's ifinfomsg and
// attributes, inside a veth's IFLA_INFO_DATA.
const vethInfoPeer = 1

// ifinfomsg encodes struct ifinfomsg.
func ifinfomsg(index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	binary.NativeEndian.PutUint32(b[8:], flags)
	binary.NativeEndian.PutUint32(b[12:], change)
	return b
}

// ifaddrmsg encodes struct ifaddrmsg.
func ifaddrmsg(family, prefixLen, scope uint8, index int32) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1], b[3] = family, prefixLen, scope
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	return b
}

// rtmsg encodes struct rtmsg.
func rtmsg(family, dstLen, table, protocol, scope, typ uint8) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0], b[1], b[4], b[5], b[6], b[7] = family, dstLen, table, protocol, scope, typ
	return b
}

// family is the address family of a.
func family(a netip.Addr) uint8 {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// newLinkRequest asks for a link named name of kind; peer, when not
// empty, names a veth's other end.
func newLinkRequest(e *core.AttrEncoder, name, kind, peer string) core.Message {
	e.Reset()
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(unix.IFLA_IFNAME, name)
	info := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, kind)
	if peer != "" {
		data := e.NestStart(unix.IFLA_INFO_DATA)
		p := e.NestStart(vethInfoPeer)
		e.Raw(ifinfomsg(0, 0, 0))
		e.String(unix.IFLA_IFNAME, peer)
		e.NestEnd(p)
		e.NestEnd(data)
	}
	e.NestEnd(info)
	return core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}
}

// getLinkRequest asks for the link named name.
func getLinkRequest(e *core.AttrEncoder, name string) core.Message {
	e.Reset()
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(unix.IFLA_IFNAME, name)
	return core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: e.Bytes()}
}

// setLinkUpRequest brings link index up and, when master is not 0, makes
// it a port of master.
func setLinkUpRequest(e *core.AttrEncoder, index, master int32) core.Message {
	e.Reset()
	e.Raw(ifinfomsg(index, unix.IFF_UP, unix.IFF_UP))
	if master != 0 {
		e.Uint32(unix.IFLA_MASTER, uint32(master))
	}
	return core.Message{Header: core.Header{Type: unix.RTM_SETLINK}, Data: e.Bytes()}
}

// newAddrRequest adds prefix's address to link index. IPv6 addresses skip
// duplicate address detection, so they are usable at once.
func newAddrRequest(e *core.AttrEncoder, prefix netip.Prefix, index int32) core.Message {
	e.Reset()
	a := prefix.Addr()
	e.Raw(ifaddrmsg(family(a), uint8(prefix.Bits()), unix.RT_SCOPE_UNIVERSE, index))
	e.Addr(unix.IFA_LOCAL, a)
	e.Addr(unix.IFA_ADDRESS, a)
	if a.Is6() {
		e.Uint32(unix.IFA_FLAGS, unix.IFA_F_NODAD)
	}
	return core.Message{
		Header: core.Header{Type: unix.RTM_NEWADDR, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}
}

// newRouteRequest adds a static unicast route to dst via gw out of link
// index, in table.
func newRouteRequest(e *core.AttrEncoder, dst netip.Prefix, gw netip.Addr, index int32, table uint32) core.Message {
	e.Reset()
	hdrTable := uint8(unix.RT_TABLE_UNSPEC)
	if table < 256 {
		hdrTable = uint8(table)
	}
	e.Raw(rtmsg(family(gw), uint8(dst.Bits()), hdrTable, unix.RTPROT_STATIC, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST))
	if dst.Bits() > 0 {
		e.Addr(unix.RTA_DST, dst.Addr())
	}
	e.Addr(unix.RTA_GATEWAY, gw)
	if index != 0 {
		e.Uint32(unix.RTA_OIF, uint32(index))
	}
	e.Uint32(unix.RTA_TABLE, table)
	return core.Message{
		Header: core.Header{Type: unix.RTM_NEWROUTE, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}
}

// dumpRequest asks for every object of type t; hdr is the family header
// (all zero: no filter).
func dumpRequest(t core.MessageType, hdrLen int) core.Message {
	return core.Message{Header: core.Header{Type: t}, Data: make([]byte, hdrLen)}
}

// linkIndex reads ifi_index from a link message.
func linkIndex(m core.Message) (int32, bool) {
	if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
		return 0, false
	}
	return int32(binary.NativeEndian.Uint32(m.Data[4:])), true
}
