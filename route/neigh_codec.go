package route

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The NDA_* attributes x/sys/unix lacks (linux/neighbour.h).
const (
	ndaProtocol = 12 // NDA_PROTOCOL, u8
	ndaNHID     = 13 // NDA_NH_ID, u32
	ndaFlagsExt = 15 // NDA_FLAGS_EXT, u32
)

// neighHeaderLen is sizeof(struct ndmsg).
const neighHeaderLen = unix.SizeofNdMsg

// Unmarshal decodes an RTM_NEWNEIGH payload (struct ndmsg and NDA_*
// attributes) into n. It reuses n's LLAddr storage, so a value that is
// decoded into again must not be kept by reference. Unknown attributes
// are ignored.
func (n *Neigh) Unmarshal(data []byte) error {
	if len(data) < neighHeaderLen {
		return roShort("ndmsg", len(data), neighHeaderLen)
	}
	ll := n.LLAddr[:0]
	*n = Neigh{
		Family:  Family(data[0]),
		Ifindex: int32(roU32(data[4:])),
		State:   NeighState(roU16(data[8:])),
		Flags:   NeighFlags(data[10]),
		Type:    data[11],
		LLAddr:  ll, // empty, keeping its storage for the next decode
	}
	s := core.ScanAttrs(data[neighHeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.NDA_DST:
			a := s.Attr()
			if len(a.Data) == 4 || len(a.Data) == 16 {
				n.Dst = s.Addr()
			}
		case unix.NDA_LLADDR:
			n.LLAddr = append(ll, s.Bytes()...)
		case unix.NDA_CACHEINFO:
			b := s.Bytes()
			if len(b) < 16 {
				s.Fail(&core.AttrError{Type: unix.NDA_CACHEINFO, Kind: "nda_cacheinfo", Len: len(b), Want: 16})
				break
			}
			n.Cache = NeighCacheInfo{
				Confirmed: roTicks(roU32(b)),
				Used:      roTicks(roU32(b[4:])),
				Updated:   roTicks(roU32(b[8:])),
				RefCount:  roU32(b[12:]),
			}
		case unix.NDA_PROBES:
			n.Probes = s.Uint32()
		case unix.NDA_VLAN:
			n.VLAN = s.Uint16()
		case unix.NDA_PORT:
			b := s.Bytes()
			if len(b) != 2 {
				s.Fail(&core.AttrError{Type: unix.NDA_PORT, Kind: "be16", Len: len(b), Want: 2})
				break
			}
			n.Port = binary.BigEndian.Uint16(b)
		case unix.NDA_VNI:
			n.VNI = s.Uint32()
		case unix.NDA_SRC_VNI:
			n.SrcVNI = s.Uint32()
		case unix.NDA_IFINDEX:
			n.Via = int32(s.Uint32())
		case unix.NDA_MASTER:
			n.Master = int32(s.Uint32())
		case unix.NDA_LINK_NETNSID:
			n.LinkNetNSID, n.HasLinkNetNSID = s.Int32(), true
		case ndaProtocol:
			n.Protocol = Protocol(s.Uint8())
		case ndaNHID:
			n.NexthopID = s.Uint32()
		case ndaFlagsExt:
			n.Flags |= NeighFlags(s.Uint32()) << 8
		}
	}
	return s.Err()
}

// Marshal appends n as an RTM_NEWNEIGH/RTM_DELNEIGH payload to b: struct
// ndmsg and the attributes that are set (read-only ones, cache info and
// probes, are left out).
func (n *Neigh) Marshal(b []byte) ([]byte, error) {
	var h [neighHeaderLen]byte
	h[0] = byte(n.Family)
	binary.NativeEndian.PutUint32(h[4:], uint32(n.Ifindex))
	binary.NativeEndian.PutUint16(h[8:], uint16(n.State))
	h[10] = byte(n.Flags)
	h[11] = n.Type
	var e core.AttrEncoder
	e.Raw(h[:])
	if n.Dst.IsValid() {
		e.Addr(unix.NDA_DST, n.Dst.Unmap())
	}
	if len(n.LLAddr) > 0 {
		e.Binary(unix.NDA_LLADDR, n.LLAddr)
	}
	if n.VLAN != 0 {
		e.Uint16(unix.NDA_VLAN, n.VLAN)
	}
	if n.Port != 0 {
		e.Binary(unix.NDA_PORT, binary.BigEndian.AppendUint16(nil, n.Port))
	}
	if n.VNI != 0 {
		e.Uint32(unix.NDA_VNI, n.VNI)
	}
	if n.SrcVNI != 0 {
		e.Uint32(unix.NDA_SRC_VNI, n.SrcVNI)
	}
	if n.Via != 0 {
		e.Uint32(unix.NDA_IFINDEX, uint32(n.Via))
	}
	if n.Master != 0 {
		e.Uint32(unix.NDA_MASTER, uint32(n.Master))
	}
	if n.HasLinkNetNSID {
		e.Uint32(unix.NDA_LINK_NETNSID, uint32(n.LinkNetNSID))
	}
	if n.Protocol != 0 {
		e.Uint8(ndaProtocol, uint8(n.Protocol))
	}
	if n.NexthopID != 0 {
		e.Uint32(ndaNHID, n.NexthopID)
	}
	if ext := uint32(n.Flags >> 8); ext != 0 {
		e.Uint32(ndaFlagsExt, ext)
	}
	return append(b, e.Bytes()...), nil
}

// neighFamilyOf is the family of a neighbour address.
func neighFamilyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return FamilyInet
	}
	return FamilyInet6
}
