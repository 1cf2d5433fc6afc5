package route

import (
	"encoding/binary"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// linkScan walks netlink attributes like core.AttrScanner, with the same
// errors, but small enough to be inlined in the link decoder's hot loops
// (a link message carries some fifty attributes), and with fast paths for
// the host-order integers that make up most of them.
type linkScan struct {
	b   []byte
	off int
	a   core.Attr
	err error
}

// linkAttrTypeMask strips NLA_F_NESTED and NLA_F_NET_BYTEORDER.
const linkAttrTypeMask = ^uint16(unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)

// next moves to the next attribute and reports whether there is one.
func (s *linkScan) next() bool {
	if s.err != nil || s.off >= len(s.b) {
		return false
	}
	rest := s.b[s.off:]
	if len(rest) < unix.NLA_HDRLEN {
		return s.bad("attribute header", len(rest), unix.NLA_HDRLEN)
	}
	n := int(binary.NativeEndian.Uint16(rest))
	t := binary.NativeEndian.Uint16(rest[2:])
	if n < unix.NLA_HDRLEN || n > len(rest) {
		return s.bad("attribute "+strconv.Itoa(int(t&linkAttrTypeMask)), len(rest), n)
	}
	s.a = core.Attr{Type: t & linkAttrTypeMask, Flags: t &^ linkAttrTypeMask, Data: rest[unix.NLA_HDRLEN:n:n]}
	s.off += (n + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1)
	return true
}

// bad records a truncated attribute as core.AttrScanner does.
func (s *linkScan) bad(what string, rest, want int) bool {
	s.err = &core.ParseError{What: what, Offset: s.off, Len: rest, Want: want}
	return false
}

// fail records err when it is the first error; the scan then ends.
func (s *linkScan) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// u32 reads the current attribute as a u32, recording a length error.
func (s *linkScan) u32() uint32 {
	if d := s.a.Data; len(d) == 4 && s.a.Flags&unix.NLA_F_NET_BYTEORDER == 0 {
		return binary.NativeEndian.Uint32(d)
	}
	v, err := s.a.Uint32()
	s.fail(err)
	return v
}

// u8 reads the current attribute as a u8, recording a length error.
func (s *linkScan) u8() uint8 {
	if d := s.a.Data; len(d) == 1 {
		return d[0]
	}
	v, err := s.a.Uint8()
	s.fail(err)
	return v
}

// linkCountAttrs counts the attributes of type t in b (up to the first
// malformed one).
func linkCountAttrs(b []byte, t uint16) int {
	n := 0
	s := linkScan{b: b}
	for s.next() {
		if s.a.Type == t {
			n++
		}
	}
	return n
}
