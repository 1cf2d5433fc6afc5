package route

import (
	"encoding/binary"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// VlanQoSMap maps one priority to another (struct ifla_vlan_qos_mapping).
type VlanQoSMap struct {
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
}

// VlanInfo is the data of an 802.1Q/802.1ad VLAN link (IFLA_VLAN_*). The
// parent device is Link.ParentIndex.
type VlanInfo struct {
	// ID is the VLAN ID (IFLA_VLAN_ID), always sent.
	ID uint16 `json:"id"`
	// Protocol is 0x8100 (802.1Q) or 0x88a8 (802.1ad); 0 leaves the
	// default.
	Protocol uint16 `json:"protocol,omitempty"`
	// Flags and FlagsMask are VLAN_FLAG_* bits (REORDER_HDR 1, GVRP 2,
	// LOOSE_BINDING 4, MVRP 8, BRIDGE_BINDING 16), sent when FlagsMask is
	// not 0.
	Flags     uint32 `json:"flags,omitempty"`
	FlagsMask uint32 `json:"-"`
	// EgressQoS and IngressQoS are the priority maps.
	EgressQoS  []VlanQoSMap `json:"egress_qos,omitempty"`
	IngressQoS []VlanQoSMap `json:"ingress_qos,omitempty"`
}

// Kind returns "vlan".
func (*VlanInfo) Kind() string { return "vlan" }

// EncodeInfo writes the IFLA_VLAN_* attributes.
func (v *VlanInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint16(unix.IFLA_VLAN_ID, v.ID)
	if v.Protocol != 0 {
		kindPutBE16(e, unix.IFLA_VLAN_PROTOCOL, v.Protocol)
	}
	if v.FlagsMask != 0 {
		b := binary.NativeEndian.AppendUint32(nil, v.Flags)
		e.Binary(unix.IFLA_VLAN_FLAGS, binary.NativeEndian.AppendUint32(b, v.FlagsMask))
	}
	for _, q := range []struct {
		t uint16
		m []VlanQoSMap
	}{{unix.IFLA_VLAN_EGRESS_QOS, v.EgressQoS}, {unix.IFLA_VLAN_INGRESS_QOS, v.IngressQoS}} {
		if len(q.m) == 0 {
			continue
		}
		n := e.NestStart(q.t)
		for _, m := range q.m {
			b := binary.NativeEndian.AppendUint32(nil, m.From)
			e.Binary(unix.IFLA_VLAN_QOS_MAPPING, binary.NativeEndian.AppendUint32(b, m.To))
		}
		if err := e.NestEnd(n); err != nil {
			return err
		}
	}
	return nil
}

// DecodeInfo reads IFLA_VLAN_* attributes.
func (v *VlanInfo) DecodeInfo(data []byte) error {
	*v = VlanInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_VLAN_ID:
			v.ID = s.Uint16()
		case unix.IFLA_VLAN_PROTOCOL:
			v.Protocol = kindBE16(&s)
		case unix.IFLA_VLAN_FLAGS:
			d := s.Bytes()
			if len(d) != 8 {
				s.Fail(&core.AttrError{Type: unix.IFLA_VLAN_FLAGS, Kind: "ifla_vlan_flags", Len: len(d), Want: 8})
				break
			}
			v.Flags, v.FlagsMask = binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:])
		case unix.IFLA_VLAN_EGRESS_QOS, unix.IFLA_VLAN_INGRESS_QOS:
			var m []VlanQoSMap
			n := s.Nested()
			for n.Next() {
				d := n.Bytes()
				if n.Type() != unix.IFLA_VLAN_QOS_MAPPING {
					continue
				}
				if len(d) != 8 {
					n.Fail(&core.AttrError{Type: unix.IFLA_VLAN_QOS_MAPPING, Kind: "ifla_vlan_qos_mapping", Len: len(d), Want: 8})
					break
				}
				m = append(m, VlanQoSMap{binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:])})
			}
			s.Fail(n.Err())
			if s.Type() == unix.IFLA_VLAN_EGRESS_QOS {
				v.EgressQoS = m
			} else {
				v.IngressQoS = m
			}
		}
	}
	return s.Err()
}

// IPVlanInfo is the data of an ipvlan or ipvtap link (IFLA_IPVLAN_*).
type IPVlanInfo struct {
	// Tap makes the kind "ipvtap".
	Tap bool `json:"-"`
	// Mode is 0 (l2), 1 (l3) or 2 (l3s).
	Mode uint16 `json:"mode"`
	// Flags: 0 bridge, 1 private, 2 vepa.
	Flags uint16 `json:"flags"`
}

// Kind returns "ipvlan" or "ipvtap".
func (v *IPVlanInfo) Kind() string {
	if v.Tap {
		return "ipvtap"
	}
	return "ipvlan"
}

// EncodeInfo writes IFLA_IPVLAN_MODE and IFLA_IPVLAN_FLAGS.
func (v *IPVlanInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint16(unix.IFLA_IPVLAN_MODE, v.Mode)
	e.Uint16(unix.IFLA_IPVLAN_FLAGS, v.Flags)
	return nil
}

// DecodeInfo reads IFLA_IPVLAN_* attributes (Tap is kept).
func (v *IPVlanInfo) DecodeInfo(data []byte) error {
	*v = IPVlanInfo{Tap: v.Tap}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_IPVLAN_MODE:
			v.Mode = s.Uint16()
		case unix.IFLA_IPVLAN_FLAGS:
			v.Flags = s.Uint16()
		}
	}
	return s.Err()
}
