package nflog

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/netfilter/internal/nfpkt"
)

// Packet is one logged packet (NFULNL_MSG_PACKET). Its byte slices alias
// the receive buffer: a Packet handed out by Log.Packets is valid only in
// the loop body (Clone keeps one). Fields the kernel did not send are zero
// (and their Has flags false).
type Packet struct {
	// Family is the packet's protocol family and Group the log group.
	Family uint8
	Group  uint16
	// HWProtocol is the link-layer protocol (ETH_P_IP...), host order.
	HWProtocol uint16
	// Hook is the netfilter hook the packet was logged at.
	Hook Hook
	// Prefix is the rule's log prefix (--nflog-prefix).
	Prefix string

	Mark    uint32
	HasMark bool
	// Timestamp is when the packet was received (zero: not known).
	Timestamp time.Time
	// InDev, OutDev, PhysInDev and PhysOutDev are interface indexes
	// (0: none); the physical ones are bridge ports.
	InDev, OutDev, PhysInDev, PhysOutDev uint32
	// HWAddr is the source hardware address.
	HWAddr net.HardwareAddr
	// HWType is the device type (ARPHRD_*), HWHeader the link-layer
	// header and HWLen its length, for packets that came in on a device.
	HWType   uint16
	HWHeader []byte
	HWLen    uint16
	// Payload is the packet from its network header on, cut at the copy
	// range.
	Payload []byte
	// UID and GID are the owning socket's.
	UID, GID       uint32
	HasUID, HasGID bool
	// Seq is the group-local sequence number (with the Seq flag) and
	// SeqGlobal the global one (with SeqGlobal).
	Seq, SeqGlobal       uint32
	HasSeq, HasSeqGlobal bool
	// CT holds the conntrack entry's attributes (CTA_*, raw) and CTInfo
	// the packet's enum ip_conntrack_info, with the Conntrack flag.
	CT        []byte
	CTInfo    uint32
	HasCTInfo bool
	// VLANProto and VLANTCI are the packet's VLAN tag, when HasVLAN.
	VLANProto, VLANTCI uint16
	HasVLAN            bool
	// L2Header is the link-layer header (bridge family).
	L2Header []byte

	// Remaining is how many packets the Packets loop has already read
	// and will yield after this one, counting each later datagram as one
	// (a datagram may hold many): 0 means the socket was drained.
	Remaining int

	lastPrefix string // the string last made for Prefix, reused while it repeats
}

// Unmarshal decodes a packet message's payload (the nfgenmsg header and
// the NFULA_* attributes, as after the netlink header) into p. Slices
// alias data; the prefix string is reused while it repeats, so decoding
// allocates nothing in the steady state. Unknown attributes are ignored; a
// malformed one is an error.
func (p *Packet) Unmarshal(data []byte) error {
	last := p.lastPrefix
	*p = Packet{lastPrefix: last}
	f := p.fields()
	h, err := nfpkt.Log.Decode(data, &f, p.decodeAttr)
	p.Family, p.Group = h.Family, h.ResID
	return err
}

// fields points the shared decoder at p.
func (p *Packet) fields() nfpkt.Fields {
	return nfpkt.Fields{
		Mark: &p.Mark, HasMark: &p.HasMark, Timestamp: &p.Timestamp,
		InDev: &p.InDev, OutDev: &p.OutDev, PhysInDev: &p.PhysInDev, PhysOutDev: &p.PhysOutDev,
		HWAddr: &p.HWAddr, Payload: &p.Payload, L2Header: &p.L2Header, CT: &p.CT,
		UID: &p.UID, GID: &p.GID, HasUID: &p.HasUID, HasGID: &p.HasGID,
		CTInfo: &p.CTInfo, HasCTInfo: &p.HasCTInfo,
		VLANProto: &p.VLANProto, VLANTCI: &p.VLANTCI, HasVLAN: &p.HasVLAN,
	}
}

// decodeAttr decodes the attributes only nflog has.
func (p *Packet) decodeAttr(typ uint16, v []byte) error {
	switch typ {
	case attrPacketHdr:
		if len(v) < packetHdrLen {
			return nfpkt.Log.LenError("PACKET_HDR", len(v), packetHdrLen)
		}
		p.HWProtocol = binary.BigEndian.Uint16(v)
		p.Hook = Hook(v[2])
	case attrPrefix:
		for len(v) > 0 && v[len(v)-1] == 0 {
			v = v[:len(v)-1]
		}
		if string(v) != p.lastPrefix {
			p.lastPrefix = string(v)
		}
		p.Prefix = p.lastPrefix
	case attrSeq:
		return nfpkt.Log.Uint32(v, "SEQ", &p.Seq, &p.HasSeq)
	case attrSeqGlobal:
		return nfpkt.Log.Uint32(v, "SEQ_GLOBAL", &p.SeqGlobal, &p.HasSeqGlobal)
	case attrHWType:
		return nfpkt.Log.Uint16(v, "HWTYPE", &p.HWType)
	case attrHWHeader:
		p.HWHeader = v
	case attrHWLen:
		return nfpkt.Log.Uint16(v, "HWLEN", &p.HWLen)
	}
	return nil
}

// ConnMark returns the conntrack mark (CTA_MARK) from CT.
func (p *Packet) ConnMark() (uint32, bool) { return nfpkt.ConnMark(p.CT) }

// Clone returns a deep copy of p that outlives the loop body.
func (p *Packet) Clone() *Packet {
	c := *p
	f := c.fields()
	f.CloneBytes()
	c.HWHeader = nfpkt.Clone(p.HWHeader)
	return &c
}

// String prints the packet on one line, like libnl's nf-log, with
// interface indexes.
func (p *Packet) String() string {
	f := p.fields()
	b := fmt.Appendf(nil, "group=%d family=%d hwproto=0x%04x hook=%s prefix=%q", p.Group, p.Family, p.HWProtocol, p.Hook, p.Prefix)
	b = f.AppendMeta(b)
	if p.HasSeq {
		b = fmt.Appendf(b, " seq=%d", p.Seq)
	}
	if p.HasSeqGlobal {
		b = fmt.Appendf(b, " seq_global=%d", p.SeqGlobal)
	}
	return string(f.AppendTail(b))
}
