package core

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrDumpInterrupted is returned, after the partial data, by a dump the
// kernel marked NLM_F_DUMP_INTR: the objects changed while they were being
// dumped, so what was read may be inconsistent. Dump again (DumpAll can do
// it for you).
var ErrDumpInterrupted = errors.New("netlink: dump interrupted by a concurrent change (NLM_F_DUMP_INTR)")

// ErrOverrun is returned when the socket's receive queue overflowed
// (ENOBUFS): messages, typically events, were lost. The Conn stays usable;
// a caller that mirrors kernel state should dump again to resync.
// errors.Is(err, unix.ENOBUFS) also holds.
var ErrOverrun error = overrunError{}

type overrunError struct{}

func (overrunError) Error() string {
	return "netlink: receive queue overrun, messages were lost (ENOBUFS)"
}
func (overrunError) Unwrap() error { return unix.ENOBUFS }

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("netlink: use of closed connection")

// Error is the one error type of nlkit: what was being done, the errno the
// kernel answered, and the kernel's extended-ACK explanation when it gave
// one.
//
// errors.Is(err, unix.EEXIST), errors.Is(err, fs.ErrExist),
// errors.Is(err, fs.ErrNotExist) and errors.Is(err, fs.ErrPermission) work
// through Unwrap to the errno.
type Error struct {
	// Op is what was being done ("execute RTM_NEWROUTE", "route add
	// 198.51.100.0/24"). Families set it with WithOp.
	Op string
	// Errno is the kernel's error number (positive).
	Errno unix.Errno
	// Message is the extended-ACK message (NLMSGERR_ATTR_MSG).
	Message string
	// Offset is the extended-ACK offset (NLMSGERR_ATTR_OFFS) into the
	// request, counted from the start of its netlink header, when HasOffset.
	Offset    uint32
	HasOffset bool
	// Attr describes the request attribute at Offset when the request is
	// known ("attribute 3, length 8"): families may replace it with a name.
	Attr string
	// MissingType is the type of a missing required attribute
	// (NLMSGERR_ATTR_MISS_TYPE) when HasMissing.
	MissingType uint32
	HasMissing  bool
	// Cookie is the extended-ACK cookie, if any.
	Cookie []byte
	// Request is the header of the request the error answers.
	Request Header
}

// Error prints "op: errno text: ext-ack message (at offset N: attr)".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Errno.Error())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.HasOffset {
		b.WriteString(" (at offset ")
		b.WriteString(strconv.FormatUint(uint64(e.Offset), 10))
		if e.Attr != "" {
			b.WriteString(": ")
			b.WriteString(e.Attr)
		}
		b.WriteByte(')')
	}
	if e.HasMissing {
		b.WriteString(" (missing attribute ")
		b.WriteString(strconv.FormatUint(uint64(e.MissingType), 10))
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the errno, so errors.Is sees unix.Errno and fs errors.
func (e *Error) Unwrap() error { return e.Errno }

// Is makes fs.ErrNotExist match the errnos netlink families use for "no
// such object" beyond ENOENT: ENODEV (no such link), ESRCH (no such route,
// rule or neighbour) and EADDRNOTAVAIL (no such address). Everything else
// is decided by the errno through Unwrap.
func (e *Error) Is(target error) bool {
	if target == fs.ErrNotExist {
		switch e.Errno {
		case unix.ENODEV, unix.ESRCH, unix.EADDRNOTAVAIL:
			return true
		}
	}
	return false
}

// WithOp returns err with its Op set to op when it is an *Error (a copy; the
// original is not changed), or wraps it as "op: err" otherwise. nil stays
// nil.
func WithOp(err error, op string) error {
	if err == nil {
		return nil
	}
	var ne *Error
	if errors.As(err, &ne) {
		c := *ne
		c.Op = op
		return &c
	}
	return &OpError{Op: op, Err: err}
}

// OpError wraps an error that is not a kernel answer (a closed Conn, a
// cancelled context, a malformed reply) with what was being done.
type OpError struct {
	Op  string
	Err error
}

// Error prints "op: err".
func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

// ParseErrorMessage decodes the payload of an NLMSG_ERROR message (struct
// nlmsgerr and the extended-ACK attributes). It returns nil, nil for an
// ACK (error 0). req, when not nil, is the request the error answers: it
// lets the error name the attribute at the extended-ACK offset.
func ParseErrorMessage(h Header, data []byte, req []byte) (*Error, error) {
	if len(data) < 4 {
		return nil, &ParseError{What: "NLMSG_ERROR payload", Len: len(data), Want: 4}
	}
	code := int32(binary.NativeEndian.Uint32(data))
	if code == 0 {
		return nil, nil
	}
	e := &Error{}
	if len(data) >= 4+HeaderLen {
		e.Request, _ = ParseHeader(data[4:])
	}
	if code < 0 {
		code = -code
	}
	e.Errno = unix.Errno(code)
	e.Op = "netlink"
	if h.Flags&FlagAckTLVs == 0 || len(data) < 4+HeaderLen {
		return e, nil
	}
	off := 4 + HeaderLen
	if h.Flags&FlagCapped == 0 {
		// The whole request follows.
		l := int(e.Request.Length)
		if l < HeaderLen || 4+l > len(data) {
			return e, nil
		}
		off = 4 + Align(l)
	}
	if off > len(data) {
		return e, nil
	}
	s := ScanAttrs(data[off:])
	for s.Next() {
		a := s.Attr()
		switch a.Type {
		case unix.NLMSGERR_ATTR_MSG:
			e.Message = a.String()
		case unix.NLMSGERR_ATTR_OFFS:
			if v, err := a.Uint32(); err == nil {
				e.Offset, e.HasOffset = v, true
			}
		case unix.NLMSGERR_ATTR_COOKIE:
			e.Cookie = append([]byte(nil), a.Data...)
		case 5: // NLMSGERR_ATTR_MISS_TYPE
			if v, err := a.Uint32(); err == nil {
				e.MissingType, e.HasMissing = v, true
			}
		}
	}
	if e.HasOffset && req != nil {
		e.Attr = describeAttrAt(req, int(e.Offset))
	}
	return e, nil
}

// describeAttrAt names the attribute starting at off in the encoded request
// msg (header included).
func describeAttrAt(msg []byte, off int) string {
	if off < HeaderLen || off+AttrHeaderLen > len(msg) {
		return ""
	}
	l := binary.NativeEndian.Uint16(msg[off:])
	t := binary.NativeEndian.Uint16(msg[off+2:]) & attrTypeMask
	return "attribute " + strconv.Itoa(int(t)) + ", length " + strconv.Itoa(int(l))
}
