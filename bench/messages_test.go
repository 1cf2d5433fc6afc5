package bench

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// vethInfoPeer is VETH_INFO_PEER from linux/veth.h (not in x/sys/unix).
const vethInfoPeer = 1

// Interface indexes the setup asks the kernel for in the routes namespace
// (lo is always 1 in a fresh namespace).
const (
	loIndex    = 1
	gwIndex    = 2 // bench0: the routes point out of it
	gwPeerIdx  = 3 // bench1: its peer, up so bench0 has carrier
	routeTable = unix.RT_TABLE_MAIN
)

var (
	// gwLocal is bench0's address; gwAddr the gateway every bulk route uses.
	gwLocal = netip.MustParseAddr("192.0.2.1")
	gwAddr  = netip.MustParseAddr("192.0.2.2")
	// bulkBase is the first of the bulk /32 routes (198.18.0.0/15).
	bulkBase = netip.MustParseAddr("198.18.0.0")
)

// rtmsg is struct rtmsg.
type rtmsg struct {
	family, dstLen, srcLen, tos, table, protocol, scope, typ uint8
	flags                                                    uint32
}

func (r rtmsg) put(b *[unix.SizeofRtMsg]byte) {
	b[0], b[1], b[2], b[3] = r.family, r.dstLen, r.srcLen, r.tos
	b[4], b[5], b[6], b[7] = r.table, r.protocol, r.scope, r.typ
	binary.NativeEndian.PutUint32(b[8:], r.flags)
}

// ifinfomsg is struct ifinfomsg.
type ifinfomsg struct {
	family        uint8
	typ           uint16
	index         int32
	flags, change uint32
}

func (m ifinfomsg) put(b *[unix.SizeofIfInfomsg]byte) {
	*b = [unix.SizeofIfInfomsg]byte{}
	b[0] = m.family
	binary.NativeEndian.PutUint16(b[2:], m.typ)
	binary.NativeEndian.PutUint32(b[4:], uint32(m.index))
	binary.NativeEndian.PutUint32(b[8:], m.flags)
	binary.NativeEndian.PutUint32(b[12:], m.change)
}

// encodeRoute writes the payload of an RTM_NEWROUTE for dst/32 via gw out
// of interface oif into e: rtmsg, then RTA_TABLE, RTA_DST, RTA_GATEWAY,
// RTA_OIF, RTA_PRIORITY and an RTA_METRICS nest with RTAX_MTU, the shape
// `ip route add DST via GW dev DEV metric 1024 mtu 1400` sends.
func encodeRoute(e *core.AttrEncoder, dst, gw netip.Addr, oif uint32) {
	var h [unix.SizeofRtMsg]byte
	rtmsg{
		family: unix.AF_INET, dstLen: 32, table: routeTable,
		protocol: unix.RTPROT_STATIC, scope: unix.RT_SCOPE_UNIVERSE, typ: unix.RTN_UNICAST,
	}.put(&h)
	e.Raw(h[:])
	e.Uint32(unix.RTA_TABLE, routeTable)
	e.Addr(unix.RTA_DST, dst)
	e.Addr(unix.RTA_GATEWAY, gw)
	e.Uint32(unix.RTA_OIF, oif)
	e.Uint32(unix.RTA_PRIORITY, 1024)
	n := e.NestStart(unix.RTA_METRICS)
	e.Uint32(unix.RTAX_MTU, 1400)
	_ = e.NestEnd(n) // a few bytes: cannot pass 65535
}

// encodeVethPair writes the payload of an RTM_NEWLINK that makes a veth
// pair name/peer, down, with the given indexes (0: the kernel picks). The
// ends cannot be brought up in the same request: the kernel opens the peer
// before it is paired and refuses with ENOTCONN.
func encodeVethPair(e *core.AttrEncoder, name, peer string, index, peerIndex int32) {
	var h [unix.SizeofIfInfomsg]byte
	m := ifinfomsg{family: unix.AF_UNSPEC, index: index}
	m.put(&h)
	e.Raw(h[:])
	e.String(unix.IFLA_IFNAME, name)
	li := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	data := e.NestStart(unix.IFLA_INFO_DATA)
	p := e.NestStart(vethInfoPeer)
	m.index = peerIndex
	m.put(&h)
	e.Raw(h[:])
	e.String(unix.IFLA_IFNAME, peer)
	_ = e.NestEnd(p)
	_ = e.NestEnd(data)
	_ = e.NestEnd(li)
}

// setLinkUp is an RTM_NEWLINK that brings interface index up.
func setLinkUp(index int32) core.Message {
	var h [unix.SizeofIfInfomsg]byte
	ifinfomsg{family: unix.AF_UNSPEC, index: index, flags: unix.IFF_UP, change: unix.IFF_UP}.put(&h)
	return headerMessage(unix.RTM_NEWLINK, 0, h[:])
}

// linkDumpRequest is an RTM_GETLINK dump request (ifinfomsg, AF_UNSPEC).
func linkDumpRequest() core.Message {
	var h [unix.SizeofIfInfomsg]byte
	ifinfomsg{family: unix.AF_UNSPEC}.put(&h)
	return headerMessage(unix.RTM_GETLINK, core.FlagRequest|core.FlagDump, h[:])
}

// routeDumpRequest is an RTM_GETROUTE dump request for IPv4 (every table).
func routeDumpRequest() core.Message {
	var h [unix.SizeofRtMsg]byte
	rtmsg{family: unix.AF_INET}.put(&h)
	return headerMessage(unix.RTM_GETROUTE, core.FlagRequest|core.FlagDump, h[:])
}

// getLinkRequest is an RTM_GETLINK for one interface by index, with ACK.
func getLinkRequest(index int32) core.Message {
	var h [unix.SizeofIfInfomsg]byte
	ifinfomsg{family: unix.AF_UNSPEC, index: index}.put(&h)
	return headerMessage(unix.RTM_GETLINK, core.FlagRequest|core.FlagAck, h[:])
}

// headerMessage is a message of type typ with flags whose payload is a
// copy of the family header hdr.
func headerMessage(typ core.MessageType, flags core.HeaderFlags, hdr []byte) core.Message {
	return core.Message{
		Header: core.Header{Type: typ, Flags: flags},
		Data:   append([]byte(nil), hdr...),
	}
}

// wire encodes m with sequence number seq, as a raw loop sends it.
func wire(m core.Message, seq uint32) []byte {
	m.Header.Sequence = seq
	return core.AppendMessage(nil, m)
}

// Link attributes newer than x/sys/unix here (numbers from the kernel's
// include/uapi/linux/if_link.h).
const (
	iflaDevlinkPort             = 62
	iflaDPLLPin                 = 65
	iflaMaxPacingOffloadHorizon = 66
	iflaNetnsImmutable          = 67
	iflaHeadroom                = 68
	iflaTailroom                = 69
	iflaInetConf                = 1 // in IFLA_AF_SPEC > AF_INET
	iflaInet6Flags              = 1 // in IFLA_AF_SPEC > AF_INET6 ...
	iflaInet6Conf               = 2
	iflaInet6Stats              = 3
	iflaInet6CacheInfo          = 5
	iflaInet6ICMP6Stats         = 6
	iflaInet6Token              = 7
	iflaInet6AddrGenMode        = 8
)

// builtLinkMessage builds an RTM_NEWLINK payload (ifinfomsg and attributes)
// shaped like the kernel's answer for a down veth in a link dump: the
// attributes Linux 6.18 sends, in its order and with its payload sizes
// (BenchmarkAttrScan scans the kernel's own message beside it), so the
// scanner benchmark and the allocation test need no kernel.
func builtLinkMessage() []byte {
	var e core.AttrEncoder
	var h [unix.SizeofIfInfomsg]byte
	ifinfomsg{family: unix.AF_UNSPEC, typ: unix.ARPHRD_ETHER, index: 42, flags: unix.IFF_BROADCAST | unix.IFF_MULTICAST}.put(&h)
	e.Raw(h[:])
	e.String(unix.IFLA_IFNAME, "va1234")
	e.Uint32(unix.IFLA_TXQLEN, 1000)
	e.Uint8(unix.IFLA_OPERSTATE, 2)
	e.Uint8(unix.IFLA_LINKMODE, 0)
	e.Uint8(iflaNetnsImmutable, 0)
	e.Uint32(unix.IFLA_MTU, 1500)
	e.Uint32(unix.IFLA_MIN_MTU, 68)
	e.Uint32(unix.IFLA_MAX_MTU, 65535)
	e.Uint32(unix.IFLA_GROUP, 0)
	e.Uint32(unix.IFLA_PROMISCUITY, 0)
	e.Uint32(unix.IFLA_ALLMULTI, 0)
	e.Uint32(unix.IFLA_NUM_TX_QUEUES, 2)
	e.Uint32(unix.IFLA_GSO_MAX_SEGS, 65535)
	e.Uint32(unix.IFLA_GSO_MAX_SIZE, 65536)
	e.Uint32(unix.IFLA_GRO_MAX_SIZE, 65536)
	e.Uint32(unix.IFLA_GSO_IPV4_MAX_SIZE, 65536)
	e.Uint32(unix.IFLA_GRO_IPV4_MAX_SIZE, 65536)
	e.Uint32(unix.IFLA_TSO_MAX_SIZE, 524280)
	e.Uint32(unix.IFLA_TSO_MAX_SEGS, 65535)
	e.Uint32(iflaMaxPacingOffloadHorizon, 0)
	e.Uint32(unix.IFLA_NUM_RX_QUEUES, 2)
	e.Uint8(unix.IFLA_CARRIER, 0)
	e.Uint32(unix.IFLA_CARRIER_CHANGES, 0)
	e.Uint32(unix.IFLA_CARRIER_UP_COUNT, 0)
	e.Uint32(unix.IFLA_CARRIER_DOWN_COUNT, 0)
	e.Uint16(iflaHeadroom, 0)
	e.Uint16(iflaTailroom, 0)
	e.Uint8(unix.IFLA_PROTO_DOWN, 0)
	e.Binary(unix.IFLA_ADDRESS, []byte{0x02, 0x42, 0xac, 0x11, 0x00, 0x02})
	e.Binary(unix.IFLA_BROADCAST, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	e.Binary(unix.IFLA_STATS64, make([]byte, 200))
	e.Binary(unix.IFLA_STATS, make([]byte, 96))
	x := e.NestStart(unix.IFLA_XDP)
	e.Uint8(unix.IFLA_XDP_ATTACHED, 0)
	_ = e.NestEnd(x)
	li := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	_ = e.NestEnd(li)
	e.Uint32(unix.IFLA_LINK, 43)
	e.String(unix.IFLA_QDISC, "noop")
	af := e.NestStart(unix.IFLA_AF_SPEC)
	in := e.NestStart(unix.AF_INET)
	e.Binary(iflaInetConf, make([]byte, 132))
	_ = e.NestEnd(in)
	in6 := e.NestStart(unix.AF_INET6)
	e.Uint32(iflaInet6Flags, 0)
	e.Binary(iflaInet6CacheInfo, make([]byte, 16))
	e.Binary(iflaInet6Conf, make([]byte, 240))
	e.Binary(iflaInet6Stats, make([]byte, 304))
	e.Binary(iflaInet6ICMP6Stats, make([]byte, 56))
	e.Binary(iflaInet6Token, make([]byte, 16))
	e.Uint8(iflaInet6AddrGenMode, 0)
	_ = e.NestEnd(in6)
	_ = e.NestEnd(af)
	e.Binary(unix.IFLA_MAP, make([]byte, 32))
	e.Flag(iflaDevlinkPort | core.AttrNested)
	e.Flag(iflaDPLLPin | core.AttrNested)
	return append([]byte(nil), e.Bytes()...)
}
