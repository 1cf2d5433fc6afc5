package route_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/stretchr/testify/require"
)

// kindEncode returns info's IFLA_INFO_DATA payload.
func kindEncode(t testing.TB, info route.LinkInfo) []byte {
	t.Helper()
	var e core.AttrEncoder
	require.NoError(t, info.EncodeInfo(&e))
	return append([]byte(nil), e.Bytes()...)
}

// kindVectors are the kinds this kernel lacks, checked against
// hand-written bytes (little-endian hosts): the value encodes to the bytes
// and the bytes decode to the value.
var kindVectors = []struct {
	name  string
	value route.LinkInfo
	empty route.LinkInfo
	bytes []byte
}{
	{"vrf", &route.VrfInfo{Table: 10}, &route.VrfInfo{}, []byte{
		8, 0, 1, 0, 10, 0, 0, 0, // IFLA_VRF_TABLE 10
	}},
	{"vlan", &route.VlanInfo{ID: 5, Protocol: 0x88a8, Flags: 1, FlagsMask: 1,
		EgressQoS: []route.VlanQoSMap{{From: 1, To: 2}}, IngressQoS: []route.VlanQoSMap{{From: 3, To: 4}}},
		&route.VlanInfo{}, []byte{
			6, 0, 1, 0, 5, 0, 0, 0, // IFLA_VLAN_ID 5
			6, 0, 5, 0, 0x88, 0xa8, 0, 0, // IFLA_VLAN_PROTOCOL 802.1ad (big-endian)
			12, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, // IFLA_VLAN_FLAGS {1, mask 1}
			16, 0, 3, 0, 12, 0, 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, // EGRESS_QOS {1 -> 2}
			16, 0, 4, 0, 12, 0, 1, 0, 3, 0, 0, 0, 4, 0, 0, 0, // INGRESS_QOS {3 -> 4}
		}},
	{"bond", &route.BondInfo{Mode: route.Ptr(uint8(1)), MIIMon: route.Ptr(uint32(100)),
		ARPIPTargets: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}, &route.BondInfo{}, []byte{
		5, 0, 1, 0, 1, 0, 0, 0, // IFLA_BOND_MODE active-backup
		8, 0, 3, 0, 100, 0, 0, 0, // IFLA_BOND_MIIMON 100
		12, 0, 8, 0, 8, 0, 0, 0, 192, 0, 2, 1, // IFLA_BOND_ARP_IP_TARGET [192.0.2.1]
	}},
	{"gretap", &route.GreInfo{Name: "gretap", IFlags: route.GreKey, IKey: 16,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"), TTL: 64},
		&route.GreInfo{Name: "gretap"}, []byte{
			6, 0, 2, 0, 0x20, 0, 0, 0, // IFLA_GRE_IFLAGS GRE_KEY (big-endian)
			6, 0, 3, 0, 0, 0, 0, 0, // IFLA_GRE_OFLAGS 0
			8, 0, 4, 0, 0, 0, 0, 16, // IFLA_GRE_IKEY 16 (big-endian)
			8, 0, 6, 0, 192, 0, 2, 1, // IFLA_GRE_LOCAL
			8, 0, 7, 0, 192, 0, 2, 2, // IFLA_GRE_REMOTE
			5, 0, 8, 0, 64, 0, 0, 0, // IFLA_GRE_TTL 64
			5, 0, 9, 0, 0, 0, 0, 0, // IFLA_GRE_TOS 0
		}},
	{"gre", &route.GreInfo{Name: "gre", Remote: netip.MustParseAddr("198.51.100.1"), TTL: 10, PMTUDisc: route.Ptr(uint8(1))},
		&route.GreInfo{Name: "gre"}, []byte{
			6, 0, 2, 0, 0, 0, 0, 0,
			6, 0, 3, 0, 0, 0, 0, 0,
			8, 0, 7, 0, 198, 51, 100, 1, // IFLA_GRE_REMOTE
			5, 0, 8, 0, 10, 0, 0, 0,
			5, 0, 9, 0, 0, 0, 0, 0,
			5, 0, 10, 0, 1, 0, 0, 0, // IFLA_GRE_PMTUDISC 1
		}},
	{"ipip", &route.IPTunInfo{Name: "ipip", Remote: netip.MustParseAddr("192.0.2.2")}, &route.IPTunInfo{Name: "ipip"}, []byte{
		8, 0, 3, 0, 192, 0, 2, 2, // IFLA_IPTUN_REMOTE
		5, 0, 4, 0, 0, 0, 0, 0, // IFLA_IPTUN_TTL 0 (inherit)
		5, 0, 5, 0, 0, 0, 0, 0, // IFLA_IPTUN_TOS 0
	}},
	{"sit", &route.IPTunInfo{Name: "sit", Local: netip.MustParseAddr("192.0.2.1"),
		Remote: netip.MustParseAddr("198.51.100.1"), TTL: 64, Flags: 1}, &route.IPTunInfo{Name: "sit"}, []byte{
		8, 0, 2, 0, 192, 0, 2, 1, // IFLA_IPTUN_LOCAL
		8, 0, 3, 0, 198, 51, 100, 1, // IFLA_IPTUN_REMOTE
		5, 0, 4, 0, 64, 0, 0, 0, // TTL 64
		5, 0, 5, 0, 0, 0, 0, 0, // TOS 0
		6, 0, 8, 0, 1, 0, 0, 0, // IFLA_IPTUN_FLAGS u16 for sit (SIT_ISATAP)
	}},
	{"ip6tnl", &route.IPTunInfo{Name: "ip6tnl", Remote: netip.MustParseAddr("2001:db8::2"), TTL: 64,
		EncapLimit: route.Ptr(uint8(4)), Flags: 1, Proto: route.Ptr(uint8(41))}, &route.IPTunInfo{Name: "ip6tnl"}, []byte{
		20, 0, 3, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // REMOTE 2001:db8::2
		5, 0, 4, 0, 64, 0, 0, 0, // TTL
		5, 0, 5, 0, 0, 0, 0, 0, // TOS
		5, 0, 6, 0, 4, 0, 0, 0, // ENCAP_LIMIT 4
		8, 0, 8, 0, 1, 0, 0, 0, // FLAGS u32 (IP6_TNL_F_IGN_ENCAP_LIMIT)
		5, 0, 9, 0, 41, 0, 0, 0, // PROTO IPPROTO_IPV6
	}},
	{"geneve", &route.GeneveInfo{VNI: 7, Remote: netip.MustParseAddr("192.0.2.5"), Port: 6081}, &route.GeneveInfo{}, []byte{
		8, 0, 1, 0, 7, 0, 0, 0, // IFLA_GENEVE_ID 7
		8, 0, 2, 0, 192, 0, 2, 5, // IFLA_GENEVE_REMOTE
		5, 0, 3, 0, 0, 0, 0, 0, // TTL
		5, 0, 4, 0, 0, 0, 0, 0, // TOS
		6, 0, 5, 0, 0x17, 0xc1, 0, 0, // PORT 6081 (big-endian)
	}},
	{"macsec", &route.MacsecInfo{Port: 1, ICVLen: route.Ptr(uint8(16)), Encrypt: route.Ptr(true), Validation: route.Ptr(uint8(2))},
		&route.MacsecInfo{}, []byte{
			6, 0, 2, 0, 0, 1, 0, 0, // IFLA_MACSEC_PORT 1 (big-endian)
			5, 0, 3, 0, 16, 0, 0, 0, // ICV_LEN 16
			5, 0, 7, 0, 1, 0, 0, 0, // ENCRYPT on
			5, 0, 13, 0, 2, 0, 0, 0, // VALIDATION strict
		}},
	{"ipvlan", &route.IPVlanInfo{Mode: 1, Flags: 1}, &route.IPVlanInfo{}, []byte{
		6, 0, 1, 0, 1, 0, 0, 0, // IFLA_IPVLAN_MODE l3
		6, 0, 2, 0, 1, 0, 0, 0, // IFLA_IPVLAN_FLAGS private
	}},
}

func TestKindByteVectors(t *testing.T) {
	linkSkipBigEndian(t)
	for _, v := range kindVectors {
		t.Run(v.name, func(t *testing.T) {
			require.Equal(t, v.name, v.value.Kind())
			require.Equal(t, v.bytes, kindEncode(t, v.value))
			require.NoError(t, v.empty.DecodeInfo(v.bytes))
			require.Equal(t, v.value, v.empty)
			// Inside a whole link, through the built-in registry.
			l := &route.Link{Name: "x0", Info: v.value}
			w, err := l.Marshal(nil)
			require.NoError(t, err)
			var back route.Link
			require.NoError(t, back.Unmarshal(w))
			require.Equal(t, v.value, back.Info)
		})
	}
}

// TestKindRoundTrip: the kinds this kernel has, encoded and decoded back.
func TestKindRoundTrip(t *testing.T) {
	for _, v := range []struct {
		value, empty route.LinkInfo
	}{
		{&route.BridgeInfo{ForwardDelay: route.Ptr(4 * time.Second), STPState: route.Ptr(uint32(1)),
			VlanFiltering: route.Ptr(true), VlanProtocol: route.Ptr(uint16(0x88a8)), DefaultPVID: route.Ptr(uint16(3)),
			McastSnooping: route.Ptr(false), GroupAddr: net.HardwareAddr{1, 0x80, 0xc2, 0, 0, 3},
			McastQueryIntvl: route.Ptr(125 * time.Second)}, &route.BridgeInfo{}},
		{&route.BridgePortInfo{State: route.Ptr(uint8(3)), Cost: route.Ptr(uint32(5)), Learning: route.Ptr(false),
			UnicastFlood: route.Ptr(true), Mode: route.Ptr(true), Guard: route.Ptr(true)}, &route.BridgePortInfo{}},
		{&route.MacvlanInfo{Tap: true, Mode: route.MacvlanSource, HasFlags: true, Flags: route.MacvlanFlagNoPromisc,
			MACAddrMode: 3, MACAddrs: []net.HardwareAddr{{2, 0, 0, 0, 0, 1}}, BcQueueLen: 100}, &route.MacvlanInfo{Tap: true}},
		{&route.VxlanInfo{VNI: 9, Group: netip.MustParseAddr("2001:db8::1"), Local: netip.MustParseAddr("2001:db8::2"),
			Port: 4789, PortLow: 1, PortHigh: 2, TTL: route.Ptr(uint8(3)), Label: route.Ptr(uint32(0x12345)),
			Learning: route.Ptr(true), Ageing: route.Ptr(time.Minute), GBP: true}, &route.VxlanInfo{}},
		{&route.TunInfo{Tap: true, MultiQueue: true, HasOwner: true, Owner: 7, NumQueues: 2}, &route.TunInfo{}},
		{&route.VethInfo{Peer: &route.Link{Name: "peer", MTU: 9000}}, &route.VethInfo{}},
		{&route.RawLinkInfo{Name: "other", Data: []byte{5, 0, 1, 0, 9, 0, 0, 0}}, &route.RawLinkInfo{Name: "other"}},
	} {
		b := kindEncode(t, v.value)
		require.NoError(t, v.empty.DecodeInfo(b), v.value.Kind())
		if vi, ok := v.value.(*route.VethInfo); ok {
			require.Equal(t, vi.Peer.Name, v.empty.(*route.VethInfo).Peer.Name)
			require.Equal(t, vi.Peer.MTU, v.empty.(*route.VethInfo).Peer.MTU)
			continue
		}
		require.Equal(t, v.value, v.empty, v.value.Kind())
	}
}

// kindFmtNoop is a user-defined kind for the registry test.
type kindFmtNoop struct{ Value uint32 }

func (*kindFmtNoop) Kind() string { return "vrf" }
func (k *kindFmtNoop) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint32(1, k.Value)
	return nil
}
func (k *kindFmtNoop) DecodeInfo(b []byte) error {
	*k = kindFmtNoop{}
	s := core.ScanAttrs(b)
	for s.Next() {
		if s.Type() == 1 {
			k.Value = s.Uint32()
		}
	}
	return s.Err()
}

func TestKindsRegistry(t *testing.T) {
	a, b := route.DefaultKinds(), route.DefaultKinds()
	a.Register("vrf", func() route.LinkInfo { return &kindFmtNoop{} })
	require.Contains(t, b.Names(), "vrf")
	require.IsType(t, &route.VrfInfo{}, b.New("vrf"), "registries are independent")
	require.IsType(t, &kindFmtNoop{}, a.New("vrf"))
	require.Nil(t, route.NewKinds().New("veth"))
	require.IsType(t, &route.BridgePortInfo{}, b.NewSlave("bridge"))

	w, err := (&route.Link{Name: "v", Info: &route.VrfInfo{Table: 7}}).Marshal(nil)
	require.NoError(t, err)
	var l route.Link
	require.NoError(t, l.UnmarshalKinds(w, a))
	require.Equal(t, &kindFmtNoop{Value: 7}, l.Info)
	require.NoError(t, l.UnmarshalKinds(w, route.NewKinds()))
	require.IsType(t, &route.RawLinkInfo{}, l.Info)
	require.NoError(t, a.Resolve(&l))
	require.Equal(t, &kindFmtNoop{Value: 7}, l.Info)
}

func TestKindDecodeErrors(t *testing.T) {
	for _, v := range []struct {
		info route.LinkInfo
		b    []byte
	}{
		{&route.VxlanInfo{}, []byte{5, 0, 1, 0, 1, 0, 0, 0}},             // ID too short
		{&route.VlanInfo{}, []byte{8, 0, 2, 0, 1, 0, 0, 0}},              // flags too short
		{&route.BridgeInfo{}, []byte{6, 0, 1, 0, 1, 0, 0, 0}},            // forward delay too short
		{&route.MacvlanInfo{}, []byte{3, 0}},                             // truncated
		{&route.VethInfo{}, []byte{8, 0, 1, 0, 0, 0, 0, 0}},              // peer without ifinfomsg
		{&route.GreInfo{}, []byte{5, 0, 4, 0, 1, 0, 0, 0}},               // ikey too short
		{&route.GeneveInfo{}, []byte{5, 0, 5, 0, 1, 0, 0, 0}},            // port too short
		{&route.BondInfo{}, []byte{12, 0, 8, 0, 7, 0, 0, 0, 1, 2, 3, 0}}, // bad address length
	} {
		require.Error(t, v.info.DecodeInfo(v.b), v.info.Kind())
	}
	// A bad kind payload fails the link, saying where.
	w, err := (&route.Link{Name: "x", Info: &route.RawLinkInfo{Name: "vxlan", Data: []byte{5, 0, 1, 0, 1, 0, 0, 0}}}).Marshal(nil)
	require.NoError(t, err)
	var l route.Link
	err = l.Unmarshal(w)
	require.ErrorContains(t, err, "decode link x")
	require.ErrorContains(t, err, "IFLA_INFO_DATA of kind vxlan")
	require.Error(t, l.Unmarshal([]byte{1, 2, 3}))
}

// kindFuzz checks that decoding never panics and that what decodes
// re-encodes to a fixed point.
func kindFuzz(f *testing.F, newInfo func() route.LinkInfo, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := newInfo()
		if v.DecodeInfo(b) != nil {
			return
		}
		var e core.AttrEncoder
		if v.EncodeInfo(&e) != nil {
			return
		}
		w1 := append([]byte(nil), e.Bytes()...)
		v2 := newInfo()
		if err := v2.DecodeInfo(w1); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		e.Reset()
		if err := v2.EncodeInfo(&e); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if string(w1) != string(e.Bytes()) {
			t.Fatalf("not a fixed point:\n%x\n%x", w1, e.Bytes())
		}
	})
}

// kindSeed returns the encoding of info, a fuzz seed.
func kindSeed(info route.LinkInfo) []byte {
	var e core.AttrEncoder
	_ = info.EncodeInfo(&e)
	return append([]byte(nil), e.Bytes()...)
}

// kindKernelSeed returns the IFLA_INFO_DATA (or SLAVE_DATA) the kernel
// sent for a captured link.
func kindKernelSeed(f *testing.F, name string, slave bool) []byte {
	b, err := os.ReadFile("testdata/link_" + name + ".bin")
	if err != nil {
		f.Fatal(err)
	}
	var l route.Link
	if err := l.UnmarshalKinds(b, route.NewKinds()); err != nil {
		f.Fatal(err)
	}
	info := l.Info
	if slave {
		info = l.SlaveInfo
	}
	return info.(*route.RawLinkInfo).Data
}

func kindVector(name string) []byte {
	for _, v := range kindVectors {
		if v.name == name {
			return v.bytes
		}
	}
	return nil
}

func FuzzKindVeth(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.VethInfo{} },
		kindSeed(&route.VethInfo{Peer: &route.Link{Name: "p", MTU: 1500, Info: &route.VethInfo{}}}))
}

func FuzzKindBridge(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.BridgeInfo{} }, kindKernelSeed(f, "br0", false))
}

func FuzzKindBridgePort(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.BridgePortInfo{} }, kindKernelSeed(f, "vb", true))
}

func FuzzKindMacvlan(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.MacvlanInfo{} }, kindKernelSeed(f, "mv0", false),
		kindSeed(&route.MacvlanInfo{Mode: route.MacvlanSource, MACAddrs: []net.HardwareAddr{{2, 0, 0, 0, 0, 1}}}))
}

func FuzzKindVxlan(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.VxlanInfo{} }, kindKernelSeed(f, "vx0", false))
}

func FuzzKindTun(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.TunInfo{} }, kindKernelSeed(f, "tp0", false))
}

func FuzzKindVlan(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.VlanInfo{} }, kindVector("vlan"))
}

func FuzzKindBond(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.BondInfo{} }, kindVector("bond"))
}

func FuzzKindGre(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.GreInfo{} }, kindVector("gretap"), kindVector("gre"))
}

func FuzzKindIPTun(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.IPTunInfo{Name: "sit"} }, kindVector("sit"), kindVector("ip6tnl"), kindVector("ipip"))
}

func FuzzKindVrf(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.VrfInfo{} }, kindVector("vrf"))
}

func FuzzKindGeneve(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.GeneveInfo{} }, kindVector("geneve"))
}

func FuzzKindMacsec(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.MacsecInfo{} }, kindVector("macsec"))
}

func FuzzKindIPVlan(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.IPVlanInfo{} }, kindVector("ipvlan"))
}

func FuzzKindRaw(f *testing.F) {
	kindFuzz(f, func() route.LinkInfo { return &route.RawLinkInfo{Name: "x"} }, []byte{1, 2, 3})
}

// FuzzLinkUnmarshal: decoding never panics, and what decodes marshals to
// a fixed point.
func FuzzLinkUnmarshal(f *testing.F) {
	files, _ := filepath.Glob("testdata/link_*.bin")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, v := range kindVectors {
		w, _ := (&route.Link{Name: "x", Info: v.value}).Marshal(nil)
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l route.Link
		if l.Unmarshal(b) != nil {
			return
		}
		_ = l.String()
		if _, err := l.MarshalJSON(); err != nil {
			t.Fatalf("json: %v", err)
		}
		w1, err := l.Marshal(nil)
		if err != nil {
			return
		}
		var l2 route.Link
		if err := l2.Unmarshal(w1); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		w2, err := l2.Marshal(nil)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if string(w1) != string(w2) {
			t.Fatalf("not a fixed point:\n%x\n%x", w1, w2)
		}
	})
}
