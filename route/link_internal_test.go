package route

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"unsafe"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
)

// TestLinkStatsLayout holds LinkStats' field order to struct
// rtnl_link_stats64's, which unmarshal relies on to copy the counters.
func TestLinkStatsLayout(t *testing.T) {
	b := make([]byte, 8*linkStatsFields)
	for i := range linkStatsFields {
		binary.NativeEndian.PutUint64(b[8*i:], uint64(i+1))
	}
	var s LinkStats
	require.NoError(t, s.unmarshal(b))
	for i, f := range s.fields() {
		require.Equal(t, uint64(i+1), *f, "counter %d", i)
	}
	require.Equal(t, uintptr(8*linkStatsFields), unsafe.Sizeof(s))
	// A shorter struct (an older kernel) leaves the later counters zero.
	require.NoError(t, s.unmarshal(b[:16]))
	require.Equal(t, LinkStats{RxPackets: 1, TxPackets: 2}, s)
	require.Error(t, s.unmarshal(b[:12]))
}

// linkInternalSeeds are the captured kernel messages, sorted by name.
func linkInternalSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/link_*.bin")
	require.NoError(t, err)
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	require.NotEmpty(t, out)
	return out
}

// linkDecodeModes decodes b the three ways the package does: Unmarshal
// into a fresh Link, a LinkIter step (into a Link holding prev, with an
// arena), and a list entry (a zero Link, an arena with slabs).
func linkDecodeModes(prev, b []byte) (fresh, it, list *Link, errs [3]error) {
	fresh, it, list = &Link{}, &Link{}, &Link{}
	errs[0] = fresh.Unmarshal(b)
	var mem linkMem
	if len(prev) >= 16 {
		_ = it.decode(prev, nil, &Link{}, &mem)
	}
	if len(b) < 16 {
		errs[1] = it.Unmarshal(b)
	} else {
		old := *it
		errs[1] = it.decode(b, nil, &old, &mem)
	}
	lm := &linkMem{list: true}
	if len(b) < 16 {
		errs[2] = list.Unmarshal(b)
	} else {
		errs[2] = list.decode(b, nil, &lm.zero, lm)
	}
	return fresh, it, list, errs
}

// TestLinkDecodeModesAgree: the iterator's and the list's decoders give
// the same Link as Unmarshal, for every captured message after every
// other.
func TestLinkDecodeModesAgree(t *testing.T) {
	seeds := linkInternalSeeds(t)
	for _, prev := range seeds {
		for _, b := range seeds {
			fresh, it, list, errs := linkDecodeModes(prev, b)
			require.Equal(t, [3]error{}, errs)
			require.Empty(t, fresh.Diff(it), fresh.Name)
			require.Empty(t, fresh.Diff(list), fresh.Name)
		}
	}
}

// TestLinkListMemory: a list's values share an arena and slabs, and their
// slices are capped, so appending to one never writes over another.
func TestLinkListMemory(t *testing.T) {
	seeds := linkInternalSeeds(t)
	m := &linkMem{list: true}
	links := make([]Link, len(seeds))
	for i, b := range seeds {
		require.NoError(t, links[i].decode(b, nil, &m.zero, m))
	}
	want := make([]Link, len(seeds))
	for i, b := range seeds {
		require.NoError(t, want[i].Unmarshal(b))
	}
	for i := range links {
		l := &links[i]
		if len(l.Address) > 0 {
			require.Equal(t, len(l.Address), cap(l.Address))
			_ = append(l.Address, 0xee)
		}
		if l.Inet != nil {
			require.Equal(t, len(l.Inet.Conf), cap(l.Inet.Conf))
			_ = append(l.Inet.Conf, 0xeeee)
		}
		if l.Inet6 != nil {
			require.Equal(t, len(l.Inet6.Conf), cap(l.Inet6.Conf))
			_ = append(l.Inet6.Conf, 0x7eee)
		}
	}
	for i := range links {
		require.Empty(t, want[i].Diff(&links[i]), want[i].Name)
	}
	// 100 veths cost the arena's and the slabs' chunks, not one
	// allocation per field or per link.
	va, err := os.ReadFile("testdata/link_va.bin")
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(20, func() {
		m := &linkMem{list: true}
		var l Link
		for range 100 {
			l = Link{}
			if err := l.decode(va, nil, &m.zero, m); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.LessOrEqual(t, allocs, 30.0)
}

// FuzzLinkDecodeModes: on any input, the three decoders agree (value and
// whether it is an error), and core.AttrScanner's short path for u32s
// reads what Attr.Uint32 reads.
func FuzzLinkDecodeModes(f *testing.F) {
	seeds := linkInternalSeeds(f)
	for i, b := range seeds {
		f.Add(seeds[(i+1)%len(seeds)], b)
	}
	f.Fuzz(func(t *testing.T, prev, b []byte) {
		fresh, it, list, errs := linkDecodeModes(prev, b)
		if (errs[0] == nil) != (errs[1] == nil) || (errs[0] == nil) != (errs[2] == nil) {
			t.Fatalf("errors differ: %v", errs)
		}
		if errs[0] == nil {
			if d := fresh.Diff(it); len(d) > 0 {
				t.Fatalf("iterator decode differs in %v", d)
			}
			if d := fresh.Diff(list); len(d) > 0 {
				t.Fatalf("list decode differs in %v", d)
			}
		}
		// The scanner's short path for u32s reads what Attr.Uint32 reads.
		cs := core.ScanAttrs(b)
		for cs.Next() {
			a := cs.Attr()
			cv, cerr := a.Uint32()
			if sv := cs.Uint32(); sv != cv || (cerr == nil) != (cs.Err() == nil) {
				t.Fatalf("u32 differs: %d %v / %d %v", cv, cerr, sv, cs.Err())
			}
		}
	})
}
