package route

import (
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"unsafe"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// LinkStats are the 64-bit interface counters (struct rtnl_link_stats64,
// IFLA_STATS64). A kernel that sends a shorter struct leaves the later
// fields zero.
type LinkStats struct {
	RxPackets, TxPackets             uint64
	RxBytes, TxBytes                 uint64
	RxErrors, TxErrors               uint64
	RxDropped, TxDropped             uint64
	Multicast, Collisions            uint64
	RxLengthErrors, RxOverErrors     uint64
	RxCRCErrors, RxFrameErrors       uint64
	RxFIFOErrors, RxMissedErrors     uint64
	TxAbortedErrors, TxCarrierErrors uint64
	TxFIFOErrors, TxHeartbeatErrors  uint64
	TxWindowErrors                   uint64
	RxCompressed, TxCompressed       uint64
	RxNoHandler, RxOtherhostDropped  uint64
}

// linkStatsFields is how many u64 counters LinkStats holds.
const linkStatsFields = 25

// fields lists pointers to the counters in struct rtnl_link_stats64 order.
func (s *LinkStats) fields() [linkStatsFields]*uint64 {
	return [linkStatsFields]*uint64{
		&s.RxPackets, &s.TxPackets, &s.RxBytes, &s.TxBytes, &s.RxErrors, &s.TxErrors,
		&s.RxDropped, &s.TxDropped, &s.Multicast, &s.Collisions, &s.RxLengthErrors,
		&s.RxOverErrors, &s.RxCRCErrors, &s.RxFrameErrors, &s.RxFIFOErrors,
		&s.RxMissedErrors, &s.TxAbortedErrors, &s.TxCarrierErrors, &s.TxFIFOErrors,
		&s.TxHeartbeatErrors, &s.TxWindowErrors, &s.RxCompressed, &s.TxCompressed,
		&s.RxNoHandler, &s.RxOtherhostDropped,
	}
}

// unmarshal reads struct rtnl_link_stats64 (any whole number of u64s).
func (s *LinkStats) unmarshal(b []byte) error {
	if len(b)%8 != 0 {
		return &core.AttrError{Type: unix.IFLA_STATS64, Kind: "rtnl_link_stats64", Len: len(b), Want: -1, Detail: "not a whole number of u64 counters"}
	}
	*s = LinkStats{}
	// Host-order u64s in the order of LinkStats' fields (fields lists
	// them; TestLinkStatsLayout holds the two together): the bytes are
	// the struct's memory.
	copy(unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s)), b)
	return nil
}

// MarshalJSON prints the counters the way `ip -j -s link` groups them.
func (s LinkStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]map[string]uint64{
		"rx": {"bytes": s.RxBytes, "packets": s.RxPackets, "errors": s.RxErrors,
			"dropped": s.RxDropped, "over_errors": s.RxOverErrors, "multicast": s.Multicast,
			"length_errors": s.RxLengthErrors, "crc_errors": s.RxCRCErrors,
			"frame_errors": s.RxFrameErrors, "fifo_errors": s.RxFIFOErrors,
			"missed_errors": s.RxMissedErrors, "compressed": s.RxCompressed,
			"nohandler": s.RxNoHandler, "otherhost_dropped": s.RxOtherhostDropped},
		"tx": {"bytes": s.TxBytes, "packets": s.TxPackets, "errors": s.TxErrors,
			"dropped": s.TxDropped, "carrier_errors": s.TxCarrierErrors, "collisions": s.Collisions,
			"aborted_errors": s.TxAbortedErrors, "fifo_errors": s.TxFIFOErrors,
			"window_errors": s.TxWindowErrors, "heartbeat_errors": s.TxHeartbeatErrors,
			"compressed": s.TxCompressed},
	})
}

// LinkXDP is what IFLA_XDP reports: whether and how an XDP program is
// attached (XDP_ATTACHED_*: 0 none, 1 driver, 2 generic/skb, 3 hardware, 4
// several) and the program IDs. Attaching programs is not modelled.
type LinkXDP struct {
	Attached  uint8  `json:"mode"`
	Flags     uint32 `json:"flags,omitempty"`
	ProgID    uint32 `json:"prog_id,omitempty"`
	DrvProgID uint32 `json:"drv_prog_id,omitempty"`
	SKBProgID uint32 `json:"skb_prog_id,omitempty"`
	HWProgID  uint32 `json:"hw_prog_id,omitempty"`
}

func (x *LinkXDP) unmarshal(b []byte) error {
	*x = LinkXDP{}
	s := core.ScanAttrs(b)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_XDP_ATTACHED:
			x.Attached = s.Uint8()
		case unix.IFLA_XDP_FLAGS:
			x.Flags = s.Uint32()
		case unix.IFLA_XDP_PROG_ID:
			x.ProgID = s.Uint32()
		case unix.IFLA_XDP_DRV_PROG_ID:
			x.DrvProgID = s.Uint32()
		case unix.IFLA_XDP_SKB_PROG_ID:
			x.SKBProgID = s.Uint32()
		case unix.IFLA_XDP_HW_PROG_ID:
			x.HWProgID = s.Uint32()
		}
	}
	return s.Err()
}

// LinkInet is the IPv4 data of IFLA_AF_SPEC: the per-device settings
// (IFLA_INET_CONF), indexed by IPV4_DEVCONF_* minus one.
type LinkInet struct {
	Conf []uint32 `json:"conf,omitempty"`
}

// The IPv4 device settings' indexes in LinkInet.Conf (IPV4_DEVCONF_* - 1).
const (
	InetConfForwarding   = 0
	InetConfMCForwarding = 1
	InetConfProxyARP     = 2
	InetConfRPFilter     = 7
)

// Get returns setting i (an InetConf* index) and whether the kernel sent
// it; in may be nil.
func (in *LinkInet) Get(i int) (uint32, bool) {
	if in == nil || i < 0 || i >= len(in.Conf) {
		return 0, false
	}
	return in.Conf[i], true
}

// LinkInet6 is the IPv6 data of IFLA_AF_SPEC.
type LinkInet6 struct {
	// Flags are IFLA_INET6_FLAGS (IF_RA_MANAGED, IF_READY, ...).
	Flags uint32 `json:"flags,omitempty"`
	// AddrGenMode is IFLA_INET6_ADDR_GEN_MODE (0 eui64, 1 none, 2
	// stable_secret, 3 random), when HasAddrGenMode.
	AddrGenMode    uint8 `json:"addr_gen_mode"`
	HasAddrGenMode bool  `json:"-"`
	// Conf is IFLA_INET6_CONF, indexed by DEVCONF_*.
	Conf []int32 `json:"conf,omitempty"`
	// Token is IFLA_INET6_TOKEN, the interface identifier token.
	Token netip.Addr `json:"token,omitzero"`
	// ReachableTime and RetransTime (milliseconds) and MaxReasmLen come
	// from IFLA_INET6_CACHEINFO.
	MaxReasmLen   uint32 `json:"max_reasm_len,omitempty"`
	ReachableTime uint32 `json:"reachable_time,omitempty"`
	RetransTime   uint32 `json:"retrans_time,omitempty"`
	// RAMTU is IFLA_INET6_RA_MTU, the MTU a router advertised.
	RAMTU uint32 `json:"ra_mtu,omitempty"`
}

// AddrGenModeName names the IPv6 address generation mode as ip(8) does.
func AddrGenModeName(m uint8) string {
	switch m {
	case 0:
		return "eui64"
	case 1:
		return "none"
	case 2:
		return "stable_secret"
	case 3:
		return "random"
	}
	return "unknown"
}

// The IPv6 device settings' indexes in LinkInet6.Conf (DEVCONF_*).
const (
	Inet6ConfForwarding = 0
	Inet6ConfHopLimit   = 1
	Inet6ConfMTU        = 2
	Inet6ConfAcceptRA   = 3
	Inet6ConfDisable    = 25 // DEVCONF_DISABLE_IPV6
)

// Get returns setting i (a DEVCONF_* index) and whether the kernel sent
// it; in may be nil.
func (in *LinkInet6) Get(i int) (int32, bool) {
	if in == nil || i < 0 || i >= len(in.Conf) {
		return 0, false
	}
	return in.Conf[i], true
}

// linkAFInet6 constants newer than golang.org/x/sys here.
const linkAttrInet6RAMTU = 9

// linkDecodeAFSpec reads IFLA_AF_SPEC into l.Inet and l.Inet6, reusing
// old's values and arrays or taking memory from m (may be nil).
func linkDecodeAFSpec(l *Link, b []byte, old *Link, m *linkMem) error {
	s := core.ScanAttrs(b)
	for s.Next() {
		switch s.Type() {
		case unix.AF_INET:
			in := l.Inet
			if in == nil {
				switch {
				case old.Inet != nil:
					in = old.Inet
				case m != nil:
					in = m.inet.one()
				default:
					in = new(LinkInet)
				}
				l.Inet = in
			}
			conf := in.Conf[:0]
			n := core.ScanAttrs(s.Bytes())
			for n.Next() {
				if n.Type() == unix.IFLA_INET_CONF {
					conf = linkConfU32(conf, n.Bytes(), m)
				}
			}
			s.Fail(n.Err())
			if len(conf) == 0 {
				conf = nil
			}
			*in = LinkInet{Conf: conf}
		case unix.AF_INET6:
			in6 := l.Inet6
			if in6 == nil {
				switch {
				case old.Inet6 != nil:
					in6 = old.Inet6
				case m != nil:
					in6 = m.inet6.one()
				default:
					in6 = new(LinkInet6)
				}
				l.Inet6 = in6
			}
			*in6 = LinkInet6{Conf: in6.Conf[:0]}
			n := core.ScanAttrs(s.Bytes())
			for n.Next() {
				switch n.Type() {
				case unix.IFLA_INET6_FLAGS:
					in6.Flags = n.Uint32()
				case unix.IFLA_INET6_ADDR_GEN_MODE:
					in6.AddrGenMode, in6.HasAddrGenMode = n.Uint8(), true
				case unix.IFLA_INET6_CONF:
					in6.Conf = linkConfS32(in6.Conf, n.Bytes(), m)
				case unix.IFLA_INET6_TOKEN:
					tok, err := n.Attr().Addr()
					n.Fail(err)
					in6.Token = tok
				case unix.IFLA_INET6_CACHEINFO:
					d := n.Bytes()
					if len(d) >= 16 {
						in6.MaxReasmLen = binary.NativeEndian.Uint32(d)
						in6.ReachableTime = binary.NativeEndian.Uint32(d[8:])
						in6.RetransTime = binary.NativeEndian.Uint32(d[12:])
					}
				case linkAttrInet6RAMTU:
					in6.RAMTU = n.Uint32()
				}
			}
			s.Fail(n.Err())
			if len(in6.Conf) == 0 {
				in6.Conf = nil
			}
		}
	}
	return s.Err()
}

// linkConfU32 decodes an array of host-order u32s into dst's memory
// (else into memory from m, else into a new array, sized to fit).
func linkConfU32(dst []uint32, d []byte, m *linkMem) []uint32 {
	n := len(d) / 4
	if cap(dst) < n {
		if m != nil {
			dst = m.u32.take(n)
		} else {
			dst = make([]uint32, n)
		}
	}
	dst = dst[:n]
	if n > 0 {
		// Host-order u32s: the bytes are the values' memory.
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*n), d)
	}
	return dst
}

// linkConfS32 is linkConfU32 for s32s.
func linkConfS32(dst []int32, d []byte, m *linkMem) []int32 {
	n := len(d) / 4
	if cap(dst) < n {
		if m != nil {
			dst = m.s32.take(n)
		} else {
			dst = make([]int32, n)
		}
	}
	dst = dst[:n]
	if n > 0 {
		// Host-order s32s: the bytes are the values' memory.
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*n), d)
	}
	return dst
}

// linkEncodeAFSpec writes the settable parts of the per-family data: the
// IPv6 address generation mode and token.
func linkEncodeAFSpec(e *core.AttrEncoder, l *Link) error {
	in6 := l.Inet6
	if in6 == nil || (!in6.HasAddrGenMode && !in6.Token.IsValid()) {
		return nil
	}
	af := e.NestStart(unix.IFLA_AF_SPEC)
	n := e.NestStart(unix.AF_INET6)
	if in6.HasAddrGenMode {
		e.Uint8(unix.IFLA_INET6_ADDR_GEN_MODE, in6.AddrGenMode)
	}
	if in6.Token.IsValid() {
		e.Addr(unix.IFLA_INET6_TOKEN, in6.Token)
	}
	if err := e.NestEnd(n); err != nil {
		return err
	}
	return e.NestEnd(af)
}

// LinkVF is one virtual function of an SR-IOV device (IFLA_VF_INFO).
type LinkVF struct {
	Index     uint32           `json:"vf"`
	MAC       net.HardwareAddr `json:"address,omitempty"`
	VLAN      uint32           `json:"vlan,omitempty"`
	QoS       uint32           `json:"qos,omitempty"`
	TxRate    uint32           `json:"tx_rate,omitempty"`
	MinTxRate uint32           `json:"min_tx_rate,omitempty"`
	MaxTxRate uint32           `json:"max_tx_rate,omitempty"`
	SpoofChk  uint32           `json:"spoofchk"`
	LinkState uint32           `json:"link_state"`
	Trust     uint32           `json:"trust"`
}

// linkDecodeVFs reads IFLA_VFINFO_LIST into l.VFs (reusing its array),
// the MAC addresses in memory from m when not nil.
func linkDecodeVFs(l *Link, b []byte, m *linkMem) error {
	l.VFs = l.VFs[:0]
	s := core.ScanAttrs(b)
	for s.Next() {
		if s.Type() != unix.IFLA_VF_INFO {
			continue
		}
		var vf LinkVF
		n := s.Nested()
		for n.Next() {
			d := n.Bytes()
			u32 := func(i int) uint32 {
				if len(d) < 4*i+4 {
					return 0
				}
				return binary.NativeEndian.Uint32(d[4*i:])
			}
			if len(d) < 4 {
				continue
			}
			vf.Index = u32(0)
			switch n.Type() {
			case unix.IFLA_VF_MAC:
				if len(d) >= 4+6 {
					var mac []byte
					if m != nil {
						mac = m.bytes.take(6)
					} else {
						mac = make([]byte, 6)
					}
					copy(mac, d[4:10])
					vf.MAC = net.HardwareAddr(mac)
				}
			case unix.IFLA_VF_VLAN:
				vf.VLAN, vf.QoS = u32(1), u32(2)
			case unix.IFLA_VF_TX_RATE:
				vf.TxRate = u32(1)
			case unix.IFLA_VF_RATE:
				vf.MinTxRate, vf.MaxTxRate = u32(1), u32(2)
			case unix.IFLA_VF_SPOOFCHK:
				vf.SpoofChk = u32(1)
			case unix.IFLA_VF_LINK_STATE:
				vf.LinkState = u32(1)
			case unix.IFLA_VF_TRUST:
				vf.Trust = u32(1)
			}
		}
		s.Fail(n.Err())
		l.VFs = append(l.VFs, vf)
	}
	return s.Err()
}
