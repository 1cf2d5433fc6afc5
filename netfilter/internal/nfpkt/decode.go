// Package nfpkt decodes the packet attributes nflog (NFULA_*) and nfqueue
// (NFQA_*) have in common: the two subsystems number them differently but
// encode them alike. Each package keeps its own Packet type; Fields
// points the shared decoder at it.
package nfpkt

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/netfilter"
)

// Subsys is the subsystem whose attribute numbering a decoder follows.
type Subsys uint8

// The two packet subsystems.
const (
	Log   Subsys = iota // nfnetlink_log: NFULA_*
	Queue               // nfnetlink_queue: NFQA_*
)

// pkgs and prefixes name a subsystem's package and attributes in errors.
var (
	pkgs     = [...]string{Log: "nflog", Queue: "nfqueue"}
	prefixes = [...]string{Log: "NFULA_", Queue: "NFQA_"}
)

// kind is a shared attribute.
type kind uint8

const (
	kindOther kind = iota // the caller's
	kindMark
	kindTimestamp
	kindInDev
	kindOutDev
	kindPhysInDev
	kindPhysOutDev
	kindHWAddr
	kindPayload
	kindUID
	kindGID
	kindCT
	kindCTInfo
	kindVLAN
	kindL2Hdr
)

// attrs is each shared attribute's number in nfnetlink_log (enum
// nfulnl_attr_type) and nfnetlink_queue (enum nfqnl_attr_type), and its
// name after the prefix.
var attrs = [...]struct {
	num  [2]uint16
	name string
}{
	kindMark:       {[2]uint16{2, 3}, "MARK"},
	kindTimestamp:  {[2]uint16{3, 4}, "TIMESTAMP"},
	kindInDev:      {[2]uint16{4, 5}, "IFINDEX_INDEV"},
	kindOutDev:     {[2]uint16{5, 6}, "IFINDEX_OUTDEV"},
	kindPhysInDev:  {[2]uint16{6, 7}, "IFINDEX_PHYSINDEV"},
	kindPhysOutDev: {[2]uint16{7, 8}, "IFINDEX_PHYSOUTDEV"},
	kindHWAddr:     {[2]uint16{8, 9}, "HWADDR"},
	kindPayload:    {[2]uint16{9, 10}, "PAYLOAD"},
	kindUID:        {[2]uint16{11, 16}, "UID"},
	kindGID:        {[2]uint16{14, 17}, "GID"},
	kindCT:         {[2]uint16{18, 11}, "CT"},
	kindCTInfo:     {[2]uint16{19, 12}, "CT_INFO"},
	kindVLAN:       {[2]uint16{20, 19}, "VLAN"},
	kindL2Hdr:      {[2]uint16{21, 20}, "L2HDR"},
}

// packetHdr is NFULA_PACKET_HDR and NFQA_PACKET_HDR, which every packet
// message carries.
const packetHdr = 1

// maxAttr bounds the attribute numbers of both subsystems.
const maxAttr = 32

// kinds maps attribute numbers to kinds, per subsystem.
var kinds = func() (k [2][maxAttr]kind) {
	for i, a := range attrs {
		for s, n := range a.num {
			if n != 0 {
				k[s][n] = kind(i)
			}
		}
	}
	return k
}()

// Attribute sizes.
const (
	hwAddrHdrLen = 12 // struct nfulnl_msg_packet_hw, nfqnl_msg_packet_hw
	timestampLen = 16 // struct nfulnl_msg_packet_timestamp, nfqnl_msg_packet_timestamp
	typeMask     = 0x3fff
	vlanProto    = 1 // NFULA_VLAN_PROTO, NFQA_VLAN_PROTO
	vlanTCI      = 2 // NFULA_VLAN_TCI, NFQA_VLAN_TCI
	ctaMark      = 8 // CTA_MARK
)

// Fields points at a packet's fields that both subsystems fill.
type Fields struct {
	Mark                                 *uint32
	HasMark                              *bool
	Timestamp                            *time.Time
	InDev, OutDev, PhysInDev, PhysOutDev *uint32
	HWAddr                               *net.HardwareAddr
	Payload, L2Header, CT                *[]byte
	UID, GID                             *uint32
	HasUID, HasGID                       *bool
	CTInfo                               *uint32
	HasCTInfo                            *bool
	VLANProto, VLANTCI                   *uint16
	HasVLAN                              *bool
}

// Decode parses a packet message's payload (the nfgenmsg header and the
// attributes, as after the netlink header) of subsystem s. It fills the
// shared attributes through f and hands the others, the packet header
// among them, to other; it fails when the packet header is missing or an
// attribute is malformed. Unknown attributes are ignored. Nothing
// allocates but the error.
func (s Subsys) Decode(data []byte, f *Fields, other func(typ uint16, v []byte) error) (netfilter.Header, error) {
	h, b, err := netfilter.ParseHeader(data)
	if err != nil {
		return h, err
	}
	seen := false
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return h, fmt.Errorf("%s: attribute header at offset %d: %d bytes left", pkgs[s], off, len(b)-off)
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) & typeMask
		if l < 4 || l > len(b)-off {
			return h, fmt.Errorf("%s: attribute %d at offset %d: length %d, %d bytes left", pkgs[s], typ, off, l, len(b)-off)
		}
		v := b[off+4 : off+l : off+l]
		off += (l + 3) &^ 3
		k := kindOther
		if typ < maxAttr {
			k = kinds[s][typ]
		}
		if k == kindOther {
			seen = seen || typ == packetHdr
			err = other(typ, v)
		} else {
			err = s.decodeShared(k, v, f)
		}
		if err != nil {
			return h, err
		}
	}
	if !seen {
		return h, fmt.Errorf("%s: packet message without %sPACKET_HDR", pkgs[s], prefixes[s])
	}
	return h, nil
}

func (s Subsys) decodeShared(k kind, v []byte, f *Fields) error {
	name := attrs[k].name
	switch k {
	case kindMark:
		return s.Uint32(v, name, f.Mark, f.HasMark)
	case kindTimestamp:
		if len(v) < timestampLen {
			return s.LenError(name, len(v), timestampLen)
		}
		*f.Timestamp = time.Unix(int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))*1000)
	case kindInDev:
		return s.Uint32(v, name, f.InDev, nil)
	case kindOutDev:
		return s.Uint32(v, name, f.OutDev, nil)
	case kindPhysInDev:
		return s.Uint32(v, name, f.PhysInDev, nil)
	case kindPhysOutDev:
		return s.Uint32(v, name, f.PhysOutDev, nil)
	case kindHWAddr:
		if len(v) < hwAddrHdrLen {
			return s.LenError(name, len(v), hwAddrHdrLen)
		}
		n := int(binary.BigEndian.Uint16(v))
		if n > len(v)-4 {
			return fmt.Errorf("%s: %s%s says %d bytes, holds %d", pkgs[s], prefixes[s], name, n, len(v)-4)
		}
		*f.HWAddr = net.HardwareAddr(v[4 : 4+n : 4+n])
	case kindPayload:
		*f.Payload = v
	case kindUID:
		return s.Uint32(v, name, f.UID, f.HasUID)
	case kindGID:
		return s.Uint32(v, name, f.GID, f.HasGID)
	case kindCT:
		*f.CT = v
	case kindCTInfo:
		return s.Uint32(v, name, f.CTInfo, f.HasCTInfo)
	case kindVLAN:
		return s.vlan(v, f)
	case kindL2Hdr:
		*f.L2Header = v
	}
	return nil
}

// vlan decodes the nested VLAN attribute.
func (s Subsys) vlan(b []byte, f *Fields) error {
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return fmt.Errorf("%s: %sVLAN: truncated attribute", pkgs[s], prefixes[s])
		}
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:]) & typeMask
		if l < 4 || l > len(b)-off {
			return fmt.Errorf("%s: %sVLAN attribute %d: bad length %d", pkgs[s], prefixes[s], typ, l)
		}
		v := b[off+4 : off+l]
		off += (l + 3) &^ 3
		switch typ {
		case vlanProto:
			if err := s.Uint16(v, "VLAN", f.VLANProto); err != nil {
				return err
			}
			*f.HasVLAN = true
		case vlanTCI:
			if err := s.Uint16(v, "VLAN", f.VLANTCI); err != nil {
				return err
			}
			*f.HasVLAN = true
		}
	}
	return nil
}

// Uint32 decodes a big-endian 32-bit attribute (name is after the
// prefix) into dst and, when has is not nil, sets *has.
func (s Subsys) Uint32(v []byte, name string, dst *uint32, has *bool) error {
	if len(v) != 4 {
		return s.LenError(name, len(v), 4)
	}
	*dst = binary.BigEndian.Uint32(v)
	if has != nil {
		*has = true
	}
	return nil
}

// Uint16 decodes a big-endian 16-bit attribute into dst.
func (s Subsys) Uint16(v []byte, name string, dst *uint16) error {
	if len(v) != 2 {
		return s.LenError(name, len(v), 2)
	}
	*dst = binary.BigEndian.Uint16(v)
	return nil
}

// LenError is the error for attribute name (after the prefix) of got
// bytes where want were due.
func (s Subsys) LenError(name string, got, want int) error {
	return fmt.Errorf("%s: %s%s: %d bytes, want %d", pkgs[s], prefixes[s], name, got, want)
}

// ConnMark returns the conntrack mark (CTA_MARK) from a packet's raw
// conntrack attributes.
func ConnMark(ct []byte) (uint32, bool) {
	for off := 0; off+4 <= len(ct); {
		l := int(binary.NativeEndian.Uint16(ct[off:]))
		typ := binary.NativeEndian.Uint16(ct[off+2:]) & typeMask
		if l < 4 || l > len(ct)-off {
			return 0, false
		}
		if typ == ctaMark && l == 8 {
			return binary.BigEndian.Uint32(ct[off+4:]), true
		}
		off += (l + 3) &^ 3
	}
	return 0, false
}

// CloneBytes replaces the byte slices f points at with copies.
func (f *Fields) CloneBytes() {
	*f.HWAddr = Clone(*f.HWAddr)
	*f.Payload = Clone(*f.Payload)
	*f.L2Header = Clone(*f.L2Header)
	*f.CT = Clone(*f.CT)
}

// Clone returns a copy of b (nil stays nil).
func Clone[S ~[]byte](b S) S {
	if b == nil {
		return nil
	}
	return append(S(nil), b...)
}
