package route

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The IFLA_GRE_* and IFLA_IPTUN_* attributes (linux/if_tunnel.h), which
// golang.org/x/sys does not define.
const (
	greLink            = 1
	greIFlags          = 2
	greOFlags          = 3
	greIKey            = 4
	greOKey            = 5
	greLocal           = 6
	greRemote          = 7
	greTTL             = 8
	greTOS             = 9
	grePMTUDisc        = 10
	greEncapLimit      = 11
	greFlowInfo        = 12
	greFlags           = 13
	greCollectMetadata = 18
	greIgnoreDF        = 19
	greFwmark          = 20

	iptunLink            = 1
	iptunLocal           = 2
	iptunRemote          = 3
	iptunTTL             = 4
	iptunTOS             = 5
	iptunEncapLimit      = 6
	iptunFlowInfo        = 7
	iptunFlags           = 8
	iptunProto           = 9
	iptunPMTUDisc        = 10
	iptunCollectMetadata = 19
	iptunFwmark          = 20
)

// The GRE header flags of GreInfo.IFlags and OFlags (big-endian on the
// wire, host order here).
const (
	GreCsum uint16 = 0x8000
	GreKey  uint16 = 0x2000
	GreSeq  uint16 = 0x1000
)

// GreInfo is the data of a gre, gretap, ip6gre or ip6gretap link
// (IFLA_GRE_*).
type GreInfo struct {
	// Name is the kind: "gre", "gretap", "ip6gre" or "ip6gretap".
	Name string `json:"-"`
	// Link is the underlying device's index.
	Link uint32 `json:"link,omitempty"`
	// IFlags and OFlags are the GRE_* header flags for input and output;
	// IKey and OKey the keys (GreKey set).
	IFlags uint16 `json:"iflags,omitempty"`
	OFlags uint16 `json:"oflags,omitempty"`
	IKey   uint32 `json:"ikey,omitempty"`
	OKey   uint32 `json:"okey,omitempty"`
	// Local and Remote are the tunnel endpoints.
	Local  netip.Addr `json:"local,omitzero"`
	Remote netip.Addr `json:"remote,omitzero"`
	TTL    uint8      `json:"ttl"`
	TOS    uint8      `json:"tos,omitempty"`
	// PMTUDisc is path MTU discovery (1 on), when not nil.
	PMTUDisc *uint8 `json:"pmtudisc,omitempty"`
	// EncapLimit, FlowInfo and Flags are IPv6 tunnel settings.
	EncapLimit      *uint8 `json:"encap_limit,omitempty"`
	FlowInfo        uint32 `json:"flowinfo,omitempty"`
	Flags           uint32 `json:"flags,omitempty"`
	CollectMetadata bool   `json:"external,omitempty"`
	IgnoreDF        *uint8 `json:"ignore_df,omitempty"`
	Fwmark          uint32 `json:"fwmark,omitempty"`
}

// Kind returns Name ("gre" when empty).
func (g *GreInfo) Kind() string {
	if g.Name == "" {
		return "gre"
	}
	return g.Name
}

func kindPutBE32(e *core.AttrEncoder, t uint16, v uint32) {
	e.Binary(t, binary.BigEndian.AppendUint32(nil, v))
}

func kindBE32(s *core.AttrScanner) uint32 {
	a := s.Attr()
	if len(a.Data) != 4 {
		s.Fail(&core.AttrError{Type: a.Type, Kind: "be32", Len: len(a.Data), Want: 4})
		return 0
	}
	return binary.BigEndian.Uint32(a.Data)
}

// EncodeInfo writes the IFLA_GRE_* attributes.
func (g *GreInfo) EncodeInfo(e *core.AttrEncoder) error {
	if g.Link != 0 {
		e.Uint32(greLink, g.Link)
	}
	kindPutBE16(e, greIFlags, g.IFlags)
	kindPutBE16(e, greOFlags, g.OFlags)
	if g.IKey != 0 {
		kindPutBE32(e, greIKey, g.IKey)
	}
	if g.OKey != 0 {
		kindPutBE32(e, greOKey, g.OKey)
	}
	kindPutAddr(e, greLocal, g.Local)
	kindPutAddr(e, greRemote, g.Remote)
	e.Uint8(greTTL, g.TTL)
	e.Uint8(greTOS, g.TOS)
	kindPutU8(e, grePMTUDisc, g.PMTUDisc)
	kindPutU8(e, greEncapLimit, g.EncapLimit)
	if g.FlowInfo != 0 {
		kindPutBE32(e, greFlowInfo, g.FlowInfo)
	}
	if g.Flags != 0 {
		e.Uint32(greFlags, g.Flags)
	}
	if g.CollectMetadata {
		e.Flag(greCollectMetadata)
	}
	kindPutU8(e, greIgnoreDF, g.IgnoreDF)
	if g.Fwmark != 0 {
		e.Uint32(greFwmark, g.Fwmark)
	}
	return nil
}

// DecodeInfo reads IFLA_GRE_* attributes (Name is kept).
func (g *GreInfo) DecodeInfo(data []byte) error {
	*g = GreInfo{Name: g.Name}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case greLink:
			g.Link = s.Uint32()
		case greIFlags:
			g.IFlags = kindBE16(&s)
		case greOFlags:
			g.OFlags = kindBE16(&s)
		case greIKey:
			g.IKey = kindBE32(&s)
		case greOKey:
			g.OKey = kindBE32(&s)
		case greLocal:
			g.Local = s.Addr()
		case greRemote:
			g.Remote = s.Addr()
		case greTTL:
			g.TTL = s.Uint8()
		case greTOS:
			g.TOS = s.Uint8()
		case grePMTUDisc:
			g.PMTUDisc = kindU8(&s)
		case greEncapLimit:
			g.EncapLimit = kindU8(&s)
		case greFlowInfo:
			g.FlowInfo = kindBE32(&s)
		case greFlags:
			g.Flags = s.Uint32()
		case greCollectMetadata:
			g.CollectMetadata = true
		case greIgnoreDF:
			g.IgnoreDF = kindU8(&s)
		case greFwmark:
			g.Fwmark = s.Uint32()
		}
	}
	return s.Err()
}

// IPTunInfo is the data of an ipip, sit or ip6tnl link (IFLA_IPTUN_*).
type IPTunInfo struct {
	// Name is the kind: "ipip", "sit" or "ip6tnl".
	Name   string     `json:"-"`
	Link   uint32     `json:"link,omitempty"`
	Local  netip.Addr `json:"local,omitzero"`
	Remote netip.Addr `json:"remote,omitzero"`
	TTL    uint8      `json:"ttl"`
	TOS    uint8      `json:"tos,omitempty"`
	// EncapLimit, FlowInfo and Flags are ip6tnl settings (Flags is also
	// sit's 16-bit ISATAP flag word).
	EncapLimit *uint8 `json:"encap_limit,omitempty"`
	FlowInfo   uint32 `json:"flowinfo,omitempty"`
	Flags      uint32 `json:"flags,omitempty"`
	// Proto is the inner protocol (IPPROTO_IPIP, IPPROTO_IPV6, 0 any).
	Proto           *uint8 `json:"proto,omitempty"`
	PMTUDisc        *uint8 `json:"pmtudisc,omitempty"`
	CollectMetadata bool   `json:"external,omitempty"`
	Fwmark          uint32 `json:"fwmark,omitempty"`
}

// Kind returns Name ("ipip" when empty).
func (t *IPTunInfo) Kind() string {
	if t.Name == "" {
		return "ipip"
	}
	return t.Name
}

// EncodeInfo writes the IFLA_IPTUN_* attributes.
func (t *IPTunInfo) EncodeInfo(e *core.AttrEncoder) error {
	if t.Link != 0 {
		e.Uint32(iptunLink, t.Link)
	}
	kindPutAddr(e, iptunLocal, t.Local)
	kindPutAddr(e, iptunRemote, t.Remote)
	e.Uint8(iptunTTL, t.TTL)
	e.Uint8(iptunTOS, t.TOS)
	kindPutU8(e, iptunEncapLimit, t.EncapLimit)
	if t.FlowInfo != 0 {
		kindPutBE32(e, iptunFlowInfo, t.FlowInfo)
	}
	if t.Flags != 0 {
		if t.Kind() == "sit" {
			e.Uint16(iptunFlags, uint16(t.Flags))
		} else {
			e.Uint32(iptunFlags, t.Flags)
		}
	}
	kindPutU8(e, iptunProto, t.Proto)
	kindPutU8(e, iptunPMTUDisc, t.PMTUDisc)
	if t.CollectMetadata {
		e.Flag(iptunCollectMetadata)
	}
	if t.Fwmark != 0 {
		e.Uint32(iptunFwmark, t.Fwmark)
	}
	return nil
}

// DecodeInfo reads IFLA_IPTUN_* attributes (Name is kept).
func (t *IPTunInfo) DecodeInfo(data []byte) error {
	*t = IPTunInfo{Name: t.Name}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case iptunLink:
			t.Link = s.Uint32()
		case iptunLocal:
			t.Local = s.Addr()
		case iptunRemote:
			t.Remote = s.Addr()
		case iptunTTL:
			t.TTL = s.Uint8()
		case iptunTOS:
			t.TOS = s.Uint8()
		case iptunEncapLimit:
			t.EncapLimit = kindU8(&s)
		case iptunFlowInfo:
			t.FlowInfo = kindBE32(&s)
		case iptunFlags:
			t.Flags = uint32(s.Uint())
		case iptunProto:
			t.Proto = kindU8(&s)
		case iptunPMTUDisc:
			t.PMTUDisc = kindU8(&s)
		case iptunCollectMetadata:
			t.CollectMetadata = true
		case iptunFwmark:
			t.Fwmark = s.Uint32()
		}
	}
	return s.Err()
}

// GeneveInfo is the data of a geneve link (IFLA_GENEVE_*).
type GeneveInfo struct {
	// VNI is the virtual network identifier, always sent.
	VNI uint32 `json:"id"`
	// Remote is the peer (IFLA_GENEVE_REMOTE or REMOTE6 by family).
	Remote netip.Addr `json:"remote,omitzero"`
	TTL    uint8      `json:"ttl"`
	TOS    uint8      `json:"tos,omitempty"`
	// Port is the UDP destination port; 0 leaves the default (6081).
	Port            uint16 `json:"port,omitempty"`
	CollectMetadata bool   `json:"external,omitempty"`
	UDPCsum         *bool  `json:"udpcsum,omitempty"`
	UDPZeroCsum6Tx  *bool  `json:"udp6zerocsumtx,omitempty"`
	UDPZeroCsum6Rx  *bool  `json:"udp6zerocsumrx,omitempty"`
	Label           uint32 `json:"label,omitempty"`
	TTLInherit      *bool  `json:"ttl_inherit,omitempty"`
	DF              *uint8 `json:"df,omitempty"`
}

// Kind returns "geneve".
func (*GeneveInfo) Kind() string { return "geneve" }

// EncodeInfo writes the IFLA_GENEVE_* attributes.
func (g *GeneveInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint32(unix.IFLA_GENEVE_ID, g.VNI)
	if g.Remote.IsValid() {
		if g.Remote.Is4() {
			e.Addr(unix.IFLA_GENEVE_REMOTE, g.Remote)
		} else {
			e.Addr(unix.IFLA_GENEVE_REMOTE6, g.Remote)
		}
	}
	e.Uint8(unix.IFLA_GENEVE_TTL, g.TTL)
	e.Uint8(unix.IFLA_GENEVE_TOS, g.TOS)
	if g.Port != 0 {
		kindPutBE16(e, unix.IFLA_GENEVE_PORT, g.Port)
	}
	if g.CollectMetadata {
		e.Flag(unix.IFLA_GENEVE_COLLECT_METADATA)
	}
	kindPutBool(e, unix.IFLA_GENEVE_UDP_CSUM, g.UDPCsum)
	kindPutBool(e, unix.IFLA_GENEVE_UDP_ZERO_CSUM6_TX, g.UDPZeroCsum6Tx)
	kindPutBool(e, unix.IFLA_GENEVE_UDP_ZERO_CSUM6_RX, g.UDPZeroCsum6Rx)
	if g.Label != 0 {
		kindPutBE32(e, unix.IFLA_GENEVE_LABEL, g.Label)
	}
	kindPutBool(e, unix.IFLA_GENEVE_TTL_INHERIT, g.TTLInherit)
	kindPutU8(e, unix.IFLA_GENEVE_DF, g.DF)
	return nil
}

// DecodeInfo reads IFLA_GENEVE_* attributes.
func (g *GeneveInfo) DecodeInfo(data []byte) error {
	*g = GeneveInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_GENEVE_ID:
			g.VNI = s.Uint32()
		case unix.IFLA_GENEVE_REMOTE, unix.IFLA_GENEVE_REMOTE6:
			g.Remote = s.Addr()
		case unix.IFLA_GENEVE_TTL:
			g.TTL = s.Uint8()
		case unix.IFLA_GENEVE_TOS:
			g.TOS = s.Uint8()
		case unix.IFLA_GENEVE_PORT:
			g.Port = kindBE16(&s)
		case unix.IFLA_GENEVE_COLLECT_METADATA:
			g.CollectMetadata = true
		case unix.IFLA_GENEVE_UDP_CSUM:
			g.UDPCsum = kindBool(&s)
		case unix.IFLA_GENEVE_UDP_ZERO_CSUM6_TX:
			g.UDPZeroCsum6Tx = kindBool(&s)
		case unix.IFLA_GENEVE_UDP_ZERO_CSUM6_RX:
			g.UDPZeroCsum6Rx = kindBool(&s)
		case unix.IFLA_GENEVE_LABEL:
			g.Label = kindBE32(&s)
		case unix.IFLA_GENEVE_TTL_INHERIT:
			g.TTLInherit = kindBool(&s)
		case unix.IFLA_GENEVE_DF:
			g.DF = kindU8(&s)
		}
	}
	return s.Err()
}
