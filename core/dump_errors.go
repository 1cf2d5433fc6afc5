package core

import (
	"encoding/binary"
	"strconv"

	"golang.org/x/sys/unix"
)

// How the Formatter prints NLMSG_ERROR and NLMSG_DONE.

// errorMessage prints an NLMSG_ERROR payload: the errno, the extended ACK
// and the echoed request.
func (p *dumper) errorMessage(m Message, depth int, echo bool) {
	d := m.Data
	e, err := ParseErrorMessage(m.Header, d, nil)
	if err != nil {
		p.fail(err)
		p.linef(depth, "error: %v: %s", err, hexString(d))
		return
	}
	code := int32(binary.NativeEndian.Uint32(d))
	// The echoed request: its header always, the rest unless CAPPED.
	var req []byte
	if len(d) >= 4+HeaderLen {
		req = d[4 : 4+HeaderLen]
		if m.Header.Flags&FlagCapped == 0 {
			if l := int(binary.NativeEndian.Uint32(d[4:])); l >= HeaderLen && 4+l <= len(d) {
				req = d[4 : 4+l]
			}
		}
	}
	if e != nil && len(req) > HeaderLen {
		// Parse again with the echoed request, to name the offset.
		e, _ = ParseErrorMessage(m.Header, d, req)
	}
	p.errorCode(code, depth)
	if e != nil {
		p.extAck(e, depth)
	}
	p.extraTLVs(m.Header, d, e == nil, depth)
	switch {
	case len(d) < 4+HeaderLen:
		if len(d) > 4 {
			p.fail(&ParseError{What: "echoed request header", Offset: HeaderLen + 4, Len: len(d) - 4, Want: HeaderLen})
			p.linef(depth, "echoed request truncated: %s", hexString(d[4:]))
		}
	case !echo || len(req) == HeaderLen:
		h, _ := ParseHeader(req)
		p.indent(depth)
		p.b = append(p.b, "request: "...)
		p.headerLine(h, h.Length, 0)
	default:
		h, _ := ParseHeader(req)
		p.linef(depth, "request:")
		p.message(Message{Header: h, Data: req[HeaderLen:]}, depth+1, false)
	}
}

func (p *dumper) errorCode(code int32, depth int) {
	if code == 0 {
		p.linef(depth, "error: 0 (success)")
		return
	}
	errno := unix.Errno(-code)
	if code > 0 {
		errno = unix.Errno(code)
	}
	name := errnoName(errno)
	p.linef(depth, "error: %d %s (%s)", code, name, errno.Error())
}

// errnoName gives the name the kernel's headers use for an errno (where
// two names share a number, the one netlink code returns).
func errnoName(e unix.Errno) string {
	switch e {
	case unix.EOPNOTSUPP:
		return "EOPNOTSUPP"
	case unix.EUCLEAN:
		return "EUCLEAN"
	case 524: // kernel-internal, leaks out of some drivers
		return "ENOTSUPP"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

func (p *dumper) extAck(e *Error, depth int) {
	if e.Message != "" {
		p.linef(depth, "ext-ack message: %q", e.Message)
	}
	if e.HasOffset {
		if e.Attr != "" {
			p.linef(depth, "ext-ack offset: %d (%s)", e.Offset, e.Attr)
		} else {
			p.linef(depth, "ext-ack offset: %d", e.Offset)
		}
	}
	if e.HasMissing {
		p.linef(depth, "ext-ack missing attribute: %d", e.MissingType)
	}
	if len(e.Cookie) > 0 {
		p.linef(depth, "ext-ack cookie: %s", hexString(e.Cookie))
	}
}

var extAckNames = [...]string{
	"NLMSGERR_ATTR_UNUSED", "NLMSGERR_ATTR_MSG", "NLMSGERR_ATTR_OFFS",
	"NLMSGERR_ATTR_COOKIE", "NLMSGERR_ATTR_POLICY", "NLMSGERR_ATTR_MISS_TYPE",
	"NLMSGERR_ATTR_MISS_NEST",
}

func extAckName(path []uint16) string {
	if len(path) == 1 && int(path[0]) < len(extAckNames) {
		return extAckNames[path[0]]
	}
	return ""
}

// extraTLVs prints the extended-ACK attributes an error summary does not
// show (all of them for an ACK, which may carry a warning).
func (p *dumper) extraTLVs(h Header, d []byte, all bool, depth int) {
	if h.Flags&FlagAckTLVs == 0 || len(d) < 4+HeaderLen {
		return
	}
	off := 4 + HeaderLen
	if h.Flags&FlagCapped == 0 {
		l := int(binary.NativeEndian.Uint32(d[4:]))
		if l < HeaderLen || 4+l > len(d) {
			return
		}
		off = 4 + Align(l)
	}
	if off > len(d) {
		return
	}
	tlvs := d[off:]
	s := ScanAttrs(tlvs)
	p.path = p.path[:0]
	for s.Next() {
		a := s.Attr()
		if !all {
			switch a.Type {
			case unix.NLMSGERR_ATTR_MSG, unix.NLMSGERR_ATTR_OFFS, unix.NLMSGERR_ATTR_COOKIE, 5:
				continue
			}
		}
		p.path = append(p.path[:0], a.Type)
		p.attr(TypeError, a, depth, extAckName)
	}
	p.path = p.path[:0]
	if err := s.Err(); err != nil {
		p.fail(err)
		p.linef(depth, "malformed ext-ack attributes: %v", err)
		p.hexBlock(depth+1, tlvs[s.Offset():])
	}
}

// doneMessage prints an NLMSG_DONE payload: the dump's error code and, for
// a strict dump that failed, the extended ACK that follows it.
func (p *dumper) doneMessage(m Message, depth int) {
	d := m.Data
	if len(d) == 0 {
		return
	}
	if len(d) < 4 {
		p.fail(&ParseError{What: "NLMSG_DONE payload", Offset: HeaderLen, Len: len(d), Want: 4})
		p.linef(depth, "error code truncated: %s", hexString(d))
		return
	}
	code := int32(binary.NativeEndian.Uint32(d))
	p.errorCode(code, depth)
	if m.Header.Flags&FlagAckTLVs == 0 {
		if len(d) > 4 {
			p.linef(depth, "trailing %d bytes: %s", len(d)-4, hexString(d[4:]))
		}
		return
	}
	// The attributes follow the code directly; read them as an error
	// message with a capped request would be.
	fake := make([]byte, 0, 4+HeaderLen+len(d)-4)
	fake = append(fake, d[:4]...)
	fake = AppendMessage(fake, Message{Header: Header{Type: TypeDone}})
	fake = append(fake, d[4:]...)
	h := m.Header
	h.Flags |= FlagCapped
	e, _ := ParseErrorMessage(h, fake, nil)
	if e != nil {
		p.extAck(e, depth)
	}
	p.extraTLVs(h, fake, e == nil, depth)
}
