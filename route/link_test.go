package route_test

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/route"
	"github.com/stretchr/testify/require"
)

// linkTestdata reads the RTM_NEWLINK payloads captured from this kernel
// (testdata/link_NAME.bin: lo, a veth pair va/vb with vb in bridge br0,
// macvlan mv0, vxlan vx0, ifb0 and a multi-queue tap tp0).
func linkTestdata(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/link_*.bin")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "link_"), ".bin")] = b
	}
	return out
}

func TestLinkUnmarshalKernelBytes(t *testing.T) {
	msgs := linkTestdata(t)
	links := map[string]*route.Link{}
	for name, b := range msgs {
		l := &route.Link{}
		require.NoError(t, l.Unmarshal(b), name)
		require.Equal(t, name, l.Name)
		require.NotZero(t, l.Index)
		require.NotZero(t, l.MTU)
		require.NotNil(t, l.Stats, name)
		links[name] = l
	}
	lo := links["lo"]
	require.Equal(t, "loopback", lo.Type.String())
	require.NotZero(t, lo.Flags&route.LinkLoopback)
	require.Nil(t, lo.Info)

	va, vb := links["va"], links["vb"]
	require.Equal(t, "veth", va.Kind())
	require.Equal(t, vb.Index, va.ParentIndex)
	require.Equal(t, "side-a", va.Alias)
	require.Equal(t, []string{"a-long-alternative-name"}, va.AltNames)
	require.NotZero(t, va.Flags&route.LinkUp)
	require.Len(t, va.Address, 6)
	require.Equal(t, "ff:ff:ff:ff:ff:ff", va.Broadcast.String())
	require.True(t, va.Inet6.HasAddrGenMode)
	require.NotEmpty(t, va.Inet.Conf)
	require.NotEmpty(t, va.Inet6.Conf)
	require.Equal(t, uint32(links["br0"].Index), vb.Master)
	require.Equal(t, "bridge", vb.SlaveInfo.Kind())
	require.IsType(t, &route.BridgePortInfo{}, vb.SlaveInfo)
	require.NotNil(t, vb.SlaveInfo.(*route.BridgePortInfo).State)

	br := links["br0"].Info.(*route.BridgeInfo)
	require.Equal(t, uint32(1), *br.STPState)
	require.Equal(t, 15*time.Second, *br.ForwardDelay)
	require.Equal(t, uint16(32768), *br.Priority)
	require.NotEmpty(t, br.BridgeID)

	mv := links["mv0"].Info.(*route.MacvlanInfo)
	require.Equal(t, route.MacvlanBridge, mv.Mode)
	vx := links["vx0"].Info.(*route.VxlanInfo)
	require.Equal(t, uint32(42), vx.VNI)
	require.Equal(t, uint16(4789), vx.Port)
	require.Equal(t, netip.MustParseAddr("192.0.2.9"), vx.Group)
	require.IsType(t, &route.IFBInfo{}, links["ifb0"].Info)
	tp := links["tp0"].Info.(*route.TunInfo)
	require.True(t, tp.Tap)
	require.True(t, tp.MultiQueue)

	// String, JSON, Equal and Diff.
	s := va.String()
	require.True(t, strings.HasPrefix(s, strings.Join([]string{itoa32(va.Index), ": va@if", itoa32(vb.Index), ": <"}, "")), s)
	require.Contains(t, s, "mtu 1500 qdisc noqueue state")
	require.Contains(t, s, "link/ether "+va.Address.String()+" brd ff:ff:ff:ff:ff:ff")
	require.Contains(t, s, "kind veth")
	require.NotContains(t, s, "\n")
	j, err := json.Marshal(va)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(j, &m))
	for _, k := range []string{"ifindex", "ifname", "flags", "mtu", "qdisc", "operstate", "linkmode", "group", "txqlen", "link_type", "address", "broadcast", "link", "linkinfo", "stats64"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, "veth", m["linkinfo"].(map[string]any)["info_kind"])
	require.Equal(t, "ether", m["link_type"])
	jb, err := json.Marshal(links["br0"])
	require.NoError(t, err)
	require.Contains(t, string(jb), `"forward_delay":1500`)
	jv, err := json.Marshal(vb)
	require.NoError(t, err)
	require.Contains(t, string(jv), `"info_slave_kind":"bridge"`)

	cp := &route.Link{}
	require.NoError(t, cp.Unmarshal(msgs["va"]))
	require.True(t, cp.Equal(va))
	cp.MTU = 9000
	cp.Alias = "x"
	require.Equal(t, []string{"MTU", "Alias"}, cp.Diff(va))
	require.False(t, cp.Equal(va))
}

func itoa32(v int32) string { return strconv.Itoa(int(v)) }

// TestLinkMarshalFixedPoint: what Marshal writes decodes to a link that
// marshals to the same bytes, for every captured link.
func TestLinkMarshalFixedPoint(t *testing.T) {
	for name, b := range linkTestdata(t) {
		var l, l2 route.Link
		require.NoError(t, l.Unmarshal(b))
		w1, err := l.Marshal(nil)
		require.NoError(t, err, name)
		require.NoError(t, l2.Unmarshal(w1), name)
		w2, err := l2.Marshal(nil)
		require.NoError(t, err)
		require.Equal(t, w1, w2, name)
		require.Equal(t, l.Name, l2.Name)
		require.Equal(t, l.MTU, l2.MTU)
		require.Equal(t, l.Address, l2.Address)
		require.Equal(t, l.Kind(), l2.Kind())
	}
}

// TestLinkDecodeReusesMemory holds decoding a veth into a reused Link to
// zero allocations.
func TestLinkDecodeReusesMemory(t *testing.T) {
	b := linkTestdata(t)["va"]
	var l route.Link
	require.NoError(t, l.Unmarshal(b))
	allocs := testing.AllocsPerRun(100, func() {
		if err := l.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, "va", l.Name)
}

// TestLinkMarshalBytes checks a whole request byte for byte: a dummy link
// (a kind this kernel lacks) named d0 with MTU 1400.
func TestLinkMarshalBytes(t *testing.T) {
	linkSkipBigEndian(t)
	l := &route.Link{Name: "d0", MTU: 1400, Info: &route.DummyInfo{}}
	got, err := l.Marshal(nil)
	require.NoError(t, err)
	want := []byte{
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ifinfomsg
		7, 0, 3, 0, 'd', '0', 0, 0, // IFLA_IFNAME "d0"
		8, 0, 4, 0, 0x78, 0x05, 0, 0, // IFLA_MTU 1400
		16, 0, 18, 0, // IFLA_LINKINFO
		10, 0, 1, 0, 'd', 'u', 'm', 'm', 'y', 0, 0, 0, // IFLA_INFO_KIND "dummy"
	}
	require.Equal(t, want, got)
	var back route.Link
	require.NoError(t, back.Unmarshal(want))
	require.Equal(t, "d0", back.Name)
	require.Equal(t, uint32(1400), back.MTU)
	require.IsType(t, &route.DummyInfo{}, back.Info)

	// A veth with its peer nests the peer's ifinfomsg in VETH_INFO_PEER.
	v := &route.Link{Name: "a", Info: &route.VethInfo{Peer: &route.Link{Name: "b", MTU: 1280}}}
	w, err := v.Marshal(nil)
	require.NoError(t, err)
	var vb route.Link
	require.NoError(t, vb.Unmarshal(w))
	p := vb.Info.(*route.VethInfo).Peer
	require.Equal(t, "b", p.Name)
	require.Equal(t, uint32(1280), p.MTU)

	// An unknown kind keeps its raw bytes both ways.
	raw := &route.Link{Name: "n0", Info: &route.RawLinkInfo{Name: "nosuchkind", Data: []byte{8, 0, 1, 0, 1, 2, 3, 4}}}
	w, err = raw.Marshal(nil)
	require.NoError(t, err)
	var rb route.Link
	require.NoError(t, rb.Unmarshal(w))
	require.Equal(t, raw.Info, rb.Info)
	require.True(t, raw.Equal(&rb))
}

func linkSkipBigEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the byte vectors are little-endian")
	}
}
