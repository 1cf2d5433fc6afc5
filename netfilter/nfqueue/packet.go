package nfqueue

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/netfilter/internal/nfpkt"
)

// Packet is one queued packet (NFQNL_MSG_PACKET). Its byte slices alias
// the receive buffer: a Packet handed out by Queue.Packets is valid only in
// the loop body (Clone keeps one). Fields the kernel did not send are zero
// (and their Has flags false).
type Packet struct {
	// Family is the packet's protocol family (unix.AF_INET, AF_INET6,
	// AF_BRIDGE...) and Queue the queue number it came from.
	Family uint8
	Queue  uint16
	// ID is the packet's ID in the queue: the verdict names it.
	ID uint32
	// HWProtocol is the link-layer protocol (ETH_P_IP...), host order.
	HWProtocol uint16
	// Hook is the netfilter hook the packet was queued from.
	Hook Hook

	Mark    uint32
	HasMark bool
	// Timestamp is when the packet was received (zero: not known).
	Timestamp time.Time
	// InDev, OutDev, PhysInDev and PhysOutDev are interface indexes
	// (0: none); the physical ones are bridge ports.
	InDev, OutDev, PhysInDev, PhysOutDev uint32
	// HWAddr is the source hardware address, when the kernel knows it.
	HWAddr net.HardwareAddr
	// Payload is the packet from its network header on, cut at the copy
	// range.
	Payload []byte
	// CapLen is the packet's full length when Payload was cut (0: not cut).
	CapLen uint32
	// CT holds the conntrack entry's attributes (CTA_*, raw) and CTInfo
	// the packet's enum ip_conntrack_info, with the Conntrack flag.
	CT        []byte
	CTInfo    uint32
	HasCTInfo bool
	// Exp holds a conntrack expectation's attributes, raw.
	Exp []byte
	// SKBInfo carries the SKB* bits.
	SKBInfo uint32
	// UID and GID are the owning socket's, with the UIDGID flag.
	UID, GID       uint32
	HasUID, HasGID bool
	// SecCtx is the security context, with the SecCtx flag.
	SecCtx []byte
	// VLANProto and VLANTCI are the packet's VLAN tag, when HasVLAN.
	VLANProto, VLANTCI uint16
	HasVLAN            bool
	// L2Header is the link-layer header (bridge family).
	L2Header []byte
	// Priority is skb->priority, when HasPriority.
	Priority    uint32
	HasPriority bool

	// Remaining is how many messages the Packets loop has already read
	// and will yield after this one; 0 means the socket was drained. A
	// caller collecting verdicts flushes when it reaches 0.
	Remaining int
}

// Unmarshal decodes a packet message's payload (the nfgenmsg header and
// the NFQA_* attributes, as after the netlink header) into p. Slices
// alias data. Unknown attributes are ignored; a malformed one is an error.
func (p *Packet) Unmarshal(data []byte) error {
	*p = Packet{}
	f := p.fields()
	h, err := nfpkt.Queue.Decode(data, &f, p.decodeAttr)
	p.Family, p.Queue = h.Family, h.ResID
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

// decodeAttr decodes the attributes only nfqueue has.
func (p *Packet) decodeAttr(typ uint16, v []byte) error {
	switch typ {
	case attrPacketHdr:
		if len(v) < packetHdrLen {
			return nfpkt.Queue.LenError("PACKET_HDR", len(v), packetHdrLen)
		}
		p.ID = binary.BigEndian.Uint32(v)
		p.HWProtocol = binary.BigEndian.Uint16(v[4:])
		p.Hook = Hook(v[6])
	case attrCapLen:
		return nfpkt.Queue.Uint32(v, "CAP_LEN", &p.CapLen, nil)
	case attrSKBInfo:
		return nfpkt.Queue.Uint32(v, "SKB_INFO", &p.SKBInfo, nil)
	case attrExp:
		p.Exp = v
	case attrSecCtx:
		// A NUL-terminated string.
		for len(v) > 0 && v[len(v)-1] == 0 {
			v = v[:len(v)-1]
		}
		p.SecCtx = v
	case attrPriority:
		return nfpkt.Queue.Uint32(v, "PRIORITY", &p.Priority, &p.HasPriority)
	}
	return nil
}

// ConnMark returns the conntrack mark (CTA_MARK) from CT, when the queue
// has the Conntrack flag and the entry has a mark.
func (p *Packet) ConnMark() (uint32, bool) { return nfpkt.ConnMark(p.CT) }

// Clone returns a deep copy of p that outlives the loop body.
func (p *Packet) Clone() *Packet {
	c := *p
	f := c.fields()
	f.CloneBytes()
	c.Exp = nfpkt.Clone(p.Exp)
	c.SecCtx = nfpkt.Clone(p.SecCtx)
	return &c
}

// String prints the packet on one line, like libnl's nf-queue.
func (p *Packet) String() string {
	f := p.fields()
	b := fmt.Appendf(nil, "id=%d family=%d hwproto=0x%04x hook=%s", p.ID, p.Family, p.HWProtocol, p.Hook)
	b = f.AppendMeta(b)
	if p.HasCTInfo {
		b = fmt.Appendf(b, " ctinfo=%d", p.CTInfo)
	}
	b = f.AppendTail(b)
	if p.CapLen != 0 {
		b = fmt.Appendf(b, " caplen=%d", p.CapLen)
	}
	return string(b)
}
