package bench

import (
	"encoding/binary"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// linkSummary is what a typical link decoder reads from an RTM_NEWLINK:
// byte slices alias the message, so decoding allocates nothing.
type linkSummary struct {
	index     int32
	name      []byte
	kind      []byte
	mtu       uint32
	txqlen    uint32
	operstate uint8
	hw        [6]byte
	rxBytes   uint64
	afAttrs   int // attributes inside IFLA_AF_SPEC's per-family nests
}

// decodeLink fills out from an RTM_NEWLINK payload with core.AttrScanner.
func decodeLink(data []byte, out *linkSummary) error {
	if len(data) < unix.SizeofIfInfomsg {
		return &core.ParseError{What: "ifinfomsg", Len: len(data), Want: unix.SizeofIfInfomsg}
	}
	out.index = int32(binary.NativeEndian.Uint32(data[4:8]))
	s := core.ScanAttrs(data[unix.SizeofIfInfomsg:])
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_IFNAME:
			out.name = s.Attr().StringBytes()
		case unix.IFLA_MTU:
			out.mtu = s.Uint32()
		case unix.IFLA_TXQLEN:
			out.txqlen = s.Uint32()
		case unix.IFLA_OPERSTATE:
			out.operstate = s.Uint8()
		case unix.IFLA_ADDRESS:
			copy(out.hw[:], s.Bytes())
		case unix.IFLA_STATS64:
			if b := s.Bytes(); len(b) >= 24 {
				out.rxBytes = binary.NativeEndian.Uint64(b[16:24]) // rx_bytes
			}
		case unix.IFLA_LINKINFO:
			n := s.Nested()
			for n.Next() {
				if n.Type() == unix.IFLA_INFO_KIND {
					out.kind = n.Attr().StringBytes()
				}
			}
			s.Fail(n.Err())
		case unix.IFLA_AF_SPEC:
			fams := s.Nested()
			for fams.Next() {
				f := fams.Nested()
				for f.Next() {
					out.afAttrs++
				}
				fams.Fail(f.Err())
			}
			s.Fail(fams.Err())
		}
	}
	return s.Err()
}

// BenchmarkAttrScan scans one veth RTM_NEWLINK (about 1.4 KB, 50-odd
// attributes): "walk" visits every attribute and nest, "decode" pulls out
// the fields a link object needs. "kernel" scans the message as the kernel
// here sent it, "built" the stand-in builtLinkMessage makes. Both must be
// 0 allocs/op (TestAttrScanAllocs holds that).
func BenchmarkAttrScan(b *testing.B) {
	msgs := []struct {
		name string
		get  func(b *testing.B) []byte
	}{
		{"built", func(*testing.B) []byte { return builtLinkMessage() }},
		{"kernel", kernelVethMessage},
	}
	for _, m := range msgs {
		b.Run(m.name+"-walk", func(b *testing.B) {
			data := m.get(b)
			b.SetBytes(int64(len(data)))
			var w attrWalk
			for b.Loop() {
				if err := w.walkMessage(data, unix.SizeofIfInfomsg, linkNests); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n)/float64(b.N), "attrs/op")
		})
		b.Run(m.name+"-decode", func(b *testing.B) {
			data := m.get(b)
			b.SetBytes(int64(len(data)))
			var l linkSummary
			for b.Loop() {
				l = linkSummary{}
				if err := decodeLink(data, &l); err != nil {
					b.Fatal(err)
				}
			}
			if string(l.kind) != "veth" {
				b.Fatalf("decoded kind %q, want veth", l.kind)
			}
		})
	}
}

// TestAttrScanAllocs holds the scanner to zero allocations on a realistic
// link message, walking every attribute and decoding a link's fields, and
// checks the decode read what the message holds.
func TestAttrScanAllocs(t *testing.T) {
	data := builtLinkMessage()
	var w attrWalk
	var l linkSummary
	allocs := testing.AllocsPerRun(100, func() {
		w = attrWalk{}
		l = linkSummary{}
		if err := w.walkMessage(data, unix.SizeofIfInfomsg, linkNests); err != nil {
			t.Fatal(err)
		}
		if err := decodeLink(data, &l); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "allocations per scan of a link message")

	require.Equal(t, int32(42), l.index)
	require.Equal(t, "va1234", string(l.name))
	require.Equal(t, "veth", string(l.kind))
	require.Equal(t, uint32(1500), l.mtu)
	require.Equal(t, uint32(1000), l.txqlen)
	require.Equal(t, uint8(2), l.operstate)
	require.Equal(t, [6]byte{0x02, 0x42, 0xac, 0x11, 0x00, 0x02}, l.hw)
	require.Equal(t, 8, l.afAttrs, "attributes in the AF_INET and AF_INET6 nests")
	// Top level 40, plus 1 in IFLA_XDP, 1 in IFLA_LINKINFO, 2 family
	// nests in IFLA_AF_SPEC and 8 attributes in those.
	require.Equal(t, 52, w.n, "attributes walked")
}
