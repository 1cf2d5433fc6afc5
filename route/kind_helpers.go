package route

import (
	"net/netip"

	"github.com/nlkit/nlkit/core"
)

// Ptr returns a pointer to v: the optional fields of the kind types are
// pointers (nil: not sent, or not reported), set as Ptr(uint32(10)).
func Ptr[T any](v T) *T { return &v }

// Small helpers the kind codecs share: decode an optional value into a new
// pointer, encode one when it is set.

func kindU8(s *core.AttrScanner) *uint8   { v := s.Uint8(); return &v }
func kindU16(s *core.AttrScanner) *uint16 { v := s.Uint16(); return &v }
func kindU32(s *core.AttrScanner) *uint32 { v := s.Uint32(); return &v }
func kindU64(s *core.AttrScanner) *uint64 { v := s.Uint64(); return &v }
func kindBool(s *core.AttrScanner) *bool  { v := s.Uint8() != 0; return &v }

// kindBE16 reads a big-endian u16 whatever its NLA_F_NET_BYTEORDER flag
// says (ports and protocols the kernel keeps as __be16).
func kindBE16(s *core.AttrScanner) uint16 {
	a := s.Attr()
	if len(a.Data) != 2 {
		s.Fail(&core.AttrError{Type: a.Type, Kind: "be16", Len: len(a.Data), Want: 2})
		return 0
	}
	return uint16(a.Data[0])<<8 | uint16(a.Data[1])
}

func kindPutU8(e *core.AttrEncoder, t uint16, v *uint8) {
	if v != nil {
		e.Uint8(t, *v)
	}
}

func kindPutU16(e *core.AttrEncoder, t uint16, v *uint16) {
	if v != nil {
		e.Uint16(t, *v)
	}
}

func kindPutU32(e *core.AttrEncoder, t uint16, v *uint32) {
	if v != nil {
		e.Uint32(t, *v)
	}
}

func kindPutU64(e *core.AttrEncoder, t uint16, v *uint64) {
	if v != nil {
		e.Uint64(t, *v)
	}
}

func kindPutBool(e *core.AttrEncoder, t uint16, v *bool) {
	if v != nil {
		var b uint8
		if *v {
			b = 1
		}
		e.Uint8(t, b)
	}
}

// kindPutBE16 writes a big-endian u16 without NLA_F_NET_BYTEORDER, as
// iproute2 sends ports and protocols.
func kindPutBE16(e *core.AttrEncoder, t uint16, v uint16) {
	e.Binary(t, []byte{byte(v >> 8), byte(v)})
}

// kindPutAddr writes a when it is valid.
func kindPutAddr(e *core.AttrEncoder, t uint16, a netip.Addr) {
	if a.IsValid() {
		e.Addr(t, a)
	}
}
