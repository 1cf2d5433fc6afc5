package ethtool

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata reads testdata/name.hex: a message payload the kernel sent
// (genlmsghdr and attributes), captured by TestCaptureTestdata.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	require.NoError(t, err)
	return b
}

// allTestdata returns every captured payload, for fuzz seeds.
func allTestdata(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	require.NoError(t, err)
	var out [][]byte
	for _, f := range files {
		out = append(out, testdata(t, strings.TrimSuffix(filepath.Base(f), ".hex")))
	}
	return out
}

func featureNames(t testing.TB) []string {
	t.Helper()
	var ss StringSets
	require.NoError(t, ss.Unmarshal(testdata(t, "strset_features")))
	require.Len(t, ss.Sets, 1)
	return ss.Sets[0].Strings
}

func TestDecodeCapturedLinkInfo(t *testing.T) {
	var l LinkInfo
	require.NoError(t, l.Unmarshal(testdata(t, "linkinfo")))
	require.Equal(t, "veth0", l.Dev.Name)
	require.NotZero(t, l.Dev.Index)
	require.Equal(t, PortTP, l.Port)
	require.Equal(t, TransceiverInternal, l.Transceiver)
	require.Equal(t, MDIXInvalid, l.TPMDIX)
	require.Equal(t, "veth0 port Twisted Pair phyad 0 transceiver internal mdix Unknown", l.String())
}

func TestDecodeCapturedLinkModes(t *testing.T) {
	for _, name := range []string{"linkmodes", "linkmodes_verbose"} {
		var m LinkModes
		require.NoError(t, m.Unmarshal(testdata(t, name)), name)
		require.Equal(t, "veth0", m.Dev.Name)
		require.EqualValues(t, 10000, m.Speed)
		require.Equal(t, DuplexFull, m.Duplex)
		require.False(t, m.Autoneg)
		require.Empty(t, m.Supported(), name)
		require.Equal(t, "veth0 speed 10000Mb/s duplex Full autoneg off", m.String())
	}
}

func TestDecodeCapturedLinkState(t *testing.T) {
	var l LinkState
	require.NoError(t, l.Unmarshal(testdata(t, "linkstate")))
	require.True(t, l.HasLink)
	require.True(t, l.Link)
	require.False(t, l.HasSQI)
	require.Equal(t, "veth0 link yes", l.String())
}

func TestDecodeCapturedChannels(t *testing.T) {
	var c Channels
	require.NoError(t, c.Unmarshal(testdata(t, "channels")))
	require.Equal(t, Channels{Dev: c.Dev, RXMax: 4, TXMax: 4, RX: 4, TX: 4}, c)
	require.Equal(t, "veth0 rx 4/4 tx 4/4 other n/a combined n/a", c.String())

	var ev Event
	require.NoError(t, ev.Unmarshal(testdata(t, "channels_ntf")))
	require.Equal(t, "channels", ev.Kind)
	require.EqualValues(t, 2, ev.Channels.RX)
	require.Equal(t, "veth0", ev.Dev.Name)
}

// TestDecodeCapturedFeatures reads the same features compact (named from
// the string set) and verbose (named by the kernel), and the two agree.
func TestDecodeCapturedFeatures(t *testing.T) {
	names := featureNames(t)
	require.Contains(t, names, "rx-gro")
	require.Contains(t, names, "tx-checksum-ip-generic")

	var compact, verbose Features
	require.NoError(t, compact.Unmarshal(testdata(t, "features")))
	compact.SetNames(names)
	require.NoError(t, verbose.Unmarshal(testdata(t, "features_verbose")))
	require.NotEmpty(t, verbose.HW.Names, "verbose bit sets carry names")
	require.Empty(t, compact.Diff(&verbose))
	require.True(t, compact.Equal(&verbose))
	require.Equal(t, compact.List(), verbose.List())

	f, ok := compact.Get("tx-checksum-ip-generic")
	require.True(t, ok)
	require.Equal(t, Feature{Name: "tx-checksum-ip-generic", Active: true, Requested: true}, f)
	f, ok = compact.Get("loopback")
	require.True(t, ok)
	require.Equal(t, Feature{Name: "loopback", Fixed: true}, f)
	require.Equal(t, "loopback: off [fixed]", f.String())
	_, ok = compact.Get("nosuch")
	require.False(t, ok)
	require.Contains(t, compact.ActiveNames(), "highdma")

	var ev Event
	require.NoError(t, ev.Unmarshal(testdata(t, "features_ntf")))
	require.Equal(t, "features", ev.Kind)
	ev.Features.SetNames(names)
	f, _ = ev.Features.Get("rx-gro")
	require.True(t, f.Active, "the notification follows turning rx-gro on")
	require.Equal(t, []string{"wanted", "active"}, compact.Diff(ev.Features))

	var ch FeatureChange
	require.NoError(t, ch.Unmarshal(testdata(t, "features_set_reply")))
	ch.Active.Names, ch.Wanted.Names = names, names
	require.Equal(t, map[string]bool{"rx-gro": true}, ch.Changed())
	require.Empty(t, ch.NotApplied())
}

// TestFeaturesRequest checks what SetFeatures would send and refuse,
// on the captured veth features.
func TestFeaturesRequest(t *testing.T) {
	var f Features
	require.NoError(t, f.Unmarshal(testdata(t, "features")))
	f.SetNames(featureNames(t))

	req, fe := f.request(map[string]bool{"gro": true, "tx-nocache-copy": true, "tx": false})
	require.Nil(t, fe)
	idx := func(n string) uint32 { i, ok := f.HW.Index(n); require.True(t, ok, n); return i }
	require.True(t, req.IsSet(idx("rx-gro")))
	require.True(t, req.IsSet(idx("tx-nocache-copy")))
	require.True(t, req.InMask(idx("tx-checksum-ip-generic")))
	require.False(t, req.IsSet(idx("tx-checksum-ip-generic")))
	require.False(t, req.InMask(idx("tx-checksum-ipv4")), "a fixed member of a group is left alone")
	require.False(t, req.InMask(idx("highdma")))

	_, fe = f.request(map[string]bool{"loopback": true, "nosuch": true, "lro": true, "highdma": true})
	require.NotNil(t, fe)
	require.Equal(t, []string{"nosuch"}, fe.Unknown)
	require.Equal(t, []FeatureProblem{{"loopback", true}, {"lro", true}}, fe.Fixed)
	require.Equal(t, `unknown feature "nosuch"; feature "loopback" is fixed off on this device, cannot turn it on; `+
		`feature "lro" is fixed off on this device, cannot turn it on`, fe.Error())

	// Asking a fixed feature for the value it has is no change, not an error.
	_, fe = f.request(map[string]bool{"loopback": false})
	require.Nil(t, fe)
}

func TestDecodeCapturedStringSet(t *testing.T) {
	var ss StringSets
	require.NoError(t, ss.Unmarshal(testdata(t, "strset_features")))
	require.EqualValues(t, StringSetFeatures, ss.Sets[0].ID)
	// A few feature bits are unused and have no name.
	named := 0
	for _, n := range ss.Sets[0].Strings {
		if n != "" {
			named++
		}
	}
	require.Greater(t, named, 50)
	require.Equal(t, "tx-scatter-gather", ss.Sets[0].Strings[0])
}
