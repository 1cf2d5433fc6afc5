package route

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// VxlanInfo is the data of a vxlan link (IFLA_VXLAN_*). Optional fields
// are pointers (nil: not sent, or not reported).
type VxlanInfo struct {
	// VNI is the VXLAN network identifier (IFLA_VXLAN_ID), always sent.
	VNI uint32
	// Group is the multicast group or the remote unicast endpoint
	// (IFLA_VXLAN_GROUP or IFLA_VXLAN_GROUP6, by its family).
	Group netip.Addr
	// Local is the source address (IFLA_VXLAN_LOCAL or LOCAL6).
	Local netip.Addr
	// Link is the index of the device to send through (IFLA_VXLAN_LINK).
	Link uint32
	// Port is the UDP destination port (IFLA_VXLAN_PORT, big-endian on
	// the wire); 0 leaves the kernel's default (8472).
	Port uint16
	// PortLow and PortHigh bound the UDP source port (IFLA_VXLAN_PORT_RANGE).
	PortLow, PortHigh uint16
	TTL               *uint8
	TTLInherit        *bool
	TOS               *uint8
	Label             *uint32
	DF                *uint8
	Learning          *bool
	// Ageing is the FDB entry lifetime (seconds on the wire).
	Ageing *time.Duration
	// Limit caps the number of FDB entries (0: no limit).
	Limit                      *uint32
	Proxy, RSC                 *bool
	L2Miss, L3Miss             *bool
	CollectMetadata            *bool
	UDPCsum                    *bool
	UDPZeroCsum6Tx             *bool
	UDPZeroCsum6Rx             *bool
	RemCsumTx, RemCsumRx       *bool
	GBP, GPE, RemCsumNoPartial bool
	VNIFilter                  *bool
	LocalBypass                *bool
}

// The vxlan attributes newer than golang.org/x/sys here.
const (
	vxlanAttrVNIFilter   = 30
	vxlanAttrLocalBypass = 31
)

// Kind returns "vxlan".
func (*VxlanInfo) Kind() string { return "vxlan" }

// EncodeInfo writes the IFLA_VXLAN_* attributes.
func (v *VxlanInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint32(unix.IFLA_VXLAN_ID, v.VNI)
	if v.Group.IsValid() {
		if v.Group.Is4() {
			e.Addr(unix.IFLA_VXLAN_GROUP, v.Group)
		} else {
			e.Addr(unix.IFLA_VXLAN_GROUP6, v.Group)
		}
	}
	if v.Local.IsValid() {
		if v.Local.Is4() {
			e.Addr(unix.IFLA_VXLAN_LOCAL, v.Local)
		} else {
			e.Addr(unix.IFLA_VXLAN_LOCAL6, v.Local)
		}
	}
	if v.Link != 0 {
		e.Uint32(unix.IFLA_VXLAN_LINK, v.Link)
	}
	if v.Port != 0 {
		kindPutBE16(e, unix.IFLA_VXLAN_PORT, v.Port)
	}
	if v.PortLow != 0 || v.PortHigh != 0 {
		e.Binary(unix.IFLA_VXLAN_PORT_RANGE, []byte{byte(v.PortLow >> 8), byte(v.PortLow), byte(v.PortHigh >> 8), byte(v.PortHigh)})
	}
	kindPutU8(e, unix.IFLA_VXLAN_TTL, v.TTL)
	kindPutBool(e, unix.IFLA_VXLAN_TTL_INHERIT, v.TTLInherit)
	kindPutU8(e, unix.IFLA_VXLAN_TOS, v.TOS)
	if v.Label != nil {
		e.Binary(unix.IFLA_VXLAN_LABEL, binary.BigEndian.AppendUint32(nil, *v.Label))
	}
	kindPutU8(e, unix.IFLA_VXLAN_DF, v.DF)
	kindPutBool(e, unix.IFLA_VXLAN_LEARNING, v.Learning)
	if v.Ageing != nil {
		e.Uint32(unix.IFLA_VXLAN_AGEING, uint32(*v.Ageing/time.Second))
	}
	kindPutU32(e, unix.IFLA_VXLAN_LIMIT, v.Limit)
	kindPutBool(e, unix.IFLA_VXLAN_PROXY, v.Proxy)
	kindPutBool(e, unix.IFLA_VXLAN_RSC, v.RSC)
	kindPutBool(e, unix.IFLA_VXLAN_L2MISS, v.L2Miss)
	kindPutBool(e, unix.IFLA_VXLAN_L3MISS, v.L3Miss)
	kindPutBool(e, unix.IFLA_VXLAN_COLLECT_METADATA, v.CollectMetadata)
	kindPutBool(e, unix.IFLA_VXLAN_UDP_CSUM, v.UDPCsum)
	kindPutBool(e, unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX, v.UDPZeroCsum6Tx)
	kindPutBool(e, unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX, v.UDPZeroCsum6Rx)
	kindPutBool(e, unix.IFLA_VXLAN_REMCSUM_TX, v.RemCsumTx)
	kindPutBool(e, unix.IFLA_VXLAN_REMCSUM_RX, v.RemCsumRx)
	if v.GBP {
		e.Flag(unix.IFLA_VXLAN_GBP)
	}
	if v.GPE {
		e.Flag(unix.IFLA_VXLAN_GPE)
	}
	if v.RemCsumNoPartial {
		e.Flag(unix.IFLA_VXLAN_REMCSUM_NOPARTIAL)
	}
	kindPutBool(e, vxlanAttrVNIFilter, v.VNIFilter)
	kindPutBool(e, vxlanAttrLocalBypass, v.LocalBypass)
	return nil
}

// DecodeInfo reads IFLA_VXLAN_* attributes.
func (v *VxlanInfo) DecodeInfo(data []byte) error {
	*v = VxlanInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_VXLAN_ID:
			v.VNI = s.Uint32()
		case unix.IFLA_VXLAN_GROUP, unix.IFLA_VXLAN_GROUP6:
			v.Group = s.Addr()
		case unix.IFLA_VXLAN_LOCAL, unix.IFLA_VXLAN_LOCAL6:
			v.Local = s.Addr()
		case unix.IFLA_VXLAN_LINK:
			v.Link = s.Uint32()
		case unix.IFLA_VXLAN_PORT:
			v.Port = kindBE16(&s)
		case unix.IFLA_VXLAN_PORT_RANGE:
			d := s.Bytes()
			if len(d) != 4 {
				s.Fail(&core.AttrError{Type: unix.IFLA_VXLAN_PORT_RANGE, Kind: "ifla_vxlan_port_range", Len: len(d), Want: 4})
				break
			}
			v.PortLow = binary.BigEndian.Uint16(d)
			v.PortHigh = binary.BigEndian.Uint16(d[2:])
		case unix.IFLA_VXLAN_TTL:
			v.TTL = kindU8(&s)
		case unix.IFLA_VXLAN_TTL_INHERIT:
			v.TTLInherit = kindBool(&s)
		case unix.IFLA_VXLAN_TOS:
			v.TOS = kindU8(&s)
		case unix.IFLA_VXLAN_LABEL:
			d := s.Bytes()
			if len(d) != 4 {
				s.Fail(&core.AttrError{Type: unix.IFLA_VXLAN_LABEL, Kind: "be32", Len: len(d), Want: 4})
				break
			}
			v.Label = Ptr(binary.BigEndian.Uint32(d))
		case unix.IFLA_VXLAN_DF:
			v.DF = kindU8(&s)
		case unix.IFLA_VXLAN_LEARNING:
			v.Learning = kindBool(&s)
		case unix.IFLA_VXLAN_AGEING:
			v.Ageing = Ptr(time.Duration(s.Uint32()) * time.Second)
		case unix.IFLA_VXLAN_LIMIT:
			v.Limit = kindU32(&s)
		case unix.IFLA_VXLAN_PROXY:
			v.Proxy = kindBool(&s)
		case unix.IFLA_VXLAN_RSC:
			v.RSC = kindBool(&s)
		case unix.IFLA_VXLAN_L2MISS:
			v.L2Miss = kindBool(&s)
		case unix.IFLA_VXLAN_L3MISS:
			v.L3Miss = kindBool(&s)
		case unix.IFLA_VXLAN_COLLECT_METADATA:
			v.CollectMetadata = kindBool(&s)
		case unix.IFLA_VXLAN_UDP_CSUM:
			v.UDPCsum = kindBool(&s)
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_TX:
			v.UDPZeroCsum6Tx = kindBool(&s)
		case unix.IFLA_VXLAN_UDP_ZERO_CSUM6_RX:
			v.UDPZeroCsum6Rx = kindBool(&s)
		case unix.IFLA_VXLAN_REMCSUM_TX:
			v.RemCsumTx = kindBool(&s)
		case unix.IFLA_VXLAN_REMCSUM_RX:
			v.RemCsumRx = kindBool(&s)
		case unix.IFLA_VXLAN_GBP:
			v.GBP = true
		case unix.IFLA_VXLAN_GPE:
			v.GPE = true
		case unix.IFLA_VXLAN_REMCSUM_NOPARTIAL:
			v.RemCsumNoPartial = true
		case vxlanAttrVNIFilter:
			v.VNIFilter = kindBool(&s)
		case vxlanAttrLocalBypass:
			v.LocalBypass = kindBool(&s)
		}
	}
	return s.Err()
}

// MarshalJSON prints the data with `ip -j -d` names.
func (v *VxlanInfo) MarshalJSON() ([]byte, error) {
	j := kindJSON{"id": v.VNI, "port": v.Port,
		"port_range": map[string]uint16{"low": v.PortLow, "high": v.PortHigh}}
	if v.Group.IsValid() {
		if v.Group.IsMulticast() {
			j["group"] = v.Group.String()
		} else {
			j["remote"] = v.Group.String()
		}
	}
	if v.Local.IsValid() {
		j["local"] = v.Local.String()
	}
	if v.Link != 0 {
		j["link"] = v.Link
	}
	for k, p := range map[string]*bool{
		"learning": v.Learning, "proxy": v.Proxy, "rsc": v.RSC, "l2miss": v.L2Miss,
		"l3miss": v.L3Miss, "external": v.CollectMetadata, "udp_csum": v.UDPCsum,
		"udp_zero_csum6_tx": v.UDPZeroCsum6Tx, "udp_zero_csum6_rx": v.UDPZeroCsum6Rx,
		"remcsum_tx": v.RemCsumTx, "remcsum_rx": v.RemCsumRx, "vnifilter": v.VNIFilter,
		"localbypass": v.LocalBypass, "ttl_inherit": v.TTLInherit,
	} {
		if p != nil {
			j[k] = *p
		}
	}
	j.opt("ttl", v.TTL)
	j.opt("tos", v.TOS)
	j.opt("limit", v.Limit)
	if v.Ageing != nil {
		j["ageing"] = int64(*v.Ageing / time.Second)
	}
	return json.Marshal(j)
}
