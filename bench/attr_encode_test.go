package bench

import (
	"net/netip"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

var encodeDst = netip.MustParseAddr("198.18.3.7")

// encodeNewRoute builds a whole RTM_NEWROUTE datagram (netlink header,
// rtmsg, attributes) with e into out's storage and returns it.
func encodeNewRoute(e *core.AttrEncoder, out []byte, dst netip.Addr) []byte {
	e.Reset()
	encodeRoute(e, dst, gwAddr, gwIndex)
	return core.AppendMessage(out[:0], core.Message{
		Header: core.Header{
			Type:     unix.RTM_NEWROUTE,
			Flags:    core.FlagRequest | core.FlagAck | core.FlagCreate | core.FlagExcl,
			Sequence: 1,
		},
		Data: e.Bytes(),
	})
}

// encodeNewVeth builds a whole RTM_NEWLINK datagram making a veth pair.
func encodeNewVeth(e *core.AttrEncoder, out []byte) []byte {
	e.Reset()
	encodeVethPair(e, "va1234", "vb1234", 0, 0)
	return core.AppendMessage(out[:0], core.Message{
		Header: core.Header{
			Type:     unix.RTM_NEWLINK,
			Flags:    core.FlagRequest | core.FlagAck | core.FlagCreate | core.FlagExcl,
			Sequence: 1,
		},
		Data: e.Bytes(),
	})
}

// BenchmarkAttrEncode builds whole request datagrams with core.AttrEncoder
// and core.AppendMessage into reused buffers: an RTM_NEWROUTE as `ip route
// add` sends it, and an RTM_NEWLINK making a veth pair (three levels of
// nests). Both must be 0 allocs/op (TestAttrEncodeAllocs holds that).
func BenchmarkAttrEncode(b *testing.B) {
	b.Run("newroute", func(b *testing.B) {
		var e core.AttrEncoder
		out := encodeNewRoute(&e, nil, encodeDst)
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			out = encodeNewRoute(&e, out, encodeDst)
		}
	})
	b.Run("newlink-veth", func(b *testing.B) {
		var e core.AttrEncoder
		out := encodeNewVeth(&e, nil)
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			out = encodeNewVeth(&e, out)
		}
	})
}

// TestAttrEncodeAllocs holds the encoder to zero allocations once its
// buffers have grown, and checks what it built reads back.
func TestAttrEncodeAllocs(t *testing.T) {
	var e core.AttrEncoder
	out := encodeNewRoute(&e, nil, encodeDst)
	allocs := testing.AllocsPerRun(100, func() { out = encodeNewRoute(&e, out, encodeDst) })
	require.Zero(t, allocs, "allocations per RTM_NEWROUTE")

	msgs, err := core.ParseMessages(out)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, core.MessageType(unix.RTM_NEWROUTE), msgs[0].Header.Type)
	require.Equal(t, uint32(len(out)), msgs[0].Header.Length)
	data := msgs[0].Data
	require.GreaterOrEqual(t, len(data), unix.SizeofRtMsg)
	require.Equal(t, []byte{unix.AF_INET, 32, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_STATIC, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST},
		data[:8], "rtmsg")
	got := map[uint16]core.Attr{}
	s := core.ScanAttrs(data[unix.SizeofRtMsg:])
	for s.Next() {
		got[s.Type()] = s.Attr()
	}
	require.NoError(t, s.Err())
	dst, err := got[unix.RTA_DST].Addr()
	require.NoError(t, err)
	require.Equal(t, encodeDst, dst)
	gw, err := got[unix.RTA_GATEWAY].Addr()
	require.NoError(t, err)
	require.Equal(t, gwAddr, gw)
	oif, err := got[unix.RTA_OIF].Uint32()
	require.NoError(t, err)
	require.Equal(t, uint32(gwIndex), oif)
	metrics := got[unix.RTA_METRICS].Scan()
	require.True(t, metrics.Next())
	require.Equal(t, uint16(unix.RTAX_MTU), metrics.Type())
	require.Equal(t, uint32(1400), metrics.Uint32())

	allocs = testing.AllocsPerRun(100, func() { out = encodeNewVeth(&e, out) })
	require.Zero(t, allocs, "allocations per RTM_NEWLINK (veth)")
	msgs, err = core.ParseMessages(out)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	var path []uint16
	s = core.ScanAttrs(msgs[0].Data[unix.SizeofIfInfomsg:])
	for s.Next() {
		if s.Type() == unix.IFLA_LINKINFO {
			li := s.Nested()
			for li.Next() {
				if li.Type() == unix.IFLA_INFO_DATA {
					d := li.Nested()
					require.True(t, d.Next())
					path = append(path, unix.IFLA_LINKINFO, unix.IFLA_INFO_DATA, d.Type())
					peer := d.Attr().Data[unix.SizeofIfInfomsg:]
					p := core.ScanAttrs(peer)
					require.True(t, p.Next())
					require.Equal(t, uint16(unix.IFLA_IFNAME), p.Type())
					require.Equal(t, "vb1234", p.String())
				}
			}
		}
	}
	require.NoError(t, s.Err())
	require.Equal(t, []uint16{unix.IFLA_LINKINFO, unix.IFLA_INFO_DATA, vethInfoPeer}, path)
}
