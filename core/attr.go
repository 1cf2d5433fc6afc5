package core

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// AttrHeaderLen is the size of an attribute header (struct nlattr).
const AttrHeaderLen = unix.SizeofNlAttr

// Attribute type flag bits, carried in the top bits of nla_type.
const (
	AttrNested       uint16 = unix.NLA_F_NESTED
	AttrNetByteOrder uint16 = unix.NLA_F_NET_BYTEORDER
	attrTypeMask     uint16 = ^(AttrNested | AttrNetByteOrder)
)

// Attr is one attribute read in place: its type (flags stripped), the
// NLA_F_NESTED / NLA_F_NET_BYTEORDER flags, and its payload, which aliases
// the message it came from.
//
// The typed getters check the payload length and return an *AttrError when
// it is wrong; they allocate only on that error path.
type Attr struct {
	Type  uint16
	Flags uint16
	Data  []byte
}

// Nested reports whether NLA_F_NESTED was set.
func (a Attr) Nested() bool { return a.Flags&AttrNested != 0 }

// NetByteOrder reports whether NLA_F_NET_BYTEORDER was set: integers are
// then big-endian.
func (a Attr) NetByteOrder() bool { return a.Flags&AttrNetByteOrder != 0 }

func (a Attr) order() binary.ByteOrder {
	if a.NetByteOrder() {
		return binary.BigEndian
	}
	return binary.NativeEndian
}

func (a Attr) want(kind string, n int) error {
	if len(a.Data) != n {
		return &AttrError{Type: a.Type, Kind: kind, Len: len(a.Data), Want: n}
	}
	return nil
}

// Uint8 reads a u8.
func (a Attr) Uint8() (uint8, error) {
	if err := a.want("u8", 1); err != nil {
		return 0, err
	}
	return a.Data[0], nil
}

// Uint16 reads a u16 (big-endian when NLA_F_NET_BYTEORDER is set).
func (a Attr) Uint16() (uint16, error) {
	if err := a.want("u16", 2); err != nil {
		return 0, err
	}
	return a.order().Uint16(a.Data), nil
}

// Uint32 reads a u32 (big-endian when NLA_F_NET_BYTEORDER is set).
func (a Attr) Uint32() (uint32, error) {
	if err := a.want("u32", 4); err != nil {
		return 0, err
	}
	return a.order().Uint32(a.Data), nil
}

// Uint64 reads a u64 (big-endian when NLA_F_NET_BYTEORDER is set).
func (a Attr) Uint64() (uint64, error) {
	if err := a.want("u64", 8); err != nil {
		return 0, err
	}
	return a.order().Uint64(a.Data), nil
}

// Int8 reads an s8.
func (a Attr) Int8() (int8, error) { v, err := a.Uint8(); return int8(v), err }

// Int16 reads an s16.
func (a Attr) Int16() (int16, error) { v, err := a.Uint16(); return int16(v), err }

// Int32 reads an s32.
func (a Attr) Int32() (int32, error) { v, err := a.Uint32(); return int32(v), err }

// Int64 reads an s64.
func (a Attr) Int64() (int64, error) { v, err := a.Uint64(); return int64(v), err }

// Uint reads the variable-width NLA_UINT: 4 or 8 bytes (also 1 and 2, which
// older attributes use).
func (a Attr) Uint() (uint64, error) {
	switch len(a.Data) {
	case 1:
		return uint64(a.Data[0]), nil
	case 2:
		return uint64(a.order().Uint16(a.Data)), nil
	case 4:
		return uint64(a.order().Uint32(a.Data)), nil
	case 8:
		return a.order().Uint64(a.Data), nil
	}
	return 0, &AttrError{Type: a.Type, Kind: "uint", Len: len(a.Data), Want: -1, Detail: "want 4 or 8 bytes"}
}

// Int reads the variable-width NLA_SINT: 4 or 8 bytes, sign-extended.
func (a Attr) Int() (int64, error) {
	switch len(a.Data) {
	case 1:
		return int64(int8(a.Data[0])), nil
	case 2:
		return int64(int16(a.order().Uint16(a.Data))), nil
	case 4:
		return int64(int32(a.order().Uint32(a.Data))), nil
	case 8:
		return int64(a.order().Uint64(a.Data)), nil
	}
	return 0, &AttrError{Type: a.Type, Kind: "sint", Len: len(a.Data), Want: -1, Detail: "want 4 or 8 bytes"}
}

// String reads a string. A trailing NUL, if present, is dropped, and so is
// anything after the first NUL; a payload with no NUL is taken whole (the
// kernel's NLA_STRING accepts both). It allocates the string.
func (a Attr) String() string {
	return string(a.StringBytes())
}

// StringBytes is String without the allocation: the bytes up to the first
// NUL, aliasing the message.
func (a Attr) StringBytes() []byte {
	for i, c := range a.Data {
		if c == 0 {
			return a.Data[:i]
		}
	}
	return a.Data
}

// NulString reads an NLA_NUL_STRING: the payload must end in a NUL and hold
// no other.
func (a Attr) NulString() (string, error) {
	n := len(a.Data)
	if n == 0 || a.Data[n-1] != 0 {
		return "", &AttrError{Type: a.Type, Kind: "string", Len: n, Want: -1, Detail: "not NUL-terminated"}
	}
	for _, c := range a.Data[:n-1] {
		if c == 0 {
			return "", &AttrError{Type: a.Type, Kind: "string", Len: n, Want: -1, Detail: "NUL inside the string"}
		}
	}
	return string(a.Data[:n-1]), nil
}

// Flag reports an NLA_FLAG: present with an empty payload. A flag with a
// payload is an error.
func (a Attr) Flag() (bool, error) {
	if err := a.want("flag", 0); err != nil {
		return false, err
	}
	return true, nil
}

// Bytes returns the payload, aliasing the message.
func (a Attr) Bytes() []byte { return a.Data }

// Addr reads an IPv4 (4 bytes) or IPv6 (16 bytes) address.
func (a Attr) Addr() (netip.Addr, error) {
	switch len(a.Data) {
	case 4:
		return netip.AddrFrom4([4]byte(a.Data)), nil
	case 16:
		return netip.AddrFrom16([16]byte(a.Data)), nil
	}
	return netip.Addr{}, &AttrError{Type: a.Type, Kind: "address", Len: len(a.Data), Want: -1, Detail: "want 4 or 16 bytes"}
}

// HardwareAddr reads a link-layer address into a new slice.
func (a Attr) HardwareAddr() net.HardwareAddr {
	return net.HardwareAddr(append([]byte(nil), a.Data...))
}

// Scan returns a scanner over the attributes nested in a.
func (a Attr) Scan() AttrScanner { return ScanAttrs(a.Data) }

// AttrError says what is wrong with one attribute.
type AttrError struct {
	// Path names the enclosing attributes, outermost first, when known.
	Path []string
	// Type is the attribute type.
	Type uint16
	// Kind is what it was read as (u32, string, ...).
	Kind string
	// Len is the payload length found, Want the one expected (-1: see Detail).
	Len, Want int
	// Detail says what else is wrong.
	Detail string
}

// Error prints "IFLA_LINKINFO > IFLA_INFO_DATA > 3: length 2, want 4".
func (e *AttrError) Error() string {
	var b []byte
	b = append(b, "attribute "...)
	for _, p := range e.Path {
		b = append(b, p...)
		b = append(b, " > "...)
	}
	b = strconv.AppendUint(b, uint64(e.Type), 10)
	b = append(b, ": "...)
	if e.Kind != "" {
		b = append(b, e.Kind...)
		b = append(b, ' ')
	}
	b = append(b, "length "...)
	b = strconv.AppendInt(b, int64(e.Len), 10)
	if e.Want >= 0 {
		b = append(b, ", want "...)
		b = strconv.AppendInt(b, int64(e.Want), 10)
	}
	if e.Detail != "" {
		b = append(b, ", "...)
		b = append(b, e.Detail...)
	}
	return string(b)
}

// ParseError says where a message or attribute stream is malformed.
type ParseError struct {
	// What is being parsed ("netlink header", "attribute", ...).
	What string
	// Offset is where in the buffer it starts.
	Offset int
	// Len is how many bytes were left; Want how many were needed.
	Len, Want int
}

// Error prints what is truncated and where.
func (e *ParseError) Error() string {
	return "malformed " + e.What + " at offset " + strconv.Itoa(e.Offset) + ": " +
		strconv.Itoa(e.Len) + " bytes left, want " + strconv.Itoa(e.Want)
}

// AttrScanner walks a stream of attributes in place, allocating nothing.
// Use it as a value:
//
//	s := core.ScanAttrs(b)
//	for s.Next() {
//		switch s.Type() {
//		case unix.IFLA_MTU:
//			mtu = s.Uint32()
//		}
//	}
//	if err := s.Err(); err != nil { ... }
//
// The getters on the scanner record the first error (a bad length) and end
// the scan; use Attr().Uint32() and friends to handle errors one by one.
type AttrScanner struct {
	b   []byte
	off int
	cur Attr
	err error
}

// ScanAttrs returns a scanner over the attributes in b.
func ScanAttrs(b []byte) AttrScanner { return AttrScanner{b: b} }

// Next moves to the next attribute and reports whether there is one. A
// truncated attribute ends the scan with an error.
func (s *AttrScanner) Next() bool {
	if s.err != nil || s.off >= len(s.b) {
		return false
	}
	rest := s.b[s.off:]
	if len(rest) < AttrHeaderLen {
		return s.bad(rest)
	}
	l := int(binary.NativeEndian.Uint16(rest))
	if l < AttrHeaderLen || l > len(rest) {
		return s.bad(rest)
	}
	t := binary.NativeEndian.Uint16(rest[2:])
	s.cur = Attr{Type: t & attrTypeMask, Flags: t &^ attrTypeMask, Data: rest[AttrHeaderLen:l:l]}
	s.off += Align(l)
	return true
}

// bad records why the attribute at the scanner's offset cannot be read,
// off Next's common path.
func (s *AttrScanner) bad(rest []byte) bool {
	if len(rest) < AttrHeaderLen {
		s.err = &ParseError{What: "attribute header", Offset: s.off, Len: len(rest), Want: AttrHeaderLen}
		return false
	}
	l := int(binary.NativeEndian.Uint16(rest))
	t := binary.NativeEndian.Uint16(rest[2:])
	s.err = &ParseError{What: "attribute " + strconv.Itoa(int(t&attrTypeMask)), Offset: s.off, Len: len(rest), Want: l}
	return false
}

// Attr is the current attribute.
func (s *AttrScanner) Attr() Attr { return s.cur }

// Type is the current attribute's type, flags stripped.
func (s *AttrScanner) Type() uint16 { return s.cur.Type }

// Bytes is the current attribute's payload, aliasing the message.
func (s *AttrScanner) Bytes() []byte { return s.cur.Data }

// Offset is where the next attribute starts, relative to the scanned bytes.
func (s *AttrScanner) Offset() int { return s.off }

// Err is the first error met, or nil.
func (s *AttrScanner) Err() error { return s.err }

// Fail records err (if it is the first) and ends the scan. Decoders use it
// to report their own errors the same way.
func (s *AttrScanner) Fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// Nested returns a scanner over the current attribute's payload. An error
// in the nested scan is not propagated: check its Err, or use Fail.
func (s *AttrScanner) Nested() AttrScanner { return ScanAttrs(s.cur.Data) }

// Uint8 reads the current attribute as a u8, recording a length error.
func (s *AttrScanner) Uint8() uint8 {
	if d := s.cur.Data; len(d) == 1 {
		return d[0]
	}
	v, err := s.cur.Uint8()
	s.Fail(err)
	return v
}

// Uint16 reads the current attribute as a u16, recording a length error.
func (s *AttrScanner) Uint16() uint16 { v, err := s.cur.Uint16(); s.Fail(err); return v }

// Uint32 reads the current attribute as a u32, recording a length error.
// A host-order u32, most of what the kernel sends, takes the short path.
func (s *AttrScanner) Uint32() uint32 {
	if d := s.cur.Data; len(d) == 4 && s.cur.Flags&AttrNetByteOrder == 0 {
		return binary.NativeEndian.Uint32(d)
	}
	v, err := s.cur.Uint32()
	s.Fail(err)
	return v
}

// Uint64 reads the current attribute as a u64, recording a length error.
func (s *AttrScanner) Uint64() uint64 { v, err := s.cur.Uint64(); s.Fail(err); return v }

// Int8 reads the current attribute as an s8, recording a length error.
func (s *AttrScanner) Int8() int8 { v, err := s.cur.Int8(); s.Fail(err); return v }

// Int16 reads the current attribute as an s16, recording a length error.
func (s *AttrScanner) Int16() int16 { v, err := s.cur.Int16(); s.Fail(err); return v }

// Int32 reads the current attribute as an s32, recording a length error.
func (s *AttrScanner) Int32() int32 { v, err := s.cur.Int32(); s.Fail(err); return v }

// Int64 reads the current attribute as an s64, recording a length error.
func (s *AttrScanner) Int64() int64 { v, err := s.cur.Int64(); s.Fail(err); return v }

// Uint reads the current attribute as a variable-width NLA_UINT.
func (s *AttrScanner) Uint() uint64 { v, err := s.cur.Uint(); s.Fail(err); return v }

// Int reads the current attribute as a variable-width NLA_SINT.
func (s *AttrScanner) Int() int64 { v, err := s.cur.Int(); s.Fail(err); return v }

// String reads the current attribute as a string (see Attr.String).
func (s *AttrScanner) String() string { return s.cur.String() }

// Flag reports an NLA_FLAG, recording an error if it has a payload.
func (s *AttrScanner) Flag() bool { v, err := s.cur.Flag(); s.Fail(err); return v }

// Addr reads the current attribute as an IPv4 or IPv6 address.
func (s *AttrScanner) Addr() netip.Addr { v, err := s.cur.Addr(); s.Fail(err); return v }

// HardwareAddr copies the current attribute as a link-layer address.
func (s *AttrScanner) HardwareAddr() net.HardwareAddr { return s.cur.HardwareAddr() }

// NestedArray calls fn for each attribute nested in the current one, the
// layout the kernel uses for arrays (the nested types are indexes). It
// stops at the first error fn returns or at a malformed element.
func (s *AttrScanner) NestedArray(fn func(index uint16, elem Attr) error) {
	n := s.Nested()
	for n.Next() {
		if err := fn(n.Type(), n.Attr()); err != nil {
			s.Fail(err)
			return
		}
	}
	s.Fail(n.Err())
}

// ParseAttrs copies every attribute of b into a new slice. It is the slow,
// convenient form: prefer AttrScanner on hot paths.
func ParseAttrs(b []byte) ([]Attr, error) {
	var out []Attr
	s := ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		a.Data = append([]byte(nil), a.Data...)
		out = append(out, a)
	}
	return out, s.Err()
}
