package core

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// MaxPolicyDepth is how deep Validate follows nested policies. Kernel
// policy graphs may nest a policy in itself; past this depth Validate
// stops with ProblemDepth instead of recursing further.
const MaxPolicyDepth = 32

// Kind is what an attribute policy expects an attribute to hold. Values 1
// to 17 are the kernel's NL_ATTR_TYPE_* numbers, the types a generic
// netlink policy dump (CTRL_CMD_GETPOLICY) reports, so they convert
// directly; KindUnspec and KindReject are the kernel's NLA_UNSPEC and
// NLA_REJECT, which a dump never shows.
type Kind uint8

// Attribute kinds.
const (
	// KindNone marks a slot of Policy.Attrs left empty: that type is not
	// in the policy.
	KindNone Kind = 0
	// KindFlag is present or not, with an empty payload (NLA_FLAG).
	KindFlag Kind = 1
	// KindU8 to KindU64 are unsigned integers of fixed width.
	KindU8  Kind = 2
	KindU16 Kind = 3
	KindU32 Kind = 4
	KindU64 Kind = 5
	// KindS8 to KindS64 are signed integers of fixed width.
	KindS8  Kind = 6
	KindS16 Kind = 7
	KindS32 Kind = 8
	KindS64 Kind = 9
	// KindBinary is any payload, bounded by the length constraints.
	KindBinary Kind = 10
	// KindString is a string whose trailing NUL is optional (NLA_STRING).
	KindString Kind = 11
	// KindNulString is a string that must end in a NUL and hold no other
	// (NLA_NUL_STRING).
	KindNulString Kind = 12
	// KindNested holds attributes, validated against AttrPolicy.Nested.
	KindNested Kind = 13
	// KindNestedArray holds attributes whose types are only indexes; each
	// one's payload is validated against AttrPolicy.Nested.
	KindNestedArray Kind = 14
	// KindBitfield32 is a struct nla_bitfield32: a u32 value and a u32
	// selector, both within AttrPolicy.Mask.
	KindBitfield32 Kind = 15
	// KindSint is a signed integer of 4 or 8 bytes (NLA_SINT).
	KindSint Kind = 16
	// KindUint is an unsigned integer of 4 or 8 bytes (NLA_UINT).
	KindUint Kind = 17
	// KindUnspec accepts any payload, bounded by the length constraints
	// (NLA_UNSPEC).
	KindUnspec Kind = 64
	// KindReject refuses the attribute whenever it is present (NLA_REJECT).
	KindReject Kind = 65
)

var kindNames = [...]string{
	KindNone:        "none",
	KindFlag:        "flag",
	KindU8:          "u8",
	KindU16:         "u16",
	KindU32:         "u32",
	KindU64:         "u64",
	KindS8:          "s8",
	KindS16:         "s16",
	KindS32:         "s32",
	KindS64:         "s64",
	KindBinary:      "binary",
	KindString:      "string",
	KindNulString:   "nul-string",
	KindNested:      "nested",
	KindNestedArray: "nested-array",
	KindBitfield32:  "bitfield32",
	KindSint:        "sint",
	KindUint:        "uint",
	KindUnspec:      "unspec",
	KindReject:      "reject",
}

// String names the kind as in the kernel's policy dumps, lower case ("u32",
// "nul-string", "nested-array"); an unknown kind prints as "kind(N)".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Signed reports whether the kind is a signed integer (KindS8 to KindS64,
// KindSint); IntRange applies to those.
func (k Kind) Signed() bool {
	return k >= KindS8 && k <= KindS64 || k == KindSint
}

// Unsigned reports whether the kind is an unsigned integer (KindU8 to
// KindU64, KindUint); UintRange and Mask apply to those.
func (k Kind) Unsigned() bool {
	return k >= KindU8 && k <= KindU64 || k == KindUint
}

// width is the payload size a fixed-width kind requires, or -1.
func (k Kind) width() int {
	switch k {
	case KindFlag:
		return 0
	case KindU8, KindS8:
		return 1
	case KindU16, KindS16:
		return 2
	case KindU32, KindS32:
		return 4
	case KindU64, KindS64, KindBitfield32:
		return 8
	}
	return -1
}

// UintRange bounds an unsigned value: Min <= v <= Max.
type UintRange struct{ Min, Max uint64 }

// IntRange bounds a signed value: Min <= v <= Max.
type IntRange struct{ Min, Max int64 }

// AttrPolicy says what one attribute type must look like: libnl's and the
// kernel's struct nla_policy, with a name for error messages. The zero
// value (KindNone) leaves the type out of the policy.
type AttrPolicy struct {
	// Name names the attribute in error paths ("IFLA_MTU"); empty: its
	// number is printed.
	Name string
	// Kind is what the payload holds.
	Kind Kind
	// Required makes Validate fail when the attribute is absent.
	Required bool
	// NetByteOrder says the integer is big-endian (the kernel's NLA_BE16,
	// NLA_BE32). An attribute that carries NLA_F_NET_BYTEORDER is read
	// big-endian whatever this says.
	NetByteOrder bool
	// Len, MinLen and MaxLen bound the payload length of KindBinary,
	// KindUnspec, KindNested and KindNestedArray, and the string length,
	// without the terminating NUL, of KindString and KindNulString (the
	// kernel's nla_policy.len). Len is an exact length; zero means no
	// constraint for all three. Fixed-width kinds ignore them.
	Len, MinLen, MaxLen int
	// UintRange bounds the value of an unsigned kind; nil: any value.
	UintRange *UintRange
	// IntRange bounds the value of a signed kind; nil: any value.
	IntRange *IntRange
	// Mask, when not zero, lists the bits an unsigned kind may set, and the
	// bits a KindBitfield32's value and selector may set.
	Mask uint64
	// Nested is the policy of the attributes inside a KindNested, or inside
	// each element of a KindNestedArray. Nil: the payload only has to be a
	// well-formed attribute stream. It may point back to an enclosing
	// policy; MaxPolicyDepth bounds the recursion.
	Nested *Policy
}

// Policy describes the attributes of one attribute space, indexed by type:
// Attrs[t] is the rule for attributes of type t (flags stripped), so a
// lookup is one slice index. Write it as a literal keyed by the type
// constants:
//
//	var linkPolicy = &core.Policy{
//		Name:          "IFLA",
//		RejectUnknown: true,
//		Attrs: []core.AttrPolicy{
//			unix.IFLA_IFNAME: {Name: "IFLA_IFNAME", Kind: core.KindNulString, MaxLen: 15, Required: true},
//			unix.IFLA_MTU:    {Name: "IFLA_MTU", Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}},
//		},
//	}
//
// A Policy is read-only once in use and safe for concurrent Validate calls.
type Policy struct {
	// Name names the attribute space ("IFLA"); PolicyError carries it.
	Name string
	// Attrs holds the rule for each type; types past its end, and slots
	// left KindNone, are unknown.
	Attrs []AttrPolicy
	// RejectUnknown makes an unknown attribute type an error; otherwise
	// unknown attributes are skipped (their framing is still checked).
	RejectUnknown bool
}

// Attr returns the rule for attribute type typ, or nil when the type is not
// in the policy. A nil Policy has no rules.
func (p *Policy) Attr(typ uint16) *AttrPolicy {
	if p == nil || int(typ) >= len(p.Attrs) || p.Attrs[typ].Kind == KindNone {
		return nil
	}
	return &p.Attrs[typ]
}

// AttrName is the name the policy gives type typ, or its decimal number.
func (p *Policy) AttrName(typ uint16) string {
	if ap := p.Attr(typ); ap != nil && ap.Name != "" {
		return ap.Name
	}
	return strconv.Itoa(int(typ))
}

// Validate checks the attribute stream b (a message payload after any
// family header) against the policy, following nested policies. It returns
// nil or a *PolicyError naming the attribute path and what is wrong; it
// allocates nothing when b is valid. A nil Policy only checks that b is
// well formed.
func (p *Policy) Validate(b []byte) error {
	if e := p.validate(b, 0, 0); e != nil {
		return e
	}
	return nil
}

// validate checks b, found at offset base of the bytes given to Validate,
// at nesting depth depth. Errors come back with Path relative to p.
func (p *Policy) validate(b []byte, base, depth int) *PolicyError {
	var seen [4]uint64 // types below 256 met so far, for Required
	s := ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		off := base + s.Offset() - Align(AttrHeaderLen+len(a.Data))
		if a.Type < 256 {
			seen[a.Type>>6] |= 1 << (a.Type & 63)
		}
		ap := p.Attr(a.Type)
		if ap == nil {
			if p != nil && p.RejectUnknown {
				return &PolicyError{Policy: p.Name, Type: a.Type, Problem: ProblemUnknown, Offset: off, Len: len(a.Data)}
			}
			continue
		}
		if e, inner := ap.check(a, off, depth); e != nil {
			if !inner {
				// The attribute itself is at fault.
				e.Policy, e.Type, e.Name, e.Kind, e.Offset = p.Name, a.Type, ap.Name, ap.Kind, off
				if e.Problem != ProblemStringLength {
					e.Len = len(a.Data)
				}
			}
			e.Path = prepend(p.AttrName(a.Type), e.Path)
			return e
		}
	}
	if err := s.Err(); err != nil {
		return p.malformed(err, base)
	}
	if p == nil {
		return nil
	}
	for t := range p.Attrs {
		if t > 0xffff {
			break
		}
		ap := &p.Attrs[t]
		if !ap.Required {
			continue
		}
		if t < 256 {
			if seen[t>>6]&(1<<(t&63)) != 0 {
				continue
			}
		} else if hasAttr(b, uint16(t)) {
			continue
		}
		return &PolicyError{Policy: p.Name, Type: uint16(t), Name: ap.Name, Kind: ap.Kind, Problem: ProblemMissing, Offset: base}
	}
	return nil
}

// malformed wraps the scanner's error for a stream at offset base, moving
// its offset to count from the start of the bytes given to Validate.
func (p *Policy) malformed(err error, base int) *PolicyError {
	e := &PolicyError{Problem: ProblemMalformed, Offset: base, Err: err}
	if p != nil {
		e.Policy = p.Name
	}
	if pe, ok := err.(*ParseError); ok {
		c := *pe
		c.Offset += base
		e.Offset, e.Err = c.Offset, &c
	}
	return e
}

// hasAttr reports whether the well-formed stream b holds type typ.
func hasAttr(b []byte, typ uint16) bool {
	s := ScanAttrs(b)
	for s.Next() {
		if s.Type() == typ {
			return true
		}
	}
	return false
}

func prepend(name string, path []string) []string {
	out := make([]string, 0, len(path)+1)
	out = append(out, name)
	return append(out, path...)
}

// check validates one attribute found at offset off. inner reports that
// the error is about something inside the attribute, and carries the path
// below it; otherwise the caller fills in what the attribute is.
func (ap *AttrPolicy) check(a Attr, off, depth int) (e *PolicyError, inner bool) {
	e = ap.checkValue(a)
	if e != nil || (ap.Kind != KindNested && ap.Kind != KindNestedArray) {
		return e, false
	}
	if depth >= MaxPolicyDepth {
		return &PolicyError{Problem: ProblemDepth}, false
	}
	if ap.Kind == KindNested {
		e = ap.Nested.validate(a.Data, off+AttrHeaderLen, depth+1)
	} else {
		e = ap.checkArray(a.Data, off+AttrHeaderLen, depth+1)
	}
	return e, true
}

// checkValue applies the kind and the constraints to a's payload, nested
// attributes aside.
func (ap *AttrPolicy) checkValue(a Attr) *PolicyError {
	n := len(a.Data)
	if w := ap.Kind.width(); w >= 0 && n != w {
		return lengthError(n, w, w)
	}
	switch ap.Kind {
	case KindFlag:
		return nil
	case KindU8, KindU16, KindU32, KindU64:
		return ap.checkUint(ap.uint(a))
	case KindUint:
		if n != 4 && n != 8 {
			return lengthError(n, 4, 8)
		}
		return ap.checkUint(ap.uint(a))
	case KindS8, KindS16, KindS32, KindS64:
		return ap.checkInt(ap.int(a))
	case KindSint:
		if n != 4 && n != 8 {
			return lengthError(n, 4, 8)
		}
		return ap.checkInt(ap.int(a))
	case KindString:
		if n == 0 {
			return lengthError(0, 1, -1)
		}
		if a.Data[n-1] == 0 {
			n--
		}
		if e := ap.checkLen(n); e != nil {
			e.Problem = ProblemStringLength
			return e
		}
		return nil
	case KindNulString:
		if n == 0 || a.Data[n-1] != 0 {
			return &PolicyError{Problem: ProblemNotTerminated}
		}
		if bytes.IndexByte(a.Data[:n-1], 0) >= 0 {
			return &PolicyError{Problem: ProblemNulInside}
		}
		if e := ap.checkLen(n - 1); e != nil {
			e.Problem = ProblemStringLength
			return e
		}
		return nil
	case KindBitfield32:
		return ap.checkBitfield32(a)
	case KindReject:
		return &PolicyError{Problem: ProblemRejected}
	}
	// KindBinary, KindUnspec, KindNested, KindNestedArray, and kinds this
	// package does not know, which are treated as KindUnspec.
	return ap.checkLen(n)
}

// checkArray validates the elements of a nested array whose payload b
// starts at offset base.
func (ap *AttrPolicy) checkArray(b []byte, base, depth int) *PolicyError {
	s := ScanAttrs(b)
	for s.Next() {
		el := s.Attr()
		off := base + s.Offset() - Align(AttrHeaderLen+len(el.Data))
		if e := ap.Nested.validate(el.Data, off+AttrHeaderLen, depth); e != nil {
			e.Path = prepend(strconv.Itoa(int(el.Type)), e.Path)
			return e
		}
	}
	if err := s.Err(); err != nil {
		var none *Policy // the element stream has no policy of its own
		return none.malformed(err, base)
	}
	return nil
}

func lengthError(n, minLen, maxLen int) *PolicyError {
	return &PolicyError{Problem: ProblemLength, Len: n, MinLen: minLen, MaxLen: maxLen}
}

// checkLen applies Len, MinLen and MaxLen to n.
func (ap *AttrPolicy) checkLen(n int) *PolicyError {
	switch {
	case ap.Len > 0 && n != ap.Len:
		return lengthError(n, ap.Len, ap.Len)
	case n < ap.MinLen:
		return lengthError(n, ap.MinLen, maxOrNone(ap.MaxLen))
	case ap.MaxLen > 0 && n > ap.MaxLen:
		return lengthError(n, ap.MinLen, ap.MaxLen)
	}
	return nil
}

func maxOrNone(n int) int {
	if n > 0 {
		return n
	}
	return -1
}

func (ap *AttrPolicy) order(a Attr) binary.ByteOrder {
	if ap.NetByteOrder || a.NetByteOrder() {
		return binary.BigEndian
	}
	return binary.NativeEndian
}

// uint reads an unsigned payload whose width has been checked.
func (ap *AttrPolicy) uint(a Attr) uint64 {
	switch len(a.Data) {
	case 1:
		return uint64(a.Data[0])
	case 2:
		return uint64(ap.order(a).Uint16(a.Data))
	case 4:
		return uint64(ap.order(a).Uint32(a.Data))
	case 8:
		return ap.order(a).Uint64(a.Data)
	}
	return 0
}

// int reads a signed payload whose width has been checked, sign-extended.
func (ap *AttrPolicy) int(a Attr) int64 {
	switch len(a.Data) {
	case 1:
		return int64(int8(a.Data[0]))
	case 2:
		return int64(int16(ap.order(a).Uint16(a.Data)))
	case 4:
		return int64(int32(ap.order(a).Uint32(a.Data)))
	case 8:
		return int64(ap.order(a).Uint64(a.Data))
	}
	return 0
}

func (ap *AttrPolicy) checkUint(v uint64) *PolicyError {
	if r := ap.UintRange; r != nil && (v < r.Min || v > r.Max) {
		return &PolicyError{Problem: ProblemRange, Uint: v, UintRange: *r}
	}
	if ap.Mask != 0 && v&^ap.Mask != 0 {
		return &PolicyError{Problem: ProblemMask, Uint: v, Mask: ap.Mask}
	}
	return nil
}

func (ap *AttrPolicy) checkInt(v int64) *PolicyError {
	if r := ap.IntRange; r != nil && (v < r.Min || v > r.Max) {
		return &PolicyError{Problem: ProblemRange, Int: v, IntRange: *r}
	}
	return nil
}

// checkBitfield32 applies the kernel's rules to a struct nla_bitfield32
// (value, then selector, host order), in the kernel's order.
func (ap *AttrPolicy) checkBitfield32(a Attr) *PolicyError {
	value := uint64(binary.NativeEndian.Uint32(a.Data))
	selector := uint64(binary.NativeEndian.Uint32(a.Data[4:]))
	mask := ap.Mask & 0xffffffff
	switch {
	case ap.Mask != 0 && selector&^mask != 0:
		return &PolicyError{Problem: ProblemSelectorMask, Uint: selector, Mask: mask}
	case ap.Mask != 0 && value&^mask != 0:
		return &PolicyError{Problem: ProblemMask, Uint: value, Mask: mask}
	case value&^selector != 0:
		return &PolicyError{Problem: ProblemSelector, Uint: value, Mask: selector}
	}
	return nil
}

// Problem says what rule an attribute broke.
type Problem uint8

// Policy problems.
const (
	// ProblemMalformed: the attribute stream is truncated or an attribute's
	// length is impossible; PolicyError.Err is the *ParseError.
	ProblemMalformed Problem = iota + 1
	// ProblemUnknown: a type the policy does not know, and it rejects
	// unknown types.
	ProblemUnknown
	// ProblemMissing: a required attribute is absent.
	ProblemMissing
	// ProblemRejected: the policy refuses this attribute (KindReject).
	ProblemRejected
	// ProblemLength: the payload length is wrong (Len, MinLen, MaxLen).
	ProblemLength
	// ProblemStringLength: the string, without its NUL, is too short or
	// too long (Len, MinLen, MaxLen).
	ProblemStringLength
	// ProblemNotTerminated: a KindNulString does not end in a NUL.
	ProblemNotTerminated
	// ProblemNulInside: a KindNulString holds a NUL before its end.
	ProblemNulInside
	// ProblemRange: the value is outside UintRange or IntRange.
	ProblemRange
	// ProblemMask: the value (Uint) sets bits outside Mask.
	ProblemMask
	// ProblemSelectorMask: a bitfield32's selector (Uint) sets bits
	// outside Mask.
	ProblemSelectorMask
	// ProblemSelector: a bitfield32's value (Uint) sets bits outside its
	// selector (Mask).
	ProblemSelector
	// ProblemDepth: nested policies go deeper than MaxPolicyDepth.
	ProblemDepth
)

// PolicyError says which attribute broke which rule of a Policy.
type PolicyError struct {
	// Path names the attributes from the outermost down, by their policy
	// names or their numbers (a nested array's elements by index). It ends
	// with the attribute at fault; for ProblemUnknown, ProblemMissing and
	// ProblemMalformed it ends with the nest where that happened and is
	// empty at the top level.
	Path []string
	// Policy is the name of the policy whose rule was broken.
	Policy string
	// Type is the attribute type at fault: the unknown or missing one, or
	// the last element of Path. Zero for ProblemMalformed.
	Type uint16
	// Name is the policy's name for Type; empty when it has none.
	Name string
	// Kind is what the policy expects of Type.
	Kind Kind
	// Problem says what is wrong.
	Problem Problem
	// Offset is where the attribute at fault starts in the bytes given to
	// Validate; for ProblemMissing, where the payload lacking it starts;
	// for ProblemMalformed, where the malformed attribute starts.
	Offset int
	// Len is the payload length of the attribute at fault (for
	// ProblemStringLength, the string's length without its NUL); MinLen
	// and MaxLen are the bounds it missed, for ProblemLength and
	// ProblemStringLength (MaxLen -1: no maximum).
	Len, MinLen, MaxLen int
	// Uint is the unsigned value found, UintRange the range it is outside
	// (ProblemRange on an unsigned kind); Int and IntRange likewise for a
	// signed kind.
	Uint      uint64
	UintRange UintRange
	Int       int64
	IntRange  IntRange
	// Mask is the mask (or, for ProblemSelector, the selector) that Uint
	// sets bits outside of.
	Mask uint64
	// Err is the underlying *ParseError of ProblemMalformed.
	Err error
}

// Error prints the path and the problem:
// "IFLA_LINKINFO > IFLA_INFO_DATA > 3: length 2, want 4".
func (e *PolicyError) Error() string {
	var b []byte
	for i, p := range e.Path {
		if i > 0 {
			b = append(b, " > "...)
		}
		b = append(b, p...)
	}
	if len(b) > 0 {
		b = append(b, ": "...)
	}
	switch e.Problem {
	case ProblemMalformed:
		if e.Err != nil {
			b = append(b, e.Err.Error()...)
		} else {
			b = append(b, "malformed attributes"...)
		}
	case ProblemUnknown:
		b = append(b, "unknown attribute type "...)
		b = strconv.AppendUint(b, uint64(e.Type), 10)
	case ProblemMissing:
		b = append(b, "missing required attribute "...)
		b = append(b, e.missingName()...)
	case ProblemRejected:
		b = append(b, "rejected by policy"...)
	case ProblemLength, ProblemStringLength:
		if e.Problem == ProblemStringLength {
			b = append(b, "string "...)
		}
		b = append(b, "length "...)
		b = strconv.AppendInt(b, int64(e.Len), 10)
		b = append(b, ", want "...)
		switch {
		case (e.Kind == KindUint || e.Kind == KindSint) && e.Problem == ProblemLength:
			b = append(b, "4 or 8"...)
		case e.MinLen == e.MaxLen:
			b = strconv.AppendInt(b, int64(e.MinLen), 10)
		case e.Len < e.MinLen:
			b = append(b, "at least "...)
			b = strconv.AppendInt(b, int64(e.MinLen), 10)
		default:
			b = append(b, "at most "...)
			b = strconv.AppendInt(b, int64(e.MaxLen), 10)
		}
	case ProblemNotTerminated:
		b = append(b, "string not NUL-terminated"...)
	case ProblemNulInside:
		b = append(b, "NUL inside string"...)
	case ProblemRange:
		b = append(b, "value "...)
		if e.Kind.Signed() {
			b = strconv.AppendInt(b, e.Int, 10)
			b = append(b, " out of range ["...)
			b = strconv.AppendInt(b, e.IntRange.Min, 10)
			b = append(b, ", "...)
			b = strconv.AppendInt(b, e.IntRange.Max, 10)
		} else {
			b = strconv.AppendUint(b, e.Uint, 10)
			b = append(b, " out of range ["...)
			b = strconv.AppendUint(b, e.UintRange.Min, 10)
			b = append(b, ", "...)
			b = strconv.AppendUint(b, e.UintRange.Max, 10)
		}
		b = append(b, ']')
	case ProblemMask, ProblemSelectorMask, ProblemSelector:
		if e.Problem == ProblemSelectorMask {
			b = append(b, "selector 0x"...)
		} else {
			b = append(b, "value 0x"...)
		}
		b = strconv.AppendUint(b, e.Uint, 16)
		b = append(b, " sets bits 0x"...)
		b = strconv.AppendUint(b, e.Uint&^e.Mask, 16)
		if e.Problem == ProblemSelector {
			b = append(b, " outside selector 0x"...)
		} else {
			b = append(b, " outside mask 0x"...)
		}
		b = strconv.AppendUint(b, e.Mask, 16)
	case ProblemDepth:
		b = append(b, "nested deeper than "...)
		b = strconv.AppendInt(b, MaxPolicyDepth, 10)
		b = append(b, " levels"...)
	default:
		b = append(b, "policy problem "...)
		b = strconv.AppendUint(b, uint64(e.Problem), 10)
	}
	return string(b)
}

// missingName is the missing attribute's name if the error knows it.
func (e *PolicyError) missingName() string {
	if e.Name != "" {
		return e.Name
	}
	return strconv.Itoa(int(e.Type))
}

// Unwrap returns the *ParseError of a malformed stream, or nil.
func (e *PolicyError) Unwrap() error { return e.Err }
