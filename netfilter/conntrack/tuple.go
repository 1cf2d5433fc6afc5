package conntrack

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// IP protocol numbers the tuple code knows.
const (
	ProtoICMP    uint8 = 1
	ProtoTCP     uint8 = 6
	ProtoUDP     uint8 = 17
	ProtoDCCP    uint8 = 33
	ProtoGRE     uint8 = 47
	ProtoICMPv6  uint8 = 58
	ProtoSCTP    uint8 = 132
	ProtoUDPLite uint8 = 136
)

// Tuple is one direction of a flow (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY,
// CTA_TUPLE_MASTER, and the tuples of an expectation): addresses,
// protocol, ports or ICMP id/type/code, and the tuple's zone.
type Tuple struct {
	Src   netip.Addr `json:"src"`
	Dst   netip.Addr `json:"dst"`
	Proto uint8      `json:"protonum"`
	// SrcPort and DstPort are the ports of TCP, UDP, UDP-Lite, SCTP and
	// DCCP.
	SrcPort uint16 `json:"sport,omitempty"`
	DstPort uint16 `json:"dport,omitempty"`
	// ICMPID, ICMPType and ICMPCode are ICMP's or ICMPv6's (by Proto).
	ICMPID   uint16 `json:"id,omitempty"`
	ICMPType uint8  `json:"type,omitempty"`
	ICMPCode uint8  `json:"code,omitempty"`
	// Zone is CTA_TUPLE_ZONE, sent when HasZone.
	Zone    uint16 `json:"zone,omitempty"`
	HasZone bool   `json:"-"`
}

// IsZero reports whether t is the zero Tuple.
func (t *Tuple) IsZero() bool { return *t == Tuple{} }

// Family is unix.AF_INET or unix.AF_INET6 by the source (or destination)
// address, or 0 when neither is set.
func (t *Tuple) Family() uint8 {
	a := t.Src
	if !a.IsValid() {
		a = t.Dst
	}
	switch {
	case !a.IsValid():
		return 0
	case a.Is4():
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// Reverse returns the tuple seen from the other end: addresses and ports
// swapped, ICMP echo requests turned into replies.
func (t Tuple) Reverse() Tuple {
	r := t
	r.Src, r.Dst = t.Dst, t.Src
	r.SrcPort, r.DstPort = t.DstPort, t.SrcPort
	switch {
	case t.Proto == ProtoICMP && t.ICMPType == 8:
		r.ICMPType = 0
	case t.Proto == ProtoICMP && t.ICMPType == 0:
		r.ICMPType = 8
	case t.Proto == ProtoICMPv6 && t.ICMPType == 128:
		r.ICMPType = 129
	case t.Proto == ProtoICMPv6 && t.ICMPType == 129:
		r.ICMPType = 128
	}
	return r
}

func isICMP(p uint8) bool { return p == ProtoICMP || p == ProtoICMPv6 }

// hasPorts reports whether the protocol's tuple carries ports.
func hasPorts(p uint8) bool {
	switch p {
	case ProtoTCP, ProtoUDP, ProtoDCCP, ProtoSCTP, ProtoUDPLite:
		return true
	}
	return false
}

// String prints "src=192.0.2.1 dst=192.0.2.2 sport=40000 dport=53" as
// conntrack(8) prints a tuple.
func (t *Tuple) String() string { return string(t.appendText(nil)) }

func (t *Tuple) appendText(b []byte) []byte {
	b = append(b, "src="...)
	b = t.Src.AppendTo(b)
	b = append(b, " dst="...)
	b = t.Dst.AppendTo(b)
	switch {
	case isICMP(t.Proto):
		b = append(b, " type="...)
		b = strconv.AppendUint(b, uint64(t.ICMPType), 10)
		b = append(b, " code="...)
		b = strconv.AppendUint(b, uint64(t.ICMPCode), 10)
		b = append(b, " id="...)
		b = strconv.AppendUint(b, uint64(t.ICMPID), 10)
	case hasPorts(t.Proto):
		b = append(b, " sport="...)
		b = strconv.AppendUint(b, uint64(t.SrcPort), 10)
		b = append(b, " dport="...)
		b = strconv.AppendUint(b, uint64(t.DstPort), 10)
	}
	return b
}

// unmarshal decodes a CTA_TUPLE_* nest's payload into t.
func (t *Tuple) unmarshal(s *core.AttrScanner) {
	*t = Tuple{}
	n0 := s.Nested()
	n := &n0
	for n.Next() {
		switch n.Type() {
		case ctaTupleIP:
			ip0 := n.Nested()
			ip := &ip0
			for ip.Next() {
				switch ip.Type() {
				case ctaIPv4Src, ctaIPv6Src:
					t.Src = ctAddr(ip)
				case ctaIPv4Dst, ctaIPv6Dst:
					t.Dst = ctAddr(ip)
				}
			}
			n.Fail(ip.Err())
		case ctaTupleProto:
			p0 := n.Nested()
			p := &p0
			for p.Next() {
				switch p.Type() {
				case ctaProtoNum:
					t.Proto = ctGet8(p)
				case ctaProtoSrcPort:
					t.SrcPort = ctGet16(p)
				case ctaProtoDstPort:
					t.DstPort = ctGet16(p)
				case ctaProtoICMPID, ctaProtoICMPv6ID:
					t.ICMPID = ctGet16(p)
				case ctaProtoICMPType, ctaProtoICMPv6Type:
					t.ICMPType = ctGet8(p)
				case ctaProtoICMPCode, ctaProtoICMPv6Code:
					t.ICMPCode = ctGet8(p)
				}
			}
			n.Fail(p.Err())
		case ctaTupleZone:
			t.Zone, t.HasZone = ctGet16(n), true
		}
	}
	s.Fail(n.Err())
}

func ctAddr(s *core.AttrScanner) netip.Addr {
	want := 4
	if s.Type() == ctaIPv6Src || s.Type() == ctaIPv6Dst {
		want = 16
	}
	b := s.Bytes()
	if len(b) != want {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "address", Len: len(b), Want: want})
		return netip.Addr{}
	}
	if want == 4 {
		return netip.AddrFrom4([4]byte(b))
	}
	return netip.AddrFrom16([16]byte(b))
}

// check says what is wrong with t as a tuple to send.
func (t *Tuple) check(what string) error {
	if !t.Src.IsValid() || !t.Dst.IsValid() {
		return fmt.Errorf("conntrack: %s tuple needs a source and a destination address", what)
	}
	if t.Src.Is4() != t.Dst.Is4() {
		return fmt.Errorf("conntrack: %s tuple mixes IPv4 and IPv6 (%v, %v)", what, t.Src, t.Dst)
	}
	if t.Proto == 0 {
		return fmt.Errorf("conntrack: %s tuple needs a protocol", what)
	}
	return nil
}

// marshal appends t as a typ nest (CTA_TUPLE_ORIG, ...). With all set,
// every field is sent; a filter or mask sends only what is set.
func (t *Tuple) marshal(e *core.AttrEncoder, typ uint16) error {
	n := ctNest(e, typ)
	t.marshalFields(e, true)
	return e.NestEnd(n)
}

func (t *Tuple) marshalFields(e *core.AttrEncoder, withZone bool) {
	ip := ctNest(e, ctaTupleIP)
	if t.Src.IsValid() {
		ctEncodeAddr(e, true, t.Src)
	}
	if t.Dst.IsValid() {
		ctEncodeAddr(e, false, t.Dst)
	}
	e.NestEnd(ip)
	p := ctNest(e, ctaTupleProto)
	e.Uint8(ctaProtoNum, t.Proto)
	switch t.Proto {
	case ProtoICMP:
		e.Uint16BE(ctaProtoICMPID, t.ICMPID)
		e.Uint8(ctaProtoICMPType, t.ICMPType)
		e.Uint8(ctaProtoICMPCode, t.ICMPCode)
	case ProtoICMPv6:
		e.Uint16BE(ctaProtoICMPv6ID, t.ICMPID)
		e.Uint8(ctaProtoICMPv6Type, t.ICMPType)
		e.Uint8(ctaProtoICMPv6Code, t.ICMPCode)
	default:
		if hasPorts(t.Proto) {
			e.Uint16BE(ctaProtoSrcPort, t.SrcPort)
			e.Uint16BE(ctaProtoDstPort, t.DstPort)
		}
	}
	e.NestEnd(p)
	if withZone && t.HasZone {
		e.Uint16BE(ctaTupleZone, t.Zone)
	}
}

// ctEncodeAddr appends a CTA_IP_V4/V6_SRC/DST attribute for a.
func ctEncodeAddr(e *core.AttrEncoder, src bool, a netip.Addr) {
	var typ uint16
	switch {
	case a.Is4() && src:
		typ = ctaIPv4Src
	case a.Is4():
		typ = ctaIPv4Dst
	case src:
		typ = ctaIPv6Src
	default:
		typ = ctaIPv6Dst
	}
	e.Addr(typ, a)
}

var (
	netipZero     netip.Addr
	netipAllOnes4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	netipAllOnes6 = netip.AddrFrom16([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
)
