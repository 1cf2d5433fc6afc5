package route

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The NHA_* attributes x/sys/unix lacks (linux/nexthop.h).
const (
	nhaFDB      = 11 // NHA_FDB, flag
	nhaResGroup = 12 // NHA_RES_GROUP, nested NHA_RES_GROUP_*

	nhaResGroupBuckets         = 1 // u16
	nhaResGroupIdleTimer       = 2 // u32, clock_t
	nhaResGroupUnbalancedTimer = 3 // u32, clock_t
	nhaResGroupUnbalancedTime  = 4 // u64, clock_t
)

// nexthopHeaderLen is sizeof(struct nhmsg); nexthopGrpLen is
// sizeof(struct nexthop_grp).
const (
	nexthopHeaderLen = 8
	nexthopGrpLen    = 8
)

// Unmarshal decodes an RTM_NEWNEXTHOP payload (struct nhmsg and NHA_*
// attributes) into nh. It reuses nh's Group, Resilient and Encap storage,
// so a value that is decoded into again must not be kept by reference.
// Unknown attributes are ignored.
func (nh *Nexthop) Unmarshal(data []byte) error {
	if len(data) < nexthopHeaderLen {
		return roShort("nhmsg", len(data), nexthopHeaderLen)
	}
	grp, res, encap := nh.Group[:0], nh.Resilient, nh.Encap[:0]
	if res == nil {
		res = nh.resSpare
	}
	*nh = Nexthop{
		Family:   Family(data[0]),
		Scope:    Scope(data[1]),
		Protocol: Protocol(data[2]),
		Flags:    NexthopFlags(roU32(data[4:])),
		Group:    grp,   // empty, keeping its storage
		Encap:    encap, // the same
		resSpare: res,
	}
	s := core.ScanAttrs(data[nexthopHeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.NHA_ID:
			nh.ID = s.Uint32()
		case unix.NHA_GROUP:
			b := s.Bytes()
			if len(b)%nexthopGrpLen != 0 {
				s.Fail(&core.AttrError{Type: unix.NHA_GROUP, Kind: "nexthop_grp array", Len: len(b), Want: -1, Detail: "not a multiple of 8 bytes"})
				break
			}
			for ; len(b) >= nexthopGrpLen; b = b[nexthopGrpLen:] {
				w := uint32(b[4]) | uint32(b[5])<<8
				grp = append(grp, NexthopGroupMember{ID: roU32(b), Weight: w + 1})
			}
			nh.Group = grp
		case unix.NHA_GROUP_TYPE:
			nh.GroupType = NexthopGroupType(s.Uint16())
		case unix.NHA_BLACKHOLE:
			nh.Blackhole = s.Flag()
		case unix.NHA_OIF:
			nh.Ifindex = int32(s.Uint32())
		case unix.NHA_GATEWAY:
			nh.Gateway = s.Addr()
		case unix.NHA_ENCAP_TYPE:
			nh.EncapType = s.Uint16()
		case unix.NHA_ENCAP:
			nh.Encap = append(encap, s.Bytes()...)
		case nhaFDB:
			nh.FDB = s.Flag()
		case nhaResGroup:
			if res == nil {
				res = new(NexthopResilient)
			}
			*res = NexthopResilient{}
			n := s.Nested()
			for n.Next() {
				switch n.Type() {
				case nhaResGroupBuckets:
					res.Buckets = n.Uint16()
				case nhaResGroupIdleTimer:
					res.IdleTimer = roTicks(n.Uint32())
				case nhaResGroupUnbalancedTimer:
					res.UnbalancedTimer = roTicks(n.Uint32())
				case nhaResGroupUnbalancedTime:
					res.UnbalancedTime = time.Duration(n.Uint64()) * 10 * time.Millisecond
				}
			}
			s.Fail(n.Err())
			nh.Resilient, nh.resSpare = res, res
		}
	}
	return s.Err()
}

var errNexthopWeight = errors.New("route: nexthop group weight beyond 65536")

// Marshal appends nh as an RTM_NEWNEXTHOP payload to b: struct nhmsg and
// the attributes that are set.
func (nh *Nexthop) Marshal(b []byte) ([]byte, error) {
	var h [nexthopHeaderLen]byte
	h[0] = byte(nh.Family)
	h[1] = byte(nh.Scope)
	h[2] = byte(nh.Protocol)
	binary.NativeEndian.PutUint32(h[4:], uint32(nh.Flags))
	var e core.AttrEncoder
	e.Raw(h[:])
	if nh.ID != 0 {
		e.Uint32(unix.NHA_ID, nh.ID)
	}
	if len(nh.Group) > 0 {
		v := make([]byte, 0, nexthopGrpLen*len(nh.Group))
		for _, m := range nh.Group {
			w := nexthopWeight(m.Weight)
			if w > 1<<16 {
				return b, errNexthopWeight
			}
			w--
			v = binary.NativeEndian.AppendUint32(v, m.ID)
			v = append(v, byte(w), byte(w>>8), 0, 0)
		}
		e.Binary(unix.NHA_GROUP, v)
		e.Uint16(unix.NHA_GROUP_TYPE, uint16(nh.GroupType))
	}
	if nh.Blackhole {
		e.Flag(unix.NHA_BLACKHOLE)
	}
	if nh.Ifindex != 0 {
		e.Uint32(unix.NHA_OIF, uint32(nh.Ifindex))
	}
	if nh.Gateway.IsValid() {
		e.Addr(unix.NHA_GATEWAY, nh.Gateway.Unmap())
	}
	if nh.EncapType != 0 {
		e.Uint16(unix.NHA_ENCAP_TYPE, nh.EncapType)
		e.Binary(unix.NHA_ENCAP|core.AttrNested, nh.Encap)
	}
	if nh.FDB {
		e.Flag(nhaFDB)
	}
	if r := nh.Resilient; r != nil {
		n := e.NestStart(nhaResGroup | core.AttrNested)
		if r.Buckets != 0 {
			e.Uint16(nhaResGroupBuckets, r.Buckets)
		}
		if r.IdleTimer != 0 {
			e.Uint32(nhaResGroupIdleTimer, roToTicks(r.IdleTimer))
		}
		if r.UnbalancedTimer != 0 {
			e.Uint32(nhaResGroupUnbalancedTimer, roToTicks(r.UnbalancedTimer))
		}
		if err := e.NestEnd(n); err != nil {
			return b, err
		}
	}
	return append(b, e.Bytes()...), nil
}
