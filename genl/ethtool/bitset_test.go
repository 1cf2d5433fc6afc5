package ethtool

import (
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// encodeBitset encodes b in one form and returns the nest's payload.
func encodeBitset(t *testing.T, b *Bitset, verbose bool) []byte {
	t.Helper()
	var e core.AttrEncoder
	if verbose {
		require.NoError(t, b.AppendVerbose(&e, 7))
	} else {
		require.NoError(t, b.AppendCompact(&e, 7))
	}
	s := core.ScanAttrs(e.Bytes())
	require.True(t, s.Next())
	require.EqualValues(t, 7, s.Type())
	require.True(t, s.Attr().Nested(), "NLA_F_NESTED is set")
	return s.Bytes()
}

func TestBitsetRoundTrip(t *testing.T) {
	names := []string{"a", "b", "", "d", "e"}
	masked := NewBitset(40, true)
	masked.Names = names
	masked.Set(0, true)
	masked.Set(3, false)
	masked.Set(33, true)
	list := NewBitset(40, false)
	list.Names = names
	list.Set(1, true)
	list.Set(39, true)

	for _, b := range []*Bitset{masked, list} {
		for _, verbose := range []bool{false, true} {
			var got Bitset
			require.NoError(t, got.Unmarshal(encodeBitset(t, b, verbose)))
			require.True(t, b.Equal(&got), "verbose %v: %v vs %v", verbose, b, &got)
			require.Equal(t, b.Bits(), got.Bits())
			require.Equal(t, b.MaskBits(), got.MaskBits())
			if verbose {
				first := b.Bits()[0]
				require.Equal(t, b.Name(first), got.Name(first), "verbose carries names")
				require.NotEqual(t, "bit 0", got.Name(first))
			}
		}
	}
	require.Equal(t, []uint32{0, 33}, masked.Bits())
	require.Equal(t, []uint32{0, 3, 33}, masked.MaskBits())
	require.Equal(t, "a -d bit 33", masked.String())
	require.Equal(t, "b bit 39", list.String())
	require.Equal(t, []string{"a", "bit 33"}, masked.SetNames())
	require.Equal(t, []string{"a", "d", "bit 33"}, masked.MaskNames())
	i, ok := masked.Index("d")
	require.True(t, ok)
	require.EqualValues(t, 3, i)
	require.True(t, masked.InMask(3))
	require.False(t, masked.IsSet(3))
	require.False(t, masked.InMask(4))
	require.True(t, list.InMask(4))
	require.False(t, list.IsSet(40))
	require.False(t, masked.Equal(list))

	// Set past Size grows the set.
	g := NewBitset(0, false)
	g.Set(70, true)
	require.EqualValues(t, 71, g.Size)
	require.Equal(t, []uint32{70}, g.Bits())
}

// TestBitsetCompactLayout pins the compact form's bytes: the kernel reads
// the value and mask as u32 words in host order.
func TestBitsetCompactLayout(t *testing.T) {
	b := NewBitset(33, true)
	b.Set(0, true)
	b.Set(32, false)
	var want core.AttrEncoder
	want.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 33)
	want.Binary(unix.ETHTOOL_A_BITSET_VALUE, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	want.Binary(unix.ETHTOOL_A_BITSET_MASK, []byte{1, 0, 0, 0, 1, 0, 0, 0})
	require.Equal(t, want.Bytes(), encodeBitset(t, b, false))
}

func TestBitsetBadInput(t *testing.T) {
	enc := func(f func(e *core.AttrEncoder)) []byte {
		var e core.AttrEncoder
		f(&e)
		return e.Bytes()
	}
	for _, tc := range []struct {
		name, err string
		data      []byte
	}{
		{"no size", "no size", enc(func(e *core.AttrEncoder) { e.Binary(unix.ETHTOOL_A_BITSET_VALUE, []byte{1, 0, 0, 0}) })},
		{"huge size", "more than 65536 bits", enc(func(e *core.AttrEncoder) {
			e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 1<<31)
			e.NestEnd(e.NestStart(unix.ETHTOOL_A_BITSET_BITS))
		})},
		{"short value", "value of 4 bytes for 40 bits, want 8", enc(func(e *core.AttrEncoder) {
			e.Flag(unix.ETHTOOL_A_BITSET_NOMASK)
			e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 40)
			e.Binary(unix.ETHTOOL_A_BITSET_VALUE, []byte{1, 0, 0, 0})
		})},
		{"no mask", "no mask and no NOMASK", enc(func(e *core.AttrEncoder) {
			e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 8)
			e.Binary(unix.ETHTOOL_A_BITSET_VALUE, []byte{1, 0, 0, 0})
		})},
		{"bit out of range", "bit index 9 out of a set of 8 bits", enc(func(e *core.AttrEncoder) {
			e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 8)
			l := e.NestStart(unix.ETHTOOL_A_BITSET_BITS)
			b := e.NestStart(unix.ETHTOOL_A_BITSET_BITS_BIT)
			e.Uint32(unix.ETHTOOL_A_BITSET_BIT_INDEX, 9)
			e.NestEnd(b)
			e.NestEnd(l)
		})},
		{"bit without index", `bit "x" has no index`, enc(func(e *core.AttrEncoder) {
			e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 8)
			l := e.NestStart(unix.ETHTOOL_A_BITSET_BITS)
			b := e.NestStart(unix.ETHTOOL_A_BITSET_BITS_BIT)
			e.String(unix.ETHTOOL_A_BITSET_BIT_NAME, "x")
			e.NestEnd(b)
			e.NestEnd(l)
		})},
		{"neither form", "neither a value", enc(func(e *core.AttrEncoder) { e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, 8) })},
		{"truncated", "malformed", []byte{8, 0, 2, 0, 1}},
	} {
		var b Bitset
		err := b.Unmarshal(tc.data)
		require.ErrorContains(t, err, tc.err, tc.name)
	}

	var e core.AttrEncoder
	big := &Bitset{Size: MaxBits + 1}
	require.Error(t, big.AppendCompact(&e, 1))
	require.Error(t, big.AppendVerbose(&e, 1))
	require.Zero(t, e.Len(), "nothing is written on error")
}
