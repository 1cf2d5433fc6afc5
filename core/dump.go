package core

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxDumpDepth caps how deep the Formatter follows nested attributes (and
// echoed requests); deeper payloads print as hex.
const maxDumpDepth = 16

// Formatter prints netlink messages readably, like libnl's nl_msg_dump:
// the header with its flags named, the family header, the attribute tree,
// and hex for payloads it cannot read.
//
// The output for one message looks like this:
//
//	type=RTM_NEWLINK(16) len=56 flags=REQUEST|ACK|EXCL|CREATE seq=1 port=0
//	  ifinfomsg 00000000 00000000 00000000 00000000: family=unspec type=0 index=0 flags=0x0 change=0x0
//	  [3] IFLA_IFNAME len=3: 783000 "x0"
//	  [4] IFLA_MTU len=4: dc050000 u32=1500
//	  [18|NESTED] IFLA_LINKINFO len=12:
//	    [1] IFLA_INFO_KIND len=5: 76657468 00 "veth"
//
// Attributes print as [type|FLAGS], the name AttrName gives, the payload
// length, then the payload: nested attributes as an indented subtree, other
// payloads as hex followed by the readings that are plausible for their
// size and content (u8/u16/u32/u64, hw= for 6 bytes, ip6= for 16, a quoted
// string when the bytes are printable). A payload without NLA_F_NESTED that
// parses exactly as attributes is shown as a subtree too, because
// rtnetlink often omits the flag. Payloads longer than 16 bytes print their
// hex on the following lines.
//
// NLMSG_ERROR prints the errno, the extended ACK and the echoed request
// (whole, unless NLM_F_CAPPED); NLMSG_DONE its error code and extended ACK.
// Bytes that cannot be parsed print as hex with the reason. Nesting deeper
// than 16 levels prints as hex.
//
// A Formatter is safe for concurrent use when its hooks are. The zero value
// (and a nil *Formatter) formats NETLINK_ROUTE, protocol 0.
type Formatter struct {
	// Protocol is the netlink protocol, which tells the family header
	// size of well-known message types: NETLINK_ROUTE (ifinfomsg, rtmsg,
	// ...), NETLINK_GENERIC (genlmsghdr) and NETLINK_NETFILTER (nfgenmsg).
	Protocol int
	// HeaderLen, when set, gives the size of the family's fixed header for
	// message type t, or -1 when it does not know, which falls back to the
	// built-in sizes for Protocol.
	HeaderLen func(t MessageType) int
	// AttrName, when set, names an attribute of a message of type t. path
	// holds the types (flags stripped) of the attributes enclosing it,
	// outermost first, and the attribute's own type last; it is only valid
	// during the call. "" prints the number alone.
	AttrName func(t MessageType, path []uint16) string
	// TypeName, when set, names message type t (a generic netlink family,
	// a netfilter subsystem message); "" falls back to the built-in names
	// (control messages, RTM_* for NETLINK_ROUTE).
	TypeName func(t MessageType) string
}

// Trace prints every message of one datagram, after a one-line marker
// naming dir ("send", "recv") and the datagram's size. The datagram is
// written with one Write call; write errors are ignored.
func (f *Formatter) Trace(w io.Writer, dir string, datagram []byte) {
	n := 0
	s := ScanMessages(datagram)
	for s.Next() {
		n++
	}
	p := &dumper{f: f}
	word := "messages"
	if n == 1 {
		word = "message"
	}
	p.linef(0, "%s: %d bytes, %d %s", dir, len(datagram), n, word)
	p.datagram(datagram)
	_, _ = w.Write(p.b)
}

// Format writes a multi-line dump of m to w. It returns the error of the
// write, or else, when some part of m could not be parsed, an error saying
// what (the dump then shows that part as hex with the reason).
func (f *Formatter) Format(w io.Writer, m Message) error {
	p := &dumper{f: f}
	p.message(m, 0, true)
	if _, err := w.Write(p.b); err != nil {
		return err
	}
	return p.err
}

// FormatDatagram writes the dump of every message in the datagram b to w.
// Like Format, it returns the write error or else the first parse problem,
// including a datagram whose messages do not fill it exactly.
func (f *Formatter) FormatDatagram(w io.Writer, b []byte) error {
	p := &dumper{f: f}
	p.datagram(b)
	if _, err := w.Write(p.b); err != nil {
		return err
	}
	return p.err
}

// dumper accumulates the text of one dump and the first problem met.
type dumper struct {
	f    *Formatter
	b    []byte
	err  error
	path []uint16
}

func (p *dumper) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *dumper) indent(depth int) {
	for i := 0; i < depth; i++ {
		p.b = append(p.b, ' ', ' ')
	}
}

func (p *dumper) linef(depth int, format string, args ...any) {
	p.indent(depth)
	p.b = fmt.Appendf(p.b, format, args...)
	p.b = append(p.b, '\n')
}

func (p *dumper) datagram(b []byte) {
	s := ScanMessages(b)
	for s.Next() {
		p.message(s.Message(), 0, true)
	}
	if err := s.Err(); err != nil {
		p.fail(err)
		p.linef(0, "malformed datagram: %v", err)
		var pe *ParseError
		if errors.As(err, &pe) && pe.Offset >= 0 && pe.Offset <= len(b) {
			p.hexBlock(1, b[pe.Offset:])
		}
	}
}

// typeName names t: the TypeName hook, then control types, then the
// protocol's built-in names.
func (p *dumper) typeName(t MessageType) string {
	if p.f != nil && p.f.TypeName != nil {
		if n := p.f.TypeName(t); n != "" {
			return n
		}
	}
	if t < unix.NLMSG_MIN_TYPE {
		switch t {
		case TypeNoop, TypeError, TypeDone, TypeOverrun:
			return t.String()
		}
		return ""
	}
	switch p.protocol() {
	case unix.NETLINK_ROUTE:
		return rtmName(t)
	case unix.NETLINK_GENERIC:
		if t == unix.GENL_ID_CTRL {
			return "GENL_ID_CTRL"
		}
	case unix.NETLINK_NETFILTER:
		switch t {
		case unix.NFNL_MSG_BATCH_BEGIN:
			return "NFNL_MSG_BATCH_BEGIN"
		case unix.NFNL_MSG_BATCH_END:
			return "NFNL_MSG_BATCH_END"
		}
		return fmt.Sprintf("NFNL_SUBSYS_%d/%d", uint16(t)>>8, uint16(t)&0xff)
	}
	return ""
}

func (p *dumper) protocol() int {
	if p.f == nil {
		return unix.NETLINK_ROUTE
	}
	return p.f.Protocol
}

// flagKind tells which meaning bits 8-11 of the flags have.
type flagKind int

const (
	flagsGet flagKind = iota
	flagsNew
	flagsDel
	flagsAck
)

func (p *dumper) flagKind(t MessageType) flagKind {
	switch {
	case t == TypeError || t == TypeDone:
		return flagsAck
	case t < unix.NLMSG_MIN_TYPE:
		return flagsGet
	case p.protocol() == unix.NETLINK_ROUTE:
		switch (t - unix.RTM_BASE) % 4 {
		case 0, 3: // RTM_NEW*, RTM_SET*
			return flagsNew
		case 1:
			return flagsDel
		}
	}
	return flagsGet
}

// flagsText names the header flags with the meaning the message type gives
// them.
func flagsText(f HeaderFlags, k flagKind) string {
	switch k {
	case flagsNew:
		return FlagsString(f, true, false)
	case flagsAck:
		return FlagsString(f, false, true)
	case flagsDel:
		const nonrec, bulk = FlagNonRec, FlagBulk
		var out []byte
		add := func(s string) {
			if len(out) > 0 {
				out = append(out, '|')
			}
			out = append(out, s...)
		}
		if low := f & 0xff; low != 0 {
			add(FlagsString(low, false, false))
		}
		if f&nonrec != 0 {
			add("NONREC")
		}
		if f&bulk != 0 {
			add("BULK")
		}
		if rest := f &^ (0xff | nonrec | bulk); rest != 0 {
			add("0x" + strconv.FormatUint(uint64(rest), 16))
		}
		if len(out) == 0 {
			return "0"
		}
		return string(out)
	}
	return FlagsString(f, false, false)
}

// headerLine prints h; length stands for h.Length, which a message not yet
// sent may leave zero.
func (p *dumper) headerLine(h Header, length uint32, depth int) {
	name := p.typeName(h.Type)
	if name != "" {
		name += "(" + strconv.Itoa(int(h.Type)) + ")"
	} else {
		name = strconv.Itoa(int(h.Type))
	}
	p.linef(depth, "type=%s len=%d flags=%s seq=%d port=%d", name, length,
		flagsText(h.Flags, p.flagKind(h.Type)), h.Sequence, h.PID)
}

// message prints one message at depth. echo allows printing the request
// echoed in an NLMSG_ERROR (not inside another echo).
func (p *dumper) message(m Message, depth int, echo bool) {
	length := m.Header.Length
	if length == 0 {
		length = uint32(m.Len())
	}
	p.headerLine(m.Header, length, depth)
	depth++
	t := m.Header.Type
	switch {
	case t == TypeError:
		p.errorMessage(m, depth, echo)
		return
	case t == TypeDone:
		p.doneMessage(m, depth)
		return
	case t < unix.NLMSG_MIN_TYPE:
		if len(m.Data) > 0 {
			p.linef(depth, "payload %d bytes:", len(m.Data))
			p.hexBlock(depth+1, m.Data)
		}
		return
	}
	hl, name := p.familyHeader(t)
	if hl < 0 {
		if len(m.Data) > 0 {
			p.linef(depth, "payload %d bytes (family header unknown):", len(m.Data))
			p.hexBlock(depth+1, m.Data)
		}
		return
	}
	if len(m.Data) < hl {
		p.fail(&ParseError{What: name, Offset: HeaderLen, Len: len(m.Data), Want: hl})
		p.linef(depth, "%s truncated: %d bytes, want %d: %s", name, len(m.Data), hl, hexString(m.Data))
		return
	}
	if hl > 0 {
		desc := describeFamilyHeader(name, m.Data[:hl])
		if desc != "" {
			desc = ": " + desc
		}
		p.linef(depth, "%s %s%s", name, hexString(m.Data[:hl]), desc)
	}
	start := Align(hl)
	if start > len(m.Data) {
		start = len(m.Data)
	}
	p.path = p.path[:0]
	p.attrs(t, m.Data[start:], depth, nil)
}

// attrName names the attribute whose path is p.path; builtin supplies
// names when the hook gives none.
func (p *dumper) attrName(t MessageType, builtin func([]uint16) string) string {
	if p.f != nil && p.f.AttrName != nil {
		if n := p.f.AttrName(t, p.path); n != "" {
			return n
		}
	}
	if builtin != nil {
		return builtin(p.path)
	}
	return ""
}

// attrs prints the attribute stream b of a message of type t at depth.
func (p *dumper) attrs(t MessageType, b []byte, depth int, builtin func([]uint16) string) {
	s := ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		p.path = append(p.path, a.Type)
		p.attr(t, a, depth, builtin)
		p.path = p.path[:len(p.path)-1]
	}
	if err := s.Err(); err != nil {
		p.fail(err)
		p.linef(depth, "malformed attributes: %v", err)
		if off := s.Offset(); off >= 0 && off <= len(b) {
			p.hexBlock(depth+1, b[off:])
		}
	}
}

func (p *dumper) attr(t MessageType, a Attr, depth int, builtin func([]uint16) string) {
	head := "[" + strconv.Itoa(int(a.Type))
	if a.Nested() {
		head += "|NESTED"
	}
	if a.NetByteOrder() {
		head += "|NET_BYTEORDER"
	}
	head += "]"
	if name := p.attrName(t, builtin); name != "" {
		head += " " + name
	}
	head += " len=" + strconv.Itoa(len(a.Data))
	deep := len(p.path) >= maxDumpDepth
	switch {
	case a.Nested() && deep:
		p.fail(errors.New("attributes nested too deep"))
		p.linef(depth, "%s: nested too deep to print: %s", head, hexString(a.Data))
	case a.Nested():
		if err := parsesAsAttrs(a.Data); err != nil {
			p.fail(err)
			p.linef(depth, "%s: not attributes (%v): %s", head, err, hexString(a.Data))
			return
		}
		p.linef(depth, "%s:", head)
		p.attrs(t, a.Data, depth+1, builtin)
	case !deep && len(a.Data) >= AttrHeaderLen && parsesAsAttrs(a.Data) == nil:
		// rtnetlink often nests without NLA_F_NESTED. Small payloads
		// may just as well be numbers: show both.
		if len(a.Data) <= 8 {
			p.linef(depth, "%s: %s%s, as attributes:", head, hexString(a.Data), readings(a))
		} else {
			p.linef(depth, "%s:", head)
		}
		p.attrs(t, a.Data, depth+1, builtin)
	case len(a.Data) == 0:
		p.linef(depth, "%s", head)
	case len(a.Data) <= 16:
		p.linef(depth, "%s: %s%s", head, hexString(a.Data), readings(a))
	default:
		p.linef(depth, "%s:%s", head, readings(a))
		p.hexBlock(depth+1, a.Data)
	}
}
