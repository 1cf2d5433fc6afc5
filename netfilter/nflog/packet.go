package nflog

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/netfilter"
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
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	p.Family, p.Group = h.Family, h.ResID
	seen := false
	for off := 0; off < len(attrs); {
		if len(attrs)-off < 4 {
			return fmt.Errorf("nflog: attribute header at offset %d: %d bytes left", off, len(attrs)-off)
		}
		l := int(binary.NativeEndian.Uint16(attrs[off:]))
		typ := binary.NativeEndian.Uint16(attrs[off+2:]) & attrTypeMask
		if l < 4 || l > len(attrs)-off {
			return fmt.Errorf("nflog: attribute %d at offset %d: length %d, %d bytes left", typ, off, l, len(attrs)-off)
		}
		v := attrs[off+4 : off+l : off+l]
		off += (l + 3) &^ 3
		switch typ {
		case attrPacketHdr:
			if len(v) < packetHdrLen {
				return attrLenError("NFULA_PACKET_HDR", len(v), packetHdrLen)
			}
			p.HWProtocol = binary.BigEndian.Uint16(v)
			p.Hook = Hook(v[2])
			seen = true
		case attrMark:
			if p.Mark, err = be32("NFULA_MARK", v); err != nil {
				return err
			}
			p.HasMark = true
		case attrTimestamp:
			if len(v) < timestampLen {
				return attrLenError("NFULA_TIMESTAMP", len(v), timestampLen)
			}
			p.Timestamp = time.Unix(int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))*1000)
		case attrInDev:
			if p.InDev, err = be32("NFULA_IFINDEX_INDEV", v); err != nil {
				return err
			}
		case attrOutDev:
			if p.OutDev, err = be32("NFULA_IFINDEX_OUTDEV", v); err != nil {
				return err
			}
		case attrPhysInDev:
			if p.PhysInDev, err = be32("NFULA_IFINDEX_PHYSINDEV", v); err != nil {
				return err
			}
		case attrPhysOutDev:
			if p.PhysOutDev, err = be32("NFULA_IFINDEX_PHYSOUTDEV", v); err != nil {
				return err
			}
		case attrHWAddr:
			if len(v) < hwAddrHdrLen {
				return attrLenError("NFULA_HWADDR", len(v), hwAddrHdrLen)
			}
			n := int(binary.BigEndian.Uint16(v))
			if n > len(v)-4 {
				return fmt.Errorf("nflog: NFULA_HWADDR says %d bytes, holds %d", n, len(v)-4)
			}
			p.HWAddr = net.HardwareAddr(v[4 : 4+n : 4+n])
		case attrPayload:
			p.Payload = v
		case attrPrefix:
			for len(v) > 0 && v[len(v)-1] == 0 {
				v = v[:len(v)-1]
			}
			if string(v) != p.lastPrefix {
				p.lastPrefix = string(v)
			}
			p.Prefix = p.lastPrefix
		case attrUID:
			if p.UID, err = be32("NFULA_UID", v); err != nil {
				return err
			}
			p.HasUID = true
		case attrGID:
			if p.GID, err = be32("NFULA_GID", v); err != nil {
				return err
			}
			p.HasGID = true
		case attrSeq:
			if p.Seq, err = be32("NFULA_SEQ", v); err != nil {
				return err
			}
			p.HasSeq = true
		case attrSeqGlobal:
			if p.SeqGlobal, err = be32("NFULA_SEQ_GLOBAL", v); err != nil {
				return err
			}
			p.HasSeqGlobal = true
		case attrHWType:
			if len(v) != 2 {
				return attrLenError("NFULA_HWTYPE", len(v), 2)
			}
			p.HWType = binary.BigEndian.Uint16(v)
		case attrHWHeader:
			p.HWHeader = v
		case attrHWLen:
			if len(v) != 2 {
				return attrLenError("NFULA_HWLEN", len(v), 2)
			}
			p.HWLen = binary.BigEndian.Uint16(v)
		case attrCT:
			p.CT = v
		case attrCTInfo:
			if p.CTInfo, err = be32("NFULA_CT_INFO", v); err != nil {
				return err
			}
			p.HasCTInfo = true
		case attrVLAN:
			if err := p.vlan(v); err != nil {
				return err
			}
		case attrL2Hdr:
			p.L2Header = v
		}
	}
	if !seen {
		return fmt.Errorf("nflog: packet message without NFULA_PACKET_HDR")
	}
	return nil
}

func (p *Packet) vlan(b []byte) error {
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return fmt.Errorf("nflog: NFULA_VLAN: truncated attribute")
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) & attrTypeMask
		if l < 4 || l > len(b)-off {
			return fmt.Errorf("nflog: NFULA_VLAN attribute %d: bad length %d", typ, l)
		}
		v := b[off+4 : off+l]
		off += (l + 3) &^ 3
		switch typ {
		case attrVLANProto, attrVLANTCI:
			if len(v) != 2 {
				return attrLenError("NFULA_VLAN", len(v), 2)
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

// ConnMark returns the conntrack mark (CTA_MARK) from CT.
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
	c.HWHeader = clone(p.HWHeader)
	c.Payload = clone(p.Payload)
	c.CT = clone(p.CT)
	c.L2Header = clone(p.L2Header)
	return &c
}

func clone[S ~[]byte](b S) S {
	if b == nil {
		return nil
	}
	return append(S(nil), b...)
}

// String prints the packet on one line, like libnl's nf-log, with
// interface indexes.
func (p *Packet) String() string {
	s := fmt.Sprintf("group=%d family=%d hwproto=0x%04x hook=%s prefix=%q", p.Group, p.Family, p.HWProtocol, p.Hook, p.Prefix)
	if p.HasMark {
		s += fmt.Sprintf(" mark=0x%x", p.Mark)
	}
	for _, d := range [...]struct {
		name string
		v    uint32
	}{{"indev", p.InDev}, {"outdev", p.OutDev}, {"physindev", p.PhysInDev}, {"physoutdev", p.PhysOutDev}} {
		if d.v != 0 {
			s += fmt.Sprintf(" %s=%d", d.name, d.v)
		}
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
	if p.HasSeq {
		s += fmt.Sprintf(" seq=%d", p.Seq)
	}
	if p.HasSeqGlobal {
		s += fmt.Sprintf(" seq_global=%d", p.SeqGlobal)
	}
	if p.HasVLAN {
		s += fmt.Sprintf(" vlan=0x%04x/%d", p.VLANProto, p.VLANTCI&0xfff)
	}
	return s + fmt.Sprintf(" len=%d", len(p.Payload))
}

func be32(name string, v []byte) (uint32, error) {
	if len(v) != 4 {
		return 0, attrLenError(name, len(v), 4)
	}
	return binary.BigEndian.Uint32(v), nil
}

func attrLenError(name string, got, want int) error {
	return fmt.Errorf("nflog: %s: %d bytes, want %d", name, got, want)
}
