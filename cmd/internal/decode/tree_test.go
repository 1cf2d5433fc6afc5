package decode

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func ifinfo(index int32, flags uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint16(b[2:], unix.ARPHRD_ETHER)
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	binary.NativeEndian.PutUint32(b[8:], flags)
	return b
}

func TestDecodeLink(t *testing.T) {
	var e core.AttrEncoder
	e.Raw(ifinfo(7, unix.IFF_UP|unix.IFF_BROADCAST|unix.IFF_LOWER_UP))
	e.String(unix.IFLA_IFNAME, "veth0")
	e.Uint32(unix.IFLA_MTU, 1400)
	e.HardwareAddr(unix.IFLA_ADDRESS, []byte{2, 0, 0, 0, 0, 1})
	e.Binary(unix.IFLA_STATS, make([]byte, 8))
	info := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	data := e.NestStart(unix.IFLA_INFO_DATA)
	peer := e.NestStart(vethInfoPeer)
	e.Raw(ifinfo(8, 0))
	e.String(unix.IFLA_IFNAME, "veth1")
	require.NoError(t, e.NestEnd(peer))
	require.NoError(t, e.NestEnd(data))
	require.NoError(t, e.NestEnd(info))
	e.Uint32(200, 5) // unknown
	m := Decode(unix.NETLINK_ROUTE, core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagRequest | core.FlagCreate | core.FlagExcl, Sequence: 3},
		Data:   e.Bytes(),
	})
	require.Empty(t, m.Error)
	require.Equal(t, "RTM_NEWLINK", m.Type)
	require.Equal(t, "REQUEST|EXCL|CREATE", m.Flags)
	require.Equal(t, LinkHeader{Family: "unspec", Type: "ether", Index: 7, Flags: []string{"UP", "BROADCAST", "LOWER_UP"}}, m.Header)
	require.Equal(t, "veth0", m.Find("IFLA_IFNAME").Value)
	require.Equal(t, uint32(1400), m.Find("IFLA_MTU").Value)
	require.Equal(t, "02:00:00:00:00:01", m.Find("IFLA_ADDRESS").Value)
	require.Equal(t, []uint32{0, 0}, m.Find("IFLA_STATS").Value)
	info2 := m.Find("IFLA_LINKINFO")
	require.NotNil(t, info2)
	require.Equal(t, "veth", info2.Find("IFLA_INFO_KIND").Value)
	p := info2.Find("IFLA_INFO_DATA").Find("VETH_INFO_PEER")
	require.NotNil(t, p, "IFLA_INFO_DATA named by the link kind")
	require.Equal(t, int32(8), p.Value.(LinkHeader).Index)
	require.Equal(t, "veth1", p.Find("IFLA_IFNAME").Value)
	last := m.Attrs[len(m.Attrs)-1]
	require.Equal(t, Attr{Type: 200, Hex: "05000000"}, last)

	// The tree is what -j prints.
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.Contains(t, string(b), `"name":"IFLA_IFNAME","value":"veth0"`)
}

func TestDecodeAddrAndRoute(t *testing.T) {
	var e core.AttrEncoder
	e.Raw([]byte{unix.AF_INET6, 64, unix.IFA_F_PERMANENT, unix.RT_SCOPE_UNIVERSE, 4, 0, 0, 0})
	e.Addr(unix.IFA_ADDRESS, netip.MustParseAddr("2001:db8::1"))
	e.Uint32(unix.IFA_FLAGS, unix.IFA_F_NODAD|unix.IFA_F_PERMANENT)
	m := Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWADDR}, Data: e.Bytes()})
	require.Empty(t, m.Error)
	require.Equal(t, AddrHeader{Family: "inet6", PrefixLen: 64, Flags: []string{"permanent"}, Scope: "global", Index: binary.NativeEndian.Uint32([]byte{4, 0, 0, 0})}, m.Header)
	require.Equal(t, "2001:db8::1", m.Find("IFA_ADDRESS").Value)
	require.Equal(t, []string{"nodad", "permanent"}, AddrFlagNames(m.Find("IFA_FLAGS").Value.(uint32)))

	e.Reset()
	e.Raw([]byte{unix.AF_INET, 24, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_STATIC, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST, 0, 0, 0, 0})
	e.Addr(unix.RTA_DST, netip.MustParseAddr("198.51.100.0"))
	e.Addr(unix.RTA_GATEWAY, netip.MustParseAddr("192.0.2.2"))
	met := e.NestStart(unix.RTA_METRICS)
	e.Uint32(unix.RTAX_MTU, 1300)
	require.NoError(t, e.NestEnd(met))
	e.Binary(unix.RTA_DPORT, []byte{0x01, 0xbb})
	m = Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWROUTE}, Data: e.Bytes()})
	require.Empty(t, m.Error)
	h := m.Header.(RouteHeader)
	require.Equal(t, "main", h.Table)
	require.Equal(t, "static", h.Protocol)
	require.Equal(t, "unicast", h.Type)
	require.Equal(t, "198.51.100.0", m.Find("RTA_DST").Value)
	require.Equal(t, "192.0.2.2", m.Find("RTA_GATEWAY").Value)
	require.Equal(t, uint32(1300), m.Find("RTA_METRICS").Find("RTAX_MTU").Value)
	require.Equal(t, uint16(443), m.Find("RTA_DPORT").Value)
}

func TestDecodeBadInput(t *testing.T) {
	// A u32 attribute of the wrong size: kept as hex, with the reason.
	var e core.AttrEncoder
	e.Raw(ifinfo(1, 0))
	e.Uint16(unix.IFLA_MTU, 1500)
	e.Binary(unix.IFLA_STATS64, make([]byte, 12))
	m := Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: e.Bytes()})
	mtu := m.Find("IFLA_MTU")
	require.Nil(t, mtu.Value)
	require.Equal(t, "dc05", mtu.Hex) // the payload, not its padding
	require.Contains(t, mtu.Error, "want 4")
	require.Contains(t, m.Find("IFLA_STATS64").Error, "multiple of 8")

	// A truncated family header.
	m = Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWROUTE}, Data: []byte{2, 24}})
	require.Nil(t, m.Header)
	require.Equal(t, "0218", m.Hex)
	require.NotEmpty(t, m.Error)

	// A truncated attribute stream: what was read is kept.
	b := append(ifinfo(1, 0), 8, 0, 3, 0, 'l', 'o', 0, 0, 9, 0)
	m = Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: b})
	require.Equal(t, "lo", m.Find("IFLA_IFNAME").Value)
	require.NotEmpty(t, m.Error)

	// A type without a known layout: the payload as hex.
	m = Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: unix.RTM_NEWNEIGH}, Data: []byte{1, 2}})
	require.Equal(t, "RTM_NEWNEIGH", m.Type)
	require.Equal(t, "0102", m.Hex)
}

// FuzzDecode checks Decode never panics and always yields encodable JSON.
func FuzzDecode(f *testing.F) {
	var e core.AttrEncoder
	e.Raw(ifinfo(1, 1))
	e.String(unix.IFLA_IFNAME, "lo")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	d := e.NestStart(unix.IFLA_INFO_DATA)
	e.Binary(vethInfoPeer, ifinfo(2, 0))
	e.NestEnd(d)
	e.NestEnd(n)
	f.Add(uint16(unix.RTM_NEWLINK), append([]byte(nil), e.Bytes()...))
	f.Add(uint16(unix.RTM_NEWADDR), []byte{2, 24, 0, 0, 1, 0, 0, 0, 8, 0, 1, 0, 192, 0, 2, 1})
	f.Add(uint16(unix.RTM_NEWROUTE), []byte{2, 24, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0, 12, 0, 8, 0, 8, 0, 2, 0, 0, 5, 0, 0})
	f.Fuzz(func(t *testing.T, typ uint16, data []byte) {
		m := Decode(unix.NETLINK_ROUTE, core.Message{Header: core.Header{Type: core.MessageType(typ)}, Data: data})
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("tree does not encode: %v", err)
		}
	})
}
