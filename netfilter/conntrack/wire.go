package conntrack

import (
	"encoding/binary"

	"github.com/nlkit/nlkit/core"
)

// ctnetlink sends every integer in network byte order, whether or not it
// sets NLA_F_NET_BYTEORDER: these readers take big-endian always and
// record a length error on the scanner.

func ctGet8(s *core.AttrScanner) uint8 {
	b := s.Bytes()
	if len(b) != 1 {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "u8", Len: len(b), Want: 1})
		return 0
	}
	return b[0]
}

func ctGet16(s *core.AttrScanner) uint16 {
	b := s.Bytes()
	if len(b) != 2 {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "be16", Len: len(b), Want: 2})
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func ctGet32(s *core.AttrScanner) uint32 {
	b := s.Bytes()
	if len(b) != 4 {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "be32", Len: len(b), Want: 4})
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func ctGet64(s *core.AttrScanner) uint64 {
	b := s.Bytes()
	if len(b) != 8 {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "be64", Len: len(b), Want: 8})
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// ctString sets *dst to the attribute's string, reusing *dst when it
// already holds the same text, so a reused object does not allocate for
// a helper name or a security context that repeats.
func ctString(dst *string, s *core.AttrScanner) {
	b := s.Attr().StringBytes()
	if string(b) != *dst {
		*dst = string(b)
	}
}

func ctNest(e *core.AttrEncoder, typ uint16) core.Nest {
	return e.NestStart(typ | core.AttrNested)
}
