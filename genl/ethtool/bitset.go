package ethtool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// MaxBits bounds the size of a bit set this package decodes or encodes.
// The kernel's largest (link modes) has a few hundred bits; the bound keeps
// a malformed size from making a decoder allocate without limit.
const MaxBits = 1 << 16

// Bitset is an ethtool bit set (ETHTOOL_A_BITSET_*): Size bits, their
// values, and optionally a mask saying which bits the set speaks of.
//
// The kernel sends bit sets in one of two forms. The compact form carries
// the value and the mask as arrays of 32-bit words; the verbose form lists
// bits one by one, each with its index, its name, and a flag when set.
// Unmarshal reads both; AppendCompact and AppendVerbose write them.
//
// Without a mask (the kernel's ETHTOOL_A_BITSET_NOMASK, Mask nil) a set is
// a plain list: the bits set in Value. With one, the bits outside Mask are
// "not spoken of": in a reply, for example, the link modes a device does
// not support; in a request, the bits to leave as they are.
type Bitset struct {
	// Size is the number of bits.
	Size uint32
	// Value holds the bits, 32 to a word: bit i is Value[i/32]>>(i%32)&1.
	Value []uint32
	// Mask, when not nil, says which bits the set speaks of.
	Mask []uint32
	// Names are the bits' names by index, when known: the verbose form
	// carries them, and a Client fills them from the kernel's string sets
	// for the compact form. Unnamed bits have "".
	Names []string
}

// NewBitset returns an empty set of size bits, with a mask when masked.
func NewBitset(size uint32, masked bool) *Bitset {
	b := &Bitset{Size: size, Value: make([]uint32, words(size))}
	if masked {
		b.Mask = make([]uint32, words(size))
	}
	return b
}

func words(n uint32) int { return int((n + 31) / 32) }

func testBit(w []uint32, i uint32) bool {
	if int(i/32) >= len(w) {
		return false
	}
	return w[i/32]&(1<<(i%32)) != 0
}

func setBit(w []uint32, i uint32, on bool) {
	if on {
		w[i/32] |= 1 << (i % 32)
	} else {
		w[i/32] &^= 1 << (i % 32)
	}
}

// IsSet reports whether bit i is set (and, with a mask, in it).
func (b *Bitset) IsSet(i uint32) bool {
	return i < b.Size && testBit(b.Value, i) && b.InMask(i)
}

// InMask reports whether bit i is spoken of: in the mask, or below Size
// when the set has no mask.
func (b *Bitset) InMask(i uint32) bool {
	if i >= b.Size {
		return false
	}
	if b.Mask == nil {
		return true
	}
	return testBit(b.Mask, i)
}

// Set sets bit i to on, adding it to the mask if the set has one. It
// grows the set when i is past Size.
func (b *Bitset) Set(i uint32, on bool) {
	if i >= b.Size {
		b.Size = i + 1
	}
	for len(b.Value) < words(b.Size) {
		b.Value = append(b.Value, 0)
	}
	setBit(b.Value, i, on)
	if b.Mask != nil {
		for len(b.Mask) < words(b.Size) {
			b.Mask = append(b.Mask, 0)
		}
		setBit(b.Mask, i, true)
	}
}

// Bits returns the indexes of the bits set, in order.
func (b *Bitset) Bits() []uint32 {
	var out []uint32
	for wi, w := range b.Value {
		if b.Mask != nil {
			if wi >= len(b.Mask) {
				break
			}
			w &= b.Mask[wi]
		}
		for w != 0 {
			i := uint32(wi*32 + bits.TrailingZeros32(w))
			w &= w - 1
			if i < b.Size {
				out = append(out, i)
			}
		}
	}
	return out
}

// MaskBits returns the indexes of the bits in the mask (every bit below
// Size when there is none).
func (b *Bitset) MaskBits() []uint32 {
	if b.Mask == nil {
		out := make([]uint32, b.Size)
		for i := range out {
			out[i] = uint32(i)
		}
		return out
	}
	m := Bitset{Size: b.Size, Value: b.Mask}
	return m.Bits()
}

// Name is bit i's name, or "bit N" when it has none.
func (b *Bitset) Name(i uint32) string {
	if int(i) < len(b.Names) && b.Names[i] != "" {
		return b.Names[i]
	}
	return "bit " + strconv.FormatUint(uint64(i), 10)
}

// Index finds a bit by name.
func (b *Bitset) Index(name string) (uint32, bool) {
	for i, n := range b.Names {
		if n == name {
			return uint32(i), true
		}
	}
	return 0, false
}

// SetNames returns the names of the bits set (see Name).
func (b *Bitset) SetNames() []string {
	idx := b.Bits()
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = b.Name(x)
	}
	return out
}

// MaskNames returns the names of the bits in the mask.
func (b *Bitset) MaskNames() []string {
	idx := b.MaskBits()
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = b.Name(x)
	}
	return out
}

// Equal reports whether b and o hold the same bits: size, values within
// the mask, and mask. Names are not compared.
func (b *Bitset) Equal(o *Bitset) bool {
	if b == nil || o == nil {
		return b == o
	}
	if b.Size != o.Size || (b.Mask == nil) != (o.Mask == nil) {
		return false
	}
	for i := uint32(0); i < b.Size; i++ {
		if b.InMask(i) != o.InMask(i) || b.IsSet(i) != o.IsSet(i) {
			return false
		}
	}
	return true
}

// String lists the bits set by name: "a b c"; with a mask, the bits in
// the mask that are clear follow with a "-": "a -b".
func (b *Bitset) String() string {
	var s strings.Builder
	for _, i := range b.MaskBits() {
		set := b.IsSet(i)
		if !set && b.Mask == nil {
			continue
		}
		if s.Len() > 0 {
			s.WriteByte(' ')
		}
		if !set {
			s.WriteByte('-')
		}
		s.WriteString(b.Name(i))
	}
	return s.String()
}

// Reset empties b, keeping its buffers.
func (b *Bitset) Reset() {
	b.Size = 0
	b.Value = b.Value[:0]
	b.Mask = nil
	b.Names = nil // may be shared with a Client's string set cache
}

// BitsetError says what is wrong with a bit set.
type BitsetError struct {
	// Detail is the problem.
	Detail string
}

// Error prints "ethtool bitset: detail".
func (e *BitsetError) Error() string { return "ethtool bitset: " + e.Detail }

func bitsetErr(format string, args ...any) error {
	return &BitsetError{Detail: fmt.Sprintf(format, args...)}
}

// Unmarshal decodes a bit set from the payload of its nested attribute
// (the ETHTOOL_A_BITSET_* attributes), compact or verbose. Names are kept
// when the verbose form carries them.
func (b *Bitset) Unmarshal(data []byte) error {
	b.Reset()
	var (
		noMask, haveSize bool
		value, mask      []byte
		bitsAttr         []byte
		haveBits         bool
	)
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_BITSET_NOMASK:
			noMask = s.Flag()
		case unix.ETHTOOL_A_BITSET_SIZE:
			b.Size = s.Uint32()
			haveSize = true
		case unix.ETHTOOL_A_BITSET_BITS:
			bitsAttr, haveBits = s.Bytes(), true
		case unix.ETHTOOL_A_BITSET_VALUE:
			value = s.Bytes()
		case unix.ETHTOOL_A_BITSET_MASK:
			mask = s.Bytes()
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	if !haveSize {
		return bitsetErr("no size (ETHTOOL_A_BITSET_SIZE)")
	}
	if b.Size > MaxBits {
		return bitsetErr("size %d is more than %d bits", b.Size, MaxBits)
	}
	n := words(b.Size)
	if value != nil || (!haveBits && b.Size == 0) {
		// Compact: value, and a mask unless NOMASK.
		if len(value) != n*4 {
			return bitsetErr("value of %d bytes for %d bits, want %d", len(value), b.Size, n*4)
		}
		b.Value = appendWords(b.Value[:0], value)
		if !noMask {
			if mask == nil {
				return bitsetErr("no mask and no NOMASK flag")
			}
			if len(mask) != n*4 {
				return bitsetErr("mask of %d bytes for %d bits, want %d", len(mask), b.Size, n*4)
			}
			b.Mask = appendWords(make([]uint32, 0, n), mask)
		}
		return nil
	}
	if !haveBits {
		return bitsetErr("neither a value (compact) nor a bit list (verbose)")
	}
	return b.unmarshalVerbose(bitsAttr, noMask)
}

func appendWords(dst []uint32, b []byte) []uint32 {
	for len(b) >= 4 {
		dst = append(dst, binary.NativeEndian.Uint32(b))
		b = b[4:]
	}
	return dst
}

// unmarshalVerbose reads ETHTOOL_A_BITSET_BITS: one nest per bit, with
// its index, name and (with a mask) a VALUE flag when set.
func (b *Bitset) unmarshalVerbose(data []byte, noMask bool) error {
	n := words(b.Size)
	b.Value = append(b.Value[:0], make([]uint32, n)...)
	if !noMask {
		b.Mask = make([]uint32, n)
	}
	s := core.ScanAttrs(data)
	for s.Next() {
		if s.Type() != unix.ETHTOOL_A_BITSET_BITS_BIT {
			continue
		}
		var (
			idx     uint32
			haveIdx bool
			name    []byte
			val     bool
		)
		bs := s.Nested()
		for bs.Next() {
			switch bs.Type() {
			case unix.ETHTOOL_A_BITSET_BIT_INDEX:
				idx, haveIdx = bs.Uint32(), true
			case unix.ETHTOOL_A_BITSET_BIT_NAME:
				name = bs.Attr().StringBytes()
			case unix.ETHTOOL_A_BITSET_BIT_VALUE:
				val = bs.Flag()
			}
		}
		if err := bs.Err(); err != nil {
			return err
		}
		if !haveIdx {
			if name != nil {
				return bitsetErr("bit %q has no index", name)
			}
			return bitsetErr("bit with neither index nor name")
		}
		if idx >= b.Size {
			return bitsetErr("bit index %d out of a set of %d bits", idx, b.Size)
		}
		if noMask {
			setBit(b.Value, idx, true)
		} else {
			setBit(b.Mask, idx, true)
			setBit(b.Value, idx, val)
		}
		if len(name) > 0 {
			if len(b.Names) < int(b.Size) {
				b.Names = append(b.Names[:0], make([]string, b.Size)...)
			}
			b.Names[idx] = string(name)
		}
	}
	return s.Err()
}

// AppendCompact appends b as a nested attribute of type typ in the
// compact form: size, value, and mask or NOMASK.
func (b *Bitset) AppendCompact(e *core.AttrEncoder, typ uint16) error {
	if err := b.check(); err != nil {
		return err
	}
	n := e.NestStart(typ | core.AttrNested)
	if b.Mask == nil {
		e.Flag(unix.ETHTOOL_A_BITSET_NOMASK)
	}
	e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, b.Size)
	e.Binary(unix.ETHTOOL_A_BITSET_VALUE, wordBytes(b.Value, b.Size))
	if b.Mask != nil {
		e.Binary(unix.ETHTOOL_A_BITSET_MASK, wordBytes(b.Mask, b.Size))
	}
	return e.NestEnd(n)
}

// AppendVerbose appends b as a nested attribute of type typ in the
// verbose form: size, and one nest per bit with its index, its name when
// known, and (with a mask) a VALUE flag when set. Without a mask only the
// bits set are listed.
func (b *Bitset) AppendVerbose(e *core.AttrEncoder, typ uint16) error {
	if err := b.check(); err != nil {
		return err
	}
	n := e.NestStart(typ | core.AttrNested)
	if b.Mask == nil {
		e.Flag(unix.ETHTOOL_A_BITSET_NOMASK)
	}
	e.Uint32(unix.ETHTOOL_A_BITSET_SIZE, b.Size)
	list := e.NestStart(unix.ETHTOOL_A_BITSET_BITS | core.AttrNested)
	var idx []uint32
	if b.Mask == nil {
		idx = b.Bits()
	} else {
		idx = b.MaskBits()
	}
	for _, i := range idx {
		bit := e.NestStart(unix.ETHTOOL_A_BITSET_BITS_BIT | core.AttrNested)
		e.Uint32(unix.ETHTOOL_A_BITSET_BIT_INDEX, i)
		if int(i) < len(b.Names) && b.Names[i] != "" {
			e.String(unix.ETHTOOL_A_BITSET_BIT_NAME, b.Names[i])
		}
		if b.Mask != nil && testBit(b.Value, i) {
			e.Flag(unix.ETHTOOL_A_BITSET_BIT_VALUE)
		}
		if err := e.NestEnd(bit); err != nil {
			e.NestCancel(n)
			return err
		}
	}
	if err := e.NestEnd(list); err != nil {
		e.NestCancel(n)
		return err
	}
	return e.NestEnd(n)
}

func (b *Bitset) check() error {
	if b.Size > MaxBits {
		return bitsetErr("size %d is more than %d bits", b.Size, MaxBits)
	}
	if len(b.Value) > words(b.Size) || (b.Mask != nil && len(b.Mask) > words(b.Size)) {
		return errors.New("ethtool bitset: more words than Size bits hold")
	}
	return nil
}

// wordBytes encodes the first size bits of w as the kernel's u32 array,
// clearing the bits past size.
func wordBytes(w []uint32, size uint32) []byte {
	n := words(size)
	out := make([]byte, 0, n*4)
	for i := 0; i < n; i++ {
		var v uint32
		if i < len(w) {
			v = w[i]
		}
		if i == n-1 && size%32 != 0 {
			v &= 1<<(size%32) - 1
		}
		out = binary.NativeEndian.AppendUint32(out, v)
	}
	return out
}
