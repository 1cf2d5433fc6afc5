package nfqueue

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/netfilter"
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

// reset clears p for the next packet without dropping anything it owns.
func (p *Packet) reset() { *p = Packet{} }

// Unmarshal decodes a packet message's payload (the nfgenmsg header and
// the NFQA_* attributes, as after the netlink header) into p. Slices
// alias data. Unknown attributes are ignored; a malformed one is an error.
func (p *Packet) Unmarshal(data []byte) error {
	p.reset()
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	p.Family, p.Queue = h.Family, h.ResID
	seen := false
	for off := 0; off < len(attrs); {
		if len(attrs)-off < 4 {
			return fmt.Errorf("nfqueue: attribute header at offset %d: %d bytes left", off, len(attrs)-off)
		}
		l := int(binary.NativeEndian.Uint16(attrs[off:]))
		typ := binary.NativeEndian.Uint16(attrs[off+2:]) & attrTypeMask
		if l < 4 || l > len(attrs)-off {
			return fmt.Errorf("nfqueue: attribute %d at offset %d: length %d, %d bytes left", typ, off, l, len(attrs)-off)
		}
		v := attrs[off+4 : off+l : off+l]
		off += (l + 3) &^ 3
		switch typ {
		case attrPacketHdr:
			if len(v) < packetHdrLen {
				return attrLenError("NFQA_PACKET_HDR", len(v), packetHdrLen)
			}
			p.ID = binary.BigEndian.Uint32(v)
			p.HWProtocol = binary.BigEndian.Uint16(v[4:])
			p.Hook = Hook(v[6])
			seen = true
		case attrMark:
			if p.Mark, err = be32("NFQA_MARK", v); err != nil {
				return err
			}
			p.HasMark = true
		case attrTimestamp:
			if len(v) < timestampLen {
				return attrLenError("NFQA_TIMESTAMP", len(v), timestampLen)
			}
			p.Timestamp = time.Unix(int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))*1000)
		case attrInDev:
			if p.InDev, err = be32("NFQA_IFINDEX_INDEV", v); err != nil {
				return err
			}
		case attrOutDev:
			if p.OutDev, err = be32("NFQA_IFINDEX_OUTDEV", v); err != nil {
				return err
			}
		case attrPhysInDev:
			if p.PhysInDev, err = be32("NFQA_IFINDEX_PHYSINDEV", v); err != nil {
				return err
			}
		case attrPhysOutDev:
			if p.PhysOutDev, err = be32("NFQA_IFINDEX_PHYSOUTDEV", v); err != nil {
				return err
			}
		case attrHWAddr:
			if len(v) < hwAddrHdrLen {
				return attrLenError("NFQA_HWADDR", len(v), hwAddrHdrLen)
			}
			n := int(binary.BigEndian.Uint16(v))
			if n > len(v)-4 {
				return fmt.Errorf("nfqueue: NFQA_HWADDR says %d bytes, holds %d", n, len(v)-4)
			}
			p.HWAddr = net.HardwareAddr(v[4 : 4+n : 4+n])
		case attrPayload:
			p.Payload = v
		case attrCT:
			p.CT = v
		case attrCTInfo:
			if p.CTInfo, err = be32("NFQA_CT_INFO", v); err != nil {
				return err
			}
			p.HasCTInfo = true
		case attrCapLen:
			if p.CapLen, err = be32("NFQA_CAP_LEN", v); err != nil {
				return err
			}
		case attrSKBInfo:
			if p.SKBInfo, err = be32("NFQA_SKB_INFO", v); err != nil {
				return err
			}
		case attrExp:
			p.Exp = v
		case attrUID:
			if p.UID, err = be32("NFQA_UID", v); err != nil {
				return err
			}
			p.HasUID = true
		case attrGID:
			if p.GID, err = be32("NFQA_GID", v); err != nil {
				return err
			}
			p.HasGID = true
		case attrSecCtx:
			// A NUL-terminated string.
			for len(v) > 0 && v[len(v)-1] == 0 {
				v = v[:len(v)-1]
			}
			p.SecCtx = v
		case attrVLAN:
			if err := p.vlan(v); err != nil {
				return err
			}
		case attrL2Hdr:
			p.L2Header = v
		case attrPriority:
			if p.Priority, err = be32("NFQA_PRIORITY", v); err != nil {
				return err
			}
			p.HasPriority = true
		}
	}
	if !seen {
		return fmt.Errorf("nfqueue: packet message without NFQA_PACKET_HDR")
	}
	return nil
}

func (p *Packet) vlan(b []byte) error {
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return fmt.Errorf("nfqueue: NFQA_VLAN: truncated attribute")
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) & attrTypeMask
		if l < 4 || l > len(b)-off {
			return fmt.Errorf("nfqueue: NFQA_VLAN attribute %d: bad length %d", typ, l)
		}
		v := b[off+4 : off+l]
		off += (l + 3) &^ 3
		switch typ {
		case attrVLANProto, attrVLANTCI:
			if len(v) != 2 {
				return attrLenError("NFQA_VLAN", len(v), 2)
			}
			if typ == attrVLANProto {
				p.VLANProto = binary.BigEndian.Uint16(v)
			} else {
				p.VLANTCI = binary.BigEndian.Uint16(v)
			}
			p.HasVLAN = true
		}
	}
	return nil
}

// ConnMark returns the conntrack mark (CTA_MARK) from CT, when the queue
// has the Conntrack flag and the entry has a mark.
func (p *Packet) ConnMark() (uint32, bool) {
	b := p.CT
	for off := 0; off+4 <= len(b); {
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) & attrTypeMask
		if l < 4 || l > len(b)-off {
			return 0, false
		}
		if typ == ctaMark && l == 8 {
			return binary.BigEndian.Uint32(b[off+4:]), true
		}
		off += (l + 3) &^ 3
	}
	return 0, false
}

// Clone returns a deep copy of p that outlives the loop body.
func (p *Packet) Clone() *Packet {
	c := *p
	c.HWAddr = clone(p.HWAddr)
	c.Payload = clone(p.Payload)
	c.CT = clone(p.CT)
	c.Exp = clone(p.Exp)
	c.SecCtx = clone(p.SecCtx)
	c.L2Header = clone(p.L2Header)
	return &c
}

func clone[S ~[]byte](b S) S {
	if b == nil {
		return nil
	}
	return append(S(nil), b...)
}

// String prints the packet on one line, like libnl's nf-queue.
func (p *Packet) String() string {
	s := fmt.Sprintf("id=%d family=%d hwproto=0x%04x hook=%s", p.ID, p.Family, p.HWProtocol, p.Hook)
	if p.HasMark {
		s += fmt.Sprintf(" mark=0x%x", p.Mark)
	}
	if p.InDev != 0 {
		s += fmt.Sprintf(" indev=%d", p.InDev)
	}
	if p.OutDev != 0 {
		s += fmt.Sprintf(" outdev=%d", p.OutDev)
	}
	if p.PhysInDev != 0 {
		s += fmt.Sprintf(" physindev=%d", p.PhysInDev)
	}
	if p.PhysOutDev != 0 {
		s += fmt.Sprintf(" physoutdev=%d", p.PhysOutDev)
	}
	if len(p.HWAddr) > 0 {
		s += " hwaddr=" + p.HWAddr.String()
	}
	if p.HasUID {
		s += fmt.Sprintf(" uid=%d", p.UID)
	}
	if p.HasGID {
		s += fmt.Sprintf(" gid=%d", p.GID)
	}
	if p.HasCTInfo {
		s += fmt.Sprintf(" ctinfo=%d", p.CTInfo)
	}
	if p.HasVLAN {
		s += fmt.Sprintf(" vlan=0x%04x/%d", p.VLANProto, p.VLANTCI&0xfff)
	}
	s += fmt.Sprintf(" len=%d", len(p.Payload))
	if p.CapLen != 0 {
		s += fmt.Sprintf(" caplen=%d", p.CapLen)
	}
	return s
}

func be32(name string, v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, attrLenError(name, len(v), 4)
	}
	return binary.BigEndian.Uint32(v), nil
}

func attrLenError(name string, got, want int) error {
	return fmt.Errorf("nfqueue: %s: %d bytes, want %d", name, got, want)
}
