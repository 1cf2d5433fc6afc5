package ethtool

import (
	"encoding/json"
	"testing"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// ringsReply encodes a RINGS_GET_REPLY as a driver with rings would send
// it (veth has none to capture).
func ringsReply() []byte {
	var e core.AttrEncoder
	e.Raw([]byte{unix.ETHTOOL_MSG_RINGS_GET_REPLY, 1, 0, 0})
	appendHeader(&e, unix.ETHTOOL_A_RINGS_HEADER, Device{Index: 2, Name: "eth0"}, 0)
	e.Uint32(unix.ETHTOOL_A_RINGS_RX_MAX, 4096)
	e.Uint32(unix.ETHTOOL_A_RINGS_TX_MAX, 4096)
	e.Uint32(unix.ETHTOOL_A_RINGS_RX, 512)
	e.Uint32(unix.ETHTOOL_A_RINGS_TX, 1024)
	e.Uint32(unix.ETHTOOL_A_RINGS_RX_BUF_LEN, 2048)
	e.Uint8(unix.ETHTOOL_A_RINGS_TCP_DATA_SPLIT, 1)
	e.Uint32(unix.ETHTOOL_A_RINGS_HDS_THRESH_MAX, 1024)
	return e.Bytes()
}

// seed adds every captured payload and the encoder's own bytes.
func seed(f *testing.F) {
	for _, b := range allTestdata(f) {
		f.Add(b)
	}
	f.Add(ringsReply())
	for _, m := range []interface{ Marshal([]byte) ([]byte, error) }{
		&Channels{Dev: Device{Name: "veth0"}, RX: 2, RXMax: 4},
		&Rings{Dev: Device{Index: 3}, RX: 100, TXPush: 1},
		&LinkInfo{Dev: Device{Name: "x"}, Port: PortFibre},
		&LinkModes{Dev: Device{Name: "x"}, Autoneg: true, Ours: *NewBitset(100, true)},
		&Features{Dev: Device{Name: "x"}, Wanted: *NewBitset(64, true)},
		&StringSets{Sets: []StringSet{{ID: StringSetFeatures}}},
	} {
		b, err := m.Marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1, 0, 0, 4, 0})
}

// decoded exercises what a decoded value offers, which must not panic
// either.
func decoded(t *testing.T, v interface {
	String() string
	Marshal([]byte) ([]byte, error)
}) {
	_ = v.String()
	if _, err := json.Marshal(v); err != nil {
		t.Fatalf("json: %v", err)
	}
	_, _ = v.Marshal(nil)
}

func FuzzBitset(f *testing.F) {
	for _, name := range []string{"features", "features_verbose", "linkmodes", "linkmodes_verbose", "features_ntf"} {
		s := core.ScanAttrs(testdata(f, name)[4:])
		for s.Next() {
			if s.Type() > 1 { // the bit sets, past the header nest
				f.Add(s.Bytes())
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Bitset
		if b.Unmarshal(data) != nil {
			return
		}
		_ = b.String()
		_ = b.Bits()
		_ = b.SetNames()
		var e core.AttrEncoder
		if err := b.AppendCompact(&e, 1); err != nil {
			t.Fatalf("a decoded set does not encode: %v", err)
		}
		var back Bitset
		s := core.ScanAttrs(e.Bytes())
		s.Next()
		if err := back.Unmarshal(s.Bytes()); err != nil || !back.Equal(&b) {
			t.Fatalf("compact round trip: %v: %v vs %v", err, &b, &back)
		}
		e.Reset()
		if err := b.AppendVerbose(&e, 1); err != nil {
			t.Fatalf("verbose: %v", err)
		}
		s = core.ScanAttrs(e.Bytes())
		s.Next()
		if err := back.Unmarshal(s.Bytes()); err != nil || !back.Equal(&b) {
			t.Fatalf("verbose round trip: %v: %v vs %v", err, &b, &back)
		}
	})
}

func FuzzFeatures(f *testing.F) {
	seed(f)
	names := featureNames(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ft Features
		if ft.Unmarshal(data) != nil {
			return
		}
		ft.SetNames(names)
		decoded(t, &ft)
		_ = ft.List()
		_, _ = ft.request(map[string]bool{"rx-gro": true, "tx": false, "nosuch": true})
		_ = ft.Diff(&ft)
	})
}

func FuzzFeatureChange(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var c FeatureChange
		if c.Unmarshal(data) != nil {
			return
		}
		_ = c.Changed()
		_ = c.NotApplied()
	})
}

func FuzzLinkInfo(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var l LinkInfo
		if l.Unmarshal(data) == nil {
			decoded(t, &l)
		}
	})
}

func FuzzLinkModes(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m LinkModes
		if m.Unmarshal(data) == nil {
			decoded(t, &m)
			_ = m.Diff(&m)
		}
	})
}

func FuzzLinkState(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var l LinkState
		if l.Unmarshal(data) == nil {
			decoded(t, &l)
		}
	})
}

func FuzzRings(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Rings
		if r.Unmarshal(data) == nil {
			decoded(t, &r)
		}
	})
}

func FuzzChannels(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Channels
		if c.Unmarshal(data) == nil {
			decoded(t, &c)
		}
	})
}

func FuzzStringSets(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ss StringSets
		if ss.Unmarshal(data) == nil {
			_, _ = ss.Marshal(nil)
		}
	})
}

func FuzzEvent(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev Event
		if ev.Unmarshal(data) == nil {
			_ = ev.String()
			if _, err := json.Marshal(&ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzAttrPath(f *testing.F) {
	var e core.AttrEncoder
	appendHeader(&e, 1, Device{Name: "eth0"}, FlagCompactBitsets)
	NewBitset(40, true).AppendVerbose(&e, unix.ETHTOOL_A_FEATURES_WANTED)
	f.Add(e.Bytes(), 4)
	f.Add(e.Bytes(), 24)
	f.Fuzz(func(t *testing.T, attrs []byte, off int) {
		_ = ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, off)
	})
}
