package core_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// polEnc returns the attributes fn encodes, copied out of the encoder.
func polEnc(fn func(e *core.AttrEncoder)) []byte {
	var e core.AttrEncoder
	fn(&e)
	return append([]byte{}, e.Bytes()...)
}

// polOne is a policy "T" whose only rule is ap, for type 1, named "A" unless
// ap names itself.
func polOne(ap core.AttrPolicy) *core.Policy {
	if ap.Name == "" {
		ap.Name = "A"
	}
	return &core.Policy{Name: "T", Attrs: []core.AttrPolicy{1: ap}}
}

// polBin encodes one attribute of type 1 with payload b.
func polBin(b ...byte) []byte {
	return polEnc(func(e *core.AttrEncoder) { e.Binary(1, b) })
}

// polBitfield encodes a struct nla_bitfield32 as attribute 1.
func polBitfield(value, selector uint32) []byte {
	var b []byte
	b = binary.NativeEndian.AppendUint32(b, value)
	b = binary.NativeEndian.AppendUint32(b, selector)
	return polBin(b...)
}

type policyCase struct {
	name   string
	policy *core.Policy
	in     []byte
	want   string // "" when valid
}

func runPolicyCases(t *testing.T, cases []policyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Validate(tc.in)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			var pe *core.PolicyError
			require.ErrorAs(t, err, &pe)
		})
	}
}

func TestPolicyKinds(t *testing.T) {
	u8 := polOne(core.AttrPolicy{Kind: core.KindU8, UintRange: &core.UintRange{Min: 1, Max: 10}})
	u16 := polOne(core.AttrPolicy{Kind: core.KindU16, Mask: 0x0f})
	u32 := polOne(core.AttrPolicy{Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}})
	u64 := polOne(core.AttrPolicy{Kind: core.KindU64, UintRange: &core.UintRange{Min: 1 << 32, Max: 1 << 40}, Mask: 1<<41 - 1})
	s8 := polOne(core.AttrPolicy{Kind: core.KindS8, IntRange: &core.IntRange{Min: -1, Max: 10}})
	s16 := polOne(core.AttrPolicy{Kind: core.KindS16, IntRange: &core.IntRange{Min: -1000, Max: 1000}})
	s32 := polOne(core.AttrPolicy{Kind: core.KindS32, IntRange: &core.IntRange{Min: -5, Max: 5}})
	s32any := polOne(core.AttrPolicy{Kind: core.KindS32})
	s64 := polOne(core.AttrPolicy{Kind: core.KindS64, IntRange: &core.IntRange{Min: -1 << 40, Max: 0}})
	uintp := polOne(core.AttrPolicy{Kind: core.KindUint, UintRange: &core.UintRange{Min: 1, Max: 1 << 41}})
	uintMask := polOne(core.AttrPolicy{Kind: core.KindUint, Mask: 0xff00})
	sintp := polOne(core.AttrPolicy{Kind: core.KindSint, IntRange: &core.IntRange{Min: -10, Max: 10}})
	flag := polOne(core.AttrPolicy{Kind: core.KindFlag})
	str := polOne(core.AttrPolicy{Kind: core.KindString, MaxLen: 5})
	strMin := polOne(core.AttrPolicy{Kind: core.KindString, MinLen: 2})
	strExact := polOne(core.AttrPolicy{Kind: core.KindString, Len: 3})
	nul := polOne(core.AttrPolicy{Kind: core.KindNulString, MaxLen: unix.IFNAMSIZ - 1})
	nulMin := polOne(core.AttrPolicy{Kind: core.KindNulString, MinLen: 1})
	binExact := polOne(core.AttrPolicy{Kind: core.KindBinary, Len: 4})
	binRange := polOne(core.AttrPolicy{Kind: core.KindBinary, MinLen: 2, MaxLen: 6})
	binAny := polOne(core.AttrPolicy{Kind: core.KindBinary})
	unspec := polOne(core.AttrPolicy{Kind: core.KindUnspec, MaxLen: 2})
	bf := polOne(core.AttrPolicy{Kind: core.KindBitfield32, Mask: 0x7})
	bfAny := polOne(core.AttrPolicy{Kind: core.KindBitfield32})
	reject := polOne(core.AttrPolicy{Kind: core.KindReject})

	runPolicyCases(t, []policyCase{
		{"flag", flag, polEnc(func(e *core.AttrEncoder) { e.Flag(1) }), ""},
		{"flag with payload", flag, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 0) }), "A: length 4, want 0"},

		{"u8", u8, polEnc(func(e *core.AttrEncoder) { e.Uint8(1, 10) }), ""},
		{"u8 low", u8, polEnc(func(e *core.AttrEncoder) { e.Uint8(1, 0) }), "A: value 0 out of range [1, 10]"},
		{"u8 high", u8, polEnc(func(e *core.AttrEncoder) { e.Uint8(1, 11) }), "A: value 11 out of range [1, 10]"},
		{"u8 length", u8, polEnc(func(e *core.AttrEncoder) { e.Uint16(1, 5) }), "A: length 2, want 1"},

		{"u16 in mask", u16, polEnc(func(e *core.AttrEncoder) { e.Uint16(1, 0x0a) }), ""},
		{"u16 outside mask", u16, polEnc(func(e *core.AttrEncoder) { e.Uint16(1, 0x12) }), "A: value 0x12 sets bits 0x10 outside mask 0xf"},
		{"u16 length", u16, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 5) }), "A: length 4, want 2"},

		{"u32", u32, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1500) }), ""},
		{"u32 min", u32, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 68) }), ""},
		{"u32 max", u32, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 65535) }), ""},
		{"u32 below", u32, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 67) }), "A: value 67 out of range [68, 65535]"},
		{"u32 above", u32, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 70000) }), "A: value 70000 out of range [68, 65535]"},
		{"u32 length", u32, polBin(1, 2), "A: length 2, want 4"},

		{"u64", u64, polEnc(func(e *core.AttrEncoder) { e.Uint64(1, 1<<33) }), ""},
		{"u64 range", u64, polEnc(func(e *core.AttrEncoder) { e.Uint64(1, 1<<40+1) }), "A: value 1099511627777 out of range [4294967296, 1099511627776]"},
		{"u64 length", u64, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1) }), "A: length 4, want 8"},

		{"s8", s8, polEnc(func(e *core.AttrEncoder) { e.Int8(1, -1) }), ""},
		{"s8 range", s8, polEnc(func(e *core.AttrEncoder) { e.Int8(1, -2) }), "A: value -2 out of range [-1, 10]"},
		{"s8 length", s8, polEnc(func(e *core.AttrEncoder) { e.Int16(1, -1) }), "A: length 2, want 1"},

		{"s16", s16, polEnc(func(e *core.AttrEncoder) { e.Int16(1, -1000) }), ""},
		{"s16 range", s16, polEnc(func(e *core.AttrEncoder) { e.Int16(1, 1001) }), "A: value 1001 out of range [-1000, 1000]"},
		{"s16 length", s16, polEnc(func(e *core.AttrEncoder) { e.Int8(1, 1) }), "A: length 1, want 2"},

		{"s32", s32, polEnc(func(e *core.AttrEncoder) { e.Int32(1, -5) }), ""},
		{"s32 range", s32, polEnc(func(e *core.AttrEncoder) { e.Int32(1, 6) }), "A: value 6 out of range [-5, 5]"},
		{"s32 any", s32any, polEnc(func(e *core.AttrEncoder) { e.Int32(1, -1<<31) }), ""},
		{"s32 length", s32, polEnc(func(e *core.AttrEncoder) { e.Int64(1, 1) }), "A: length 8, want 4"},

		{"s64", s64, polEnc(func(e *core.AttrEncoder) { e.Int64(1, -1<<40) }), ""},
		{"s64 range", s64, polEnc(func(e *core.AttrEncoder) { e.Int64(1, -1<<40-1) }), "A: value -1099511627777 out of range [-1099511627776, 0]"},
		{"s64 length", s64, polEnc(func(e *core.AttrEncoder) { e.Int32(1, -1) }), "A: length 4, want 8"},

		{"uint 4 bytes", uintp, polEnc(func(e *core.AttrEncoder) { e.Uint(1, 7) }), ""},
		{"uint 8 bytes", uintp, polEnc(func(e *core.AttrEncoder) { e.Uint(1, 1<<41) }), ""},
		{"uint 8 bytes range", uintp, polEnc(func(e *core.AttrEncoder) { e.Uint(1, 1<<41+1) }), "A: value 2199023255553 out of range [1, 2199023255552]"},
		{"uint 4 bytes range", uintp, polEnc(func(e *core.AttrEncoder) { e.Uint(1, 0) }), "A: value 0 out of range [1, 2199023255552]"},
		{"uint length", uintp, polEnc(func(e *core.AttrEncoder) { e.Uint16(1, 7) }), "A: length 2, want 4 or 8"},
		{"uint mask", uintMask, polEnc(func(e *core.AttrEncoder) { e.Uint(1, 0x1ff00) }), "A: value 0x1ff00 sets bits 0x10000 outside mask 0xff00"},

		{"sint 4 bytes", sintp, polEnc(func(e *core.AttrEncoder) { e.Int(1, -10) }), ""},
		{"sint 8 bytes", sintp, polEnc(func(e *core.AttrEncoder) { e.Int64(1, 10) }), ""},
		{"sint 8 bytes range", sintp, polEnc(func(e *core.AttrEncoder) { e.Int(1, -1<<40) }), "A: value -1099511627776 out of range [-10, 10]"},
		{"sint 4 bytes range", sintp, polEnc(func(e *core.AttrEncoder) { e.Int(1, 11) }), "A: value 11 out of range [-10, 10]"},
		{"sint length", sintp, polEnc(func(e *core.AttrEncoder) { e.Int8(1, 1) }), "A: length 1, want 4 or 8"},

		{"string with NUL", str, polEnc(func(e *core.AttrEncoder) { e.String(1, "hello") }), ""},
		{"string without NUL", str, polBin('h', 'e', 'l', 'l', 'o'), ""},
		{"string empty with NUL", str, polEnc(func(e *core.AttrEncoder) { e.String(1, "") }), ""},
		{"string NUL inside", str, polBin('a', 0, 'b'), ""},
		{"string too long", str, polBin('h', 'e', 'l', 'l', 'o', '!'), "A: string length 6, want at most 5"},
		{"string too long with NUL", str, polEnc(func(e *core.AttrEncoder) { e.String(1, "hello!") }), "A: string length 6, want at most 5"},
		{"string empty payload", str, polBin(), "A: length 0, want at least 1"},
		{"string min", strMin, polEnc(func(e *core.AttrEncoder) { e.String(1, "ab") }), ""},
		{"string below min", strMin, polEnc(func(e *core.AttrEncoder) { e.String(1, "a") }), "A: string length 1, want at least 2"},
		{"string exact", strExact, polEnc(func(e *core.AttrEncoder) { e.String(1, "abc") }), ""},
		{"string not exact", strExact, polEnc(func(e *core.AttrEncoder) { e.String(1, "abcd") }), "A: string length 4, want 3"},

		{"nul string", nul, polEnc(func(e *core.AttrEncoder) { e.String(1, "eth0") }), ""},
		{"nul string at max", nul, polEnc(func(e *core.AttrEncoder) { e.String(1, "abcdefghijklmno") }), ""},
		{"nul string too long", nul, polEnc(func(e *core.AttrEncoder) { e.String(1, "abcdefghijklmnop") }), "A: string length 16, want at most 15"},
		{"nul string not terminated", nul, polBin('e', 't', 'h', '0'), "A: string not NUL-terminated"},
		{"nul string empty payload", nul, polBin(), "A: string not NUL-terminated"},
		{"nul string NUL inside", nul, polBin('a', 0, 'b', 0), "A: NUL inside string"},
		{"nul string empty", nul, polEnc(func(e *core.AttrEncoder) { e.String(1, "") }), ""},
		{"nul string below min", nulMin, polEnc(func(e *core.AttrEncoder) { e.String(1, "") }), "A: string length 0, want at least 1"},

		{"binary exact", binExact, polBin(1, 2, 3, 4), ""},
		{"binary not exact", binExact, polBin(1, 2, 3, 4, 5, 6), "A: length 6, want 4"},
		{"binary min", binRange, polBin(1, 2), ""},
		{"binary max", binRange, polBin(1, 2, 3, 4, 5, 6), ""},
		{"binary below min", binRange, polBin(1), "A: length 1, want at least 2"},
		{"binary above max", binRange, polBin(1, 2, 3, 4, 5, 6, 7), "A: length 7, want at most 6"},
		{"binary empty", binAny, polBin(), ""},

		{"unspec", unspec, polBin(9, 9), ""},
		{"unspec above max", unspec, polBin(9, 9, 9), "A: length 3, want at most 2"},

		{"bitfield32", bf, polBitfield(0x1, 0x3), ""},
		{"bitfield32 length", bf, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1) }), "A: length 4, want 8"},
		{"bitfield32 selector outside mask", bf, polBitfield(0x1, 0x9), "A: selector 0x9 sets bits 0x8 outside mask 0x7"},
		{"bitfield32 value outside mask", bf, polBitfield(0x8, 0x7), "A: value 0x8 sets bits 0x8 outside mask 0x7"},
		{"bitfield32 value outside selector", bf, polBitfield(0x5, 0x1), "A: value 0x5 sets bits 0x4 outside selector 0x1"},
		{"bitfield32 no mask", bfAny, polBitfield(0xf0000000, 0xff000000), ""},

		{"reject", reject, polBin(), "A: rejected by policy"},
		{"reject absent", reject, nil, ""},
	})
}

func TestPolicyNetByteOrder(t *testing.T) {
	be16 := polOne(core.AttrPolicy{Kind: core.KindU16, NetByteOrder: true, UintRange: &core.UintRange{Min: 1, Max: 1024}})
	host16 := polOne(core.AttrPolicy{Kind: core.KindU16, UintRange: &core.UintRange{Min: 1, Max: 1024}})
	be32 := polOne(core.AttrPolicy{Kind: core.KindU32, NetByteOrder: true, UintRange: &core.UintRange{Min: 68, Max: 65535}})
	be64 := polOne(core.AttrPolicy{Kind: core.KindU64, NetByteOrder: true, UintRange: &core.UintRange{Max: 1 << 20}})
	bes16 := polOne(core.AttrPolicy{Kind: core.KindS16, NetByteOrder: true, IntRange: &core.IntRange{Min: -5, Max: 5}})
	beUint := polOne(core.AttrPolicy{Kind: core.KindUint, NetByteOrder: true, UintRange: &core.UintRange{Max: 1 << 20}})
	beMask := polOne(core.AttrPolicy{Kind: core.KindU32, NetByteOrder: true, Mask: 0xff})

	runPolicyCases(t, []policyCase{
		// 0x0005 big-endian is 5; read in host (little-endian) order it would be 1280.
		{"be16 by policy", be16, polBin(0x00, 0x05), ""},
		{"be16 by policy out of range", be16, polBin(0x04, 0x01), "A: value 1025 out of range [1, 1024]"},
		{"be16 by flag", host16, polEnc(func(e *core.AttrEncoder) { e.Uint16BE(1, 5) }), ""},
		{"be16 by flag out of range", host16, polEnc(func(e *core.AttrEncoder) { e.Uint16BE(1, 1025) }), "A: value 1025 out of range [1, 1024]"},
		{"be32", be32, polBin(0, 0, 0x05, 0xdc), ""},
		{"be32 out of range", be32, polBin(0, 0x01, 0x11, 0x70), "A: value 70000 out of range [68, 65535]"},
		{"be32 flag too", be32, polEnc(func(e *core.AttrEncoder) { e.Uint32BE(1, 1500) }), ""},
		{"be64", be64, polEnc(func(e *core.AttrEncoder) { e.Uint64BE(1, 1<<20) }), ""},
		{"be64 out of range", be64, polBin(0, 0, 0, 0, 0, 0x10, 0, 1), "A: value 1048577 out of range [0, 1048576]"},
		{"be s16", bes16, polBin(0xff, 0xfe), ""},
		{"be s16 out of range", bes16, polBin(0xff, 0x00), "A: value -256 out of range [-5, 5]"},
		{"be uint 4 bytes", beUint, polBin(0, 0x10, 0, 0), ""},
		{"be uint 8 bytes out of range", beUint, polBin(0, 0, 0, 0, 0, 0x10, 0, 1), "A: value 1048577 out of range [0, 1048576]"},
		{"be mask", beMask, polBin(0, 0, 0, 0xff), ""},
		{"be outside mask", beMask, polBin(0, 0, 0x01, 0xff), "A: value 0x1ff sets bits 0x100 outside mask 0xff"},
	})
}

// polLink is a cut of rtnetlink's IFLA space: IFLA_LINKINFO nests
// IFLA_INFO, whose IFLA_INFO_DATA nests an unnamed kind-specific policy.
func polLink() *core.Policy {
	data := &core.Policy{Attrs: []core.AttrPolicy{
		1: {Kind: core.KindU16},
		3: {Kind: core.KindU32},
	}}
	info := &core.Policy{Name: "IFLA_INFO", Attrs: []core.AttrPolicy{
		unix.IFLA_INFO_KIND: {Name: "IFLA_INFO_KIND", Kind: core.KindString, Required: true},
		unix.IFLA_INFO_DATA: {Name: "IFLA_INFO_DATA", Kind: core.KindNested, Nested: data},
	}}
	return &core.Policy{Name: "IFLA", Attrs: []core.AttrPolicy{
		unix.IFLA_IFNAME:   {Name: "IFLA_IFNAME", Kind: core.KindNulString, MaxLen: unix.IFNAMSIZ - 1, Required: true},
		unix.IFLA_MTU:      {Name: "IFLA_MTU", Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}},
		unix.IFLA_LINKINFO: {Name: "IFLA_LINKINFO", Kind: core.KindNested, Nested: info},
	}}
}

func TestPolicyNested(t *testing.T) {
	link := polLink()
	linkInfo := func(data func(e *core.AttrEncoder)) []byte {
		return polEnc(func(e *core.AttrEncoder) {
			e.String(unix.IFLA_IFNAME, "veth0")
			n := e.NestStart(unix.IFLA_LINKINFO)
			e.String(unix.IFLA_INFO_KIND, "veth")
			d := e.NestStart(unix.IFLA_INFO_DATA | core.AttrNested)
			data(e)
			_ = e.NestEnd(d)
			_ = e.NestEnd(n)
		})
	}

	// Three levels of named policies, the innermost attribute unnamed.
	l3 := &core.Policy{Name: "P3", Attrs: []core.AttrPolicy{3: {Kind: core.KindU32}}}
	l2 := &core.Policy{Name: "P2", Attrs: []core.AttrPolicy{5: {Name: "L3", Kind: core.KindNested, Nested: l3}}}
	l1 := &core.Policy{Name: "P1", Attrs: []core.AttrPolicy{2: {Name: "L2", Kind: core.KindNested, Nested: l2}}}
	top := &core.Policy{Name: "P0", Attrs: []core.AttrPolicy{1: {Name: "L1", Kind: core.KindNested, Nested: l1}}}
	deep := func(inner func(e *core.AttrEncoder)) []byte {
		return polEnc(func(e *core.AttrEncoder) {
			a := e.NestStart(1)
			b := e.NestStart(2)
			c := e.NestStart(5)
			inner(e)
			_ = e.NestEnd(c)
			_ = e.NestEnd(b)
			_ = e.NestEnd(a)
		})
	}

	anyNest := polOne(core.AttrPolicy{Name: "N", Kind: core.KindNested})
	boundedNest := polOne(core.AttrPolicy{Name: "N", Kind: core.KindNested, MaxLen: 8})

	runPolicyCases(t, []policyCase{
		{"link", link, linkInfo(func(e *core.AttrEncoder) { e.Uint16(1, 7); e.Uint32(3, 9) }), ""},
		{"link data length", link, linkInfo(func(e *core.AttrEncoder) { e.Uint16(3, 9) }),
			"IFLA_LINKINFO > IFLA_INFO_DATA > 3: length 2, want 4"},
		{"link data unknown ignored", link, linkInfo(func(e *core.AttrEncoder) { e.Uint32(99, 1) }), ""},
		{"link mtu", link, polEnc(func(e *core.AttrEncoder) {
			e.String(unix.IFLA_IFNAME, "veth0")
			e.Uint32(unix.IFLA_MTU, 70000)
		}), "IFLA_MTU: value 70000 out of range [68, 65535]"},
		{"link missing name", link, polEnc(func(e *core.AttrEncoder) { e.Uint32(unix.IFLA_MTU, 1500) }),
			"missing required attribute IFLA_IFNAME"},
		{"link missing kind", link, polEnc(func(e *core.AttrEncoder) {
			e.String(unix.IFLA_IFNAME, "veth0")
			n := e.NestStart(unix.IFLA_LINKINFO)
			_ = e.NestEnd(n)
		}), "IFLA_LINKINFO: missing required attribute IFLA_INFO_KIND"},

		{"three deep", top, deep(func(e *core.AttrEncoder) { e.Uint32(3, 1) }), ""},
		{"three deep length", top, deep(func(e *core.AttrEncoder) { e.Uint16(3, 1) }), "L1 > L2 > L3 > 3: length 2, want 4"},
		{"three deep malformed", top, deep(func(e *core.AttrEncoder) { e.Raw([]byte{8, 0}) }),
			"L1 > L2 > L3: malformed attribute header at offset 12: 2 bytes left, want 4"},

		{"nested without policy", anyNest, polEnc(func(e *core.AttrEncoder) {
			n := e.NestStart(1)
			e.Uint32(7, 1)
			e.Flag(8)
			_ = e.NestEnd(n)
		}), ""},
		{"nested empty", anyNest, polEnc(func(e *core.AttrEncoder) { _ = e.NestEnd(e.NestStart(1)) }), ""},
		{"nested without policy malformed", anyNest, polEnc(func(e *core.AttrEncoder) {
			n := e.NestStart(1)
			e.Flag(8)
			e.Raw([]byte{0, 0})
			_ = e.NestEnd(n)
		}), "N: malformed attribute header at offset 8: 2 bytes left, want 4"},
		{"nested too long", boundedNest, polEnc(func(e *core.AttrEncoder) {
			n := e.NestStart(1)
			e.Uint32(7, 1)
			e.Flag(8)
			_ = e.NestEnd(n)
		}), "N: length 12, want at most 8"},
	})
}

func TestPolicyNestedArray(t *testing.T) {
	elem := &core.Policy{Name: "ELEM", RejectUnknown: true, Attrs: []core.AttrPolicy{
		1: {Name: "NAME", Kind: core.KindNulString},
		2: {Name: "ID", Kind: core.KindU32, Required: true, UintRange: &core.UintRange{Min: 1, Max: 100}},
	}}
	p := &core.Policy{Name: "T", Attrs: []core.AttrPolicy{
		1: {Name: "ARR", Kind: core.KindNestedArray, Nested: elem},
		2: {Name: "RAW", Kind: core.KindNestedArray},
	}}
	array := func(typ uint16, elems ...func(e *core.AttrEncoder)) []byte {
		return polEnc(func(e *core.AttrEncoder) {
			a := e.NestStart(typ)
			for i, fn := range elems {
				n := e.NestStart(uint16(i + 1))
				fn(e)
				_ = e.NestEnd(n)
			}
			_ = e.NestEnd(a)
		})
	}
	good := func(id uint32) func(e *core.AttrEncoder) {
		return func(e *core.AttrEncoder) { e.String(1, "x"); e.Uint32(2, id) }
	}

	runPolicyCases(t, []policyCase{
		{"three elements", p, array(1, good(1), good(2), good(100)), ""},
		{"empty array", p, array(1), ""},
		{"element range", p, array(1, good(1), good(0)), "ARR > 2 > ID: value 0 out of range [1, 100]"},
		{"element missing", p, array(1, func(e *core.AttrEncoder) { e.String(1, "x") }), "ARR > 1: missing required attribute ID"},
		{"element unknown", p, array(1, good(1), good(2), func(e *core.AttrEncoder) { e.Uint32(2, 3); e.Flag(9) }),
			"ARR > 3: unknown attribute type 9"},
		{"element malformed", p, array(1, func(e *core.AttrEncoder) { e.Uint32(2, 3); e.Raw([]byte{1}) }),
			"ARR > 1: malformed attribute header at offset 16: 1 bytes left, want 4"},
		{"array malformed", p, polEnc(func(e *core.AttrEncoder) {
			a := e.NestStart(1)
			e.Raw([]byte{12, 0, 1, 0})
			_ = e.NestEnd(a)
		}), "ARR: malformed attribute 1 at offset 4: 4 bytes left, want 12"},
		{"array without policy", p, array(2, func(e *core.AttrEncoder) { e.Flag(5) }, func(e *core.AttrEncoder) {}), ""},
		{"array without policy malformed element", p, array(2, func(e *core.AttrEncoder) { e.Raw([]byte{0, 0, 0}) }),
			"RAW > 1: malformed attribute header at offset 8: 3 bytes left, want 4"},
	})
}

func TestPolicyUnknown(t *testing.T) {
	ignore := &core.Policy{Name: "T", Attrs: []core.AttrPolicy{1: {Name: "A", Kind: core.KindU32}, 3: {Name: "C", Kind: core.KindFlag}}}
	reject := &core.Policy{Name: "T", RejectUnknown: true, Attrs: ignore.Attrs}
	outer := &core.Policy{Name: "O", Attrs: []core.AttrPolicy{4: {Name: "N", Kind: core.KindNested, Nested: reject}}}

	runPolicyCases(t, []policyCase{
		{"ignored past the end", ignore, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1); e.Uint32(99, 1) }), ""},
		{"ignored hole", ignore, polEnc(func(e *core.AttrEncoder) { e.Uint32(2, 1) }), ""},
		{"ignored type 0", ignore, polEnc(func(e *core.AttrEncoder) { e.Flag(0) }), ""},
		{"rejected past the end", reject, polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1); e.Uint32(99, 1) }), "unknown attribute type 99"},
		{"rejected hole", reject, polEnc(func(e *core.AttrEncoder) { e.Uint32(2, 1) }), "unknown attribute type 2"},
		{"rejected type 0", reject, polEnc(func(e *core.AttrEncoder) { e.Flag(0) }), "unknown attribute type 0"},
		{"known with flags", reject, polEnc(func(e *core.AttrEncoder) { e.Uint32BE(1, 1); e.Flag(3 | core.AttrNested) }), ""},
		{"rejected nested", outer, polEnc(func(e *core.AttrEncoder) {
			n := e.NestStart(4)
			e.Uint32(1, 1)
			e.Uint32(99, 1)
			_ = e.NestEnd(n)
		}), "N: unknown attribute type 99"},
		{"unknown still framed", ignore, append(polEnc(func(e *core.AttrEncoder) { e.Uint32(99, 1) }), 1, 2),
			"malformed attribute header at offset 8: 2 bytes left, want 4"},
	})
}

func TestPolicyRequired(t *testing.T) {
	attrs := make([]core.AttrPolicy, 301)
	attrs[1] = core.AttrPolicy{Name: "A", Kind: core.KindU32, Required: true}
	attrs[3] = core.AttrPolicy{Kind: core.KindFlag, Required: true}
	attrs[200] = core.AttrPolicy{Name: "MID", Kind: core.KindFlag}
	attrs[300] = core.AttrPolicy{Name: "BIG", Kind: core.KindFlag, Required: true}
	p := &core.Policy{Name: "T", Attrs: attrs}
	outer := &core.Policy{Name: "O", Attrs: []core.AttrPolicy{7: {Name: "N", Kind: core.KindNested, Nested: p}}}

	runPolicyCases(t, []policyCase{
		{"all present", p, polEnc(func(e *core.AttrEncoder) { e.Flag(300); e.Flag(3); e.Uint32(1, 1) }), ""},
		{"missing named", p, polEnc(func(e *core.AttrEncoder) { e.Flag(300); e.Flag(3) }), "missing required attribute A"},
		{"missing unnamed", p, polEnc(func(e *core.AttrEncoder) { e.Flag(300); e.Uint32(1, 1) }), "missing required attribute 3"},
		{"missing above 255", p, polEnc(func(e *core.AttrEncoder) { e.Flag(200); e.Flag(3); e.Uint32(1, 1) }), "missing required attribute BIG"},
		{"empty", p, nil, "missing required attribute A"},
		{"nested missing", outer, polEnc(func(e *core.AttrEncoder) {
			n := e.NestStart(7)
			e.Uint32(1, 1)
			e.Flag(300)
			_ = e.NestEnd(n)
		}), "N: missing required attribute 3"},
		{"nested empty", outer, polEnc(func(e *core.AttrEncoder) { _ = e.NestEnd(e.NestStart(7)) }), "N: missing required attribute A"},
		{"nest absent", outer, nil, ""},
		{"bad value before missing", p, polEnc(func(e *core.AttrEncoder) { e.Uint16(1, 1) }), "A: length 2, want 4"},
	})
}

func TestPolicyMalformed(t *testing.T) {
	p := polOne(core.AttrPolicy{Kind: core.KindU32})
	valid := polEnc(func(e *core.AttrEncoder) { e.Uint32(1, 1) })
	runPolicyCases(t, []policyCase{
		{"short header", p, []byte{4, 0}, "malformed attribute header at offset 0: 2 bytes left, want 4"},
		{"past the end", p, []byte{12, 0, 1, 0, 0, 0, 0, 0}, "malformed attribute 1 at offset 0: 8 bytes left, want 12"},
		{"length below header", p, []byte{2, 0, 1, 0}, "malformed attribute 1 at offset 0: 4 bytes left, want 2"},
		{"after a valid one", p, append(append([]byte{}, valid...), 9, 0, 1), "malformed attribute header at offset 8: 3 bytes left, want 4"},
		{"nil policy valid", nil, valid, ""},
		{"nil policy malformed", nil, []byte{1}, "malformed attribute header at offset 0: 1 bytes left, want 4"},
	})
}

func TestPolicyDepth(t *testing.T) {
	self := &core.Policy{Name: "SELF", Attrs: make([]core.AttrPolicy, 3)}
	self.Attrs[1] = core.AttrPolicy{Name: "S", Kind: core.KindNested, Nested: self}
	self.Attrs[2] = core.AttrPolicy{Name: "V", Kind: core.KindU32}
	arr := &core.Policy{Name: "ARR", Attrs: make([]core.AttrPolicy, 2)}
	arr.Attrs[1] = core.AttrPolicy{Name: "A", Kind: core.KindNestedArray, Nested: arr}

	nest := func(levels int, inner func(e *core.AttrEncoder)) []byte {
		return polEnc(func(e *core.AttrEncoder) {
			var ns []core.Nest
			for range levels {
				ns = append(ns, e.NestStart(1))
			}
			inner(e)
			for i := len(ns) - 1; i >= 0; i-- {
				_ = e.NestEnd(ns[i])
			}
		})
	}
	path := func(name string, n int) string {
		return strings.TrimSuffix(strings.Repeat(name+" > ", n), " > ")
	}
	limit := core.MaxPolicyDepth
	runPolicyCases(t, []policyCase{
		{"at the limit", self, nest(limit, func(e *core.AttrEncoder) { e.Uint32(2, 1) }), ""},
		{"error at the limit", self, nest(limit, func(e *core.AttrEncoder) { e.Uint16(2, 1) }), path("S", limit) + " > V: length 2, want 4"},
		{"past the limit", self, nest(limit+1, func(e *core.AttrEncoder) {}), path("S", limit+1) + ": nested deeper than 32 levels"},
		// Each array level is an array attribute (type 1) holding one
		// element (type 1): two nests per level.
		{"array at the limit", arr, nest(2*limit, func(e *core.AttrEncoder) {}), ""},
		{"array past the limit", arr, nest(2*limit+2, func(e *core.AttrEncoder) {}), path("A > 1", limit) + " > A: nested deeper than 32 levels"},
	})
}

func TestPolicyErrorFields(t *testing.T) {
	link := polLink()
	b := polEnc(func(e *core.AttrEncoder) {
		e.String(unix.IFLA_IFNAME, "veth0")   // 0..12
		n := e.NestStart(unix.IFLA_LINKINFO)  // 12
		e.String(unix.IFLA_INFO_KIND, "veth") // 16..28
		d := e.NestStart(unix.IFLA_INFO_DATA) // 28
		e.Uint32(1, 7)                        // 32: wrong width for u16
		_ = e.NestEnd(d)
		_ = e.NestEnd(n)
	})
	err := link.Validate(b)
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, []string{"IFLA_LINKINFO", "IFLA_INFO_DATA", "1"}, pe.Path)
	require.Equal(t, core.ProblemLength, pe.Problem)
	require.Equal(t, "", pe.Policy)
	require.Equal(t, uint16(1), pe.Type)
	require.Equal(t, core.KindU16, pe.Kind)
	require.Equal(t, 32, pe.Offset)
	require.Equal(t, 4, pe.Len)
	require.Equal(t, 2, pe.MinLen)
	require.Equal(t, 2, pe.MaxLen)
	require.Nil(t, errors.Unwrap(err))

	b = polEnc(func(e *core.AttrEncoder) {
		e.String(unix.IFLA_IFNAME, "veth0")
		e.Uint32(unix.IFLA_MTU, 70000) // 12
	})
	require.ErrorAs(t, link.Validate(b), &pe)
	require.Equal(t, core.PolicyError{
		Path: []string{"IFLA_MTU"}, Policy: "IFLA", Type: unix.IFLA_MTU, Name: "IFLA_MTU", Kind: core.KindU32,
		Problem: core.ProblemRange, Offset: 12, Len: 4, Uint: 70000, UintRange: core.UintRange{Min: 68, Max: 65535},
	}, *pe)

	require.ErrorAs(t, link.Validate(nil), &pe)
	require.Equal(t, core.PolicyError{
		Policy: "IFLA", Type: unix.IFLA_IFNAME, Name: "IFLA_IFNAME", Kind: core.KindNulString, Problem: core.ProblemMissing,
	}, *pe)

	s8 := polOne(core.AttrPolicy{Kind: core.KindS8, IntRange: &core.IntRange{Min: -1, Max: 1}})
	require.ErrorAs(t, s8.Validate(polEnc(func(e *core.AttrEncoder) { e.Int8(1, -7) })), &pe)
	require.Equal(t, core.ProblemRange, pe.Problem)
	require.Equal(t, int64(-7), pe.Int)
	require.Equal(t, core.IntRange{Min: -1, Max: 1}, pe.IntRange)

	// A malformed nest: the *ParseError is reachable, its offset counted
	// from the start of the validated bytes.
	b = polEnc(func(e *core.AttrEncoder) {
		e.String(unix.IFLA_IFNAME, "veth0")
		n := e.NestStart(unix.IFLA_LINKINFO) // 12, payload at 16
		e.Raw([]byte{40, 0, 1, 0})           // claims 40 bytes
		_ = e.NestEnd(n)
	})
	err = link.Validate(b)
	require.ErrorAs(t, err, &pe)
	require.Equal(t, core.ProblemMalformed, pe.Problem)
	require.Equal(t, []string{"IFLA_LINKINFO"}, pe.Path)
	require.Equal(t, "IFLA_INFO", pe.Policy)
	require.Equal(t, 16, pe.Offset)
	var parse *core.ParseError
	require.ErrorAs(t, err, &parse)
	require.Equal(t, core.ParseError{What: "attribute 1", Offset: 16, Len: 4, Want: 40}, *parse)
	require.EqualError(t, err, "IFLA_LINKINFO: malformed attribute 1 at offset 16: 4 bytes left, want 40")
}

func TestPolicyLookup(t *testing.T) {
	link := polLink()
	require.Equal(t, "IFLA_MTU", link.AttrName(unix.IFLA_MTU))
	require.Equal(t, core.KindU32, link.Attr(unix.IFLA_MTU).Kind)
	require.Nil(t, link.Attr(unix.IFLA_ADDRESS)) // a hole
	require.Nil(t, link.Attr(60000))             // past the end
	require.Equal(t, "60000", link.AttrName(60000))
	var none *core.Policy
	require.Nil(t, none.Attr(1))
	require.Equal(t, "1", none.AttrName(1))
	data := link.Attr(unix.IFLA_LINKINFO).Nested.Attr(unix.IFLA_INFO_DATA).Nested
	require.Equal(t, "3", data.AttrName(3))
}

func TestPolicyKindString(t *testing.T) {
	for k, want := range map[core.Kind]string{
		core.KindNone: "none", core.KindFlag: "flag", core.KindU8: "u8", core.KindU16: "u16", core.KindU32: "u32",
		core.KindU64: "u64", core.KindS8: "s8", core.KindS16: "s16", core.KindS32: "s32", core.KindS64: "s64",
		core.KindBinary: "binary", core.KindString: "string", core.KindNulString: "nul-string",
		core.KindNested: "nested", core.KindNestedArray: "nested-array", core.KindBitfield32: "bitfield32",
		core.KindSint: "sint", core.KindUint: "uint", core.KindUnspec: "unspec", core.KindReject: "reject",
		core.Kind(40): "kind(40)", core.Kind(200): "kind(200)",
	} {
		require.Equal(t, want, k.String())
	}
	// The kernel's numbering, as CTRL_CMD_GETPOLICY reports it.
	require.Equal(t, core.Kind(unix.NL_ATTR_TYPE_FLAG), core.KindFlag)
	require.Equal(t, core.Kind(unix.NL_ATTR_TYPE_S64), core.KindS64)
	require.Equal(t, core.Kind(unix.NL_ATTR_TYPE_NUL_STRING), core.KindNulString)
	require.Equal(t, core.Kind(unix.NL_ATTR_TYPE_BITFIELD32), core.KindBitfield32)
	require.True(t, core.KindSint.Signed())
	require.False(t, core.KindSint.Unsigned())
	require.True(t, core.KindU8.Unsigned())
	require.False(t, core.KindBinary.Signed() || core.KindBinary.Unsigned())
}

// An unknown Kind value (a kernel newer than this package) is validated as
// KindUnspec: only its length constraints apply.
func TestPolicyFutureKind(t *testing.T) {
	p := polOne(core.AttrPolicy{Kind: core.Kind(40), MaxLen: 4})
	require.NoError(t, p.Validate(polBin(1, 2, 3, 4)))
	require.EqualError(t, p.Validate(polBin(1, 2, 3, 4, 5)), "A: length 5, want at most 4")
}

// polRich exercises every kind, nesting, arrays, required attributes and
// a policy that nests itself.
func polRich() *core.Policy {
	elem := &core.Policy{Name: "ELEM", RejectUnknown: true, Attrs: []core.AttrPolicy{
		1: {Name: "E_NAME", Kind: core.KindNulString, MaxLen: 15},
		2: {Name: "E_ID", Kind: core.KindU32, Required: true, UintRange: &core.UintRange{Min: 1, Max: 1000}},
	}}
	p := &core.Policy{Name: "RICH", RejectUnknown: true, Attrs: make([]core.AttrPolicy, 301)}
	a := p.Attrs
	a[1] = core.AttrPolicy{Name: "FLAG", Kind: core.KindFlag}
	a[2] = core.AttrPolicy{Name: "U8", Kind: core.KindU8, UintRange: &core.UintRange{Max: 100}}
	a[3] = core.AttrPolicy{Name: "U16", Kind: core.KindU16, NetByteOrder: true, Mask: 0xfff}
	a[4] = core.AttrPolicy{Name: "U32", Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}, Required: true}
	a[5] = core.AttrPolicy{Name: "U64", Kind: core.KindU64}
	a[6] = core.AttrPolicy{Name: "S8", Kind: core.KindS8, IntRange: &core.IntRange{Min: -10, Max: 10}}
	a[7] = core.AttrPolicy{Name: "S16", Kind: core.KindS16}
	a[8] = core.AttrPolicy{Name: "S32", Kind: core.KindS32, IntRange: &core.IntRange{Min: -1000, Max: 1000}}
	a[9] = core.AttrPolicy{Name: "S64", Kind: core.KindS64}
	a[10] = core.AttrPolicy{Name: "BIN", Kind: core.KindBinary, MinLen: 2, MaxLen: 16}
	a[11] = core.AttrPolicy{Name: "STR", Kind: core.KindString, MaxLen: 8}
	a[12] = core.AttrPolicy{Name: "NUL", Kind: core.KindNulString, MaxLen: 15, Required: true}
	a[13] = core.AttrPolicy{Name: "NEST", Kind: core.KindNested, Nested: p}
	a[14] = core.AttrPolicy{Name: "ARR", Kind: core.KindNestedArray, Nested: elem}
	a[15] = core.AttrPolicy{Name: "BF", Kind: core.KindBitfield32, Mask: 0xff}
	a[16] = core.AttrPolicy{Name: "SINT", Kind: core.KindSint, IntRange: &core.IntRange{Min: -1 << 40, Max: 1 << 40}}
	a[17] = core.AttrPolicy{Name: "UINT", Kind: core.KindUint, Mask: 1<<48 - 1}
	a[18] = core.AttrPolicy{Name: "REJ", Kind: core.KindReject}
	a[19] = core.AttrPolicy{Name: "ANY", Kind: core.KindUnspec, Len: 6}
	a[20] = core.AttrPolicy{Name: "RAW", Kind: core.KindNested}
	a[300] = core.AttrPolicy{Name: "FAR", Kind: core.KindFlag}
	return p
}

// polRichValid encodes a stream polRich accepts, nesting the policy in
// itself depth times.
func polRichValid(e *core.AttrEncoder, depth int) {
	e.Flag(1)
	e.Uint8(2, 100)
	e.Uint16BE(3, 0xabc)
	e.Uint32(4, 1500)
	e.Uint64(5, 1<<63)
	e.Int8(6, -10)
	e.Int16(7, -30000)
	e.Int32(8, 1000)
	e.Int64(9, -1<<62)
	e.Binary(10, []byte{1, 2, 3})
	e.String(11, "abcdefgh")
	e.String(12, "eth0")
	arr := e.NestStart(14 | core.AttrNested)
	for i := range 3 {
		n := e.NestStart(uint16(i))
		e.String(1, "elem")
		e.Uint32(2, uint32(i+1))
		_ = e.NestEnd(n)
	}
	_ = e.NestEnd(arr)
	e.Binary(15, binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, 0x81), 0xf1))
	e.Int(16, -1<<40)
	e.Uint(17, 1<<47)
	e.Binary(19, []byte{0, 1, 2, 3, 4, 5})
	raw := e.NestStart(20)
	e.Uint32(1, 1)
	_ = e.NestEnd(raw)
	e.Flag(300)
	if depth > 0 {
		n := e.NestStart(13 | core.AttrNested)
		polRichValid(e, depth-1)
		_ = e.NestEnd(n)
	}
}

func TestPolicyRichValid(t *testing.T) {
	p := polRich()
	for depth := range core.MaxPolicyDepth {
		require.NoError(t, p.Validate(polEnc(func(e *core.AttrEncoder) { polRichValid(e, depth) })), "depth %d", depth)
	}
	// Inside 32 nests, ARR would open a 33rd level for its elements.
	require.EqualError(t, p.Validate(polEnc(func(e *core.AttrEncoder) { polRichValid(e, core.MaxPolicyDepth) })),
		strings.Repeat("NEST > ", core.MaxPolicyDepth)+"ARR: nested deeper than 32 levels")
	require.EqualError(t, p.Validate(polEnc(func(e *core.AttrEncoder) { polRichValid(e, 2); e.Flag(18) })), "REJ: rejected by policy")
}

func TestPolicyValidateAllocs(t *testing.T) {
	p := polRich()
	b := polEnc(func(e *core.AttrEncoder) { polRichValid(e, 3) })
	require.NoError(t, p.Validate(b))
	allocs := testing.AllocsPerRun(100, func() {
		if err := p.Validate(b); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkPolicyValidate(b *testing.B) {
	p := polRich()
	msg := polEnc(func(e *core.AttrEncoder) { polRichValid(e, 1) })
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(msg); err != nil {
			b.Fatal(err)
		}
	}
}
