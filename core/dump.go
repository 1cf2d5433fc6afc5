package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
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

// familyHeader returns the size and name of the fixed header of messages of
// type t, or -1 when unknown.
func (p *dumper) familyHeader(t MessageType) (int, string) {
	builtin, name := p.builtinHeader(t)
	if p.f != nil && p.f.HeaderLen != nil {
		if n := p.f.HeaderLen(t); n >= 0 {
			if n != builtin {
				name = "family header"
			}
			return n, name
		}
	}
	return builtin, name
}

func (p *dumper) builtinHeader(t MessageType) (int, string) {
	switch p.protocol() {
	case unix.NETLINK_ROUTE:
		return rtmHeader(t)
	case unix.NETLINK_GENERIC:
		return unix.GENL_HDRLEN, "genlmsghdr"
	case unix.NETLINK_NETFILTER:
		return 4, "nfgenmsg"
	}
	return -1, ""
}

// rtmHeader gives the fixed header of an rtnetlink message type
// (linux/rtnetlink.h and the headers it points to).
func rtmHeader(t MessageType) (int, string) {
	switch {
	case t >= unix.RTM_NEWLINK && t <= unix.RTM_SETLINK,
		t >= unix.RTM_NEWLINKPROP && t <= unix.RTM_GETLINKPROP:
		return unix.SizeofIfInfomsg, "ifinfomsg"
	case t >= unix.RTM_NEWADDR && t <= unix.RTM_GETADDR,
		t >= 56 && t <= 58, // RTM_NEWMULTICAST..RTM_GETMULTICAST
		t >= 60 && t <= 62: // RTM_NEWANYCAST..RTM_GETANYCAST
		return unix.SizeofIfAddrmsg, "ifaddrmsg"
	case t >= unix.RTM_NEWROUTE && t <= unix.RTM_GETROUTE:
		return unix.SizeofRtMsg, "rtmsg"
	case t >= unix.RTM_NEWNEIGH && t <= unix.RTM_GETNEIGH:
		return 12, "ndmsg"
	case t >= unix.RTM_NEWRULE && t <= unix.RTM_GETRULE:
		return 12, "fib_rule_hdr"
	case t >= unix.RTM_NEWQDISC && t <= unix.RTM_GETTFILTER,
		t >= unix.RTM_NEWCHAIN && t <= unix.RTM_GETCHAIN:
		return 20, "tcmsg"
	case t >= unix.RTM_NEWACTION && t <= unix.RTM_GETACTION:
		return 4, "tcamsg"
	case t == unix.RTM_NEWPREFIX:
		return 12, "prefixmsg"
	case t >= unix.RTM_NEWNEIGHTBL && t <= unix.RTM_SETNEIGHTBL:
		return 4, "ndtmsg"
	case t == unix.RTM_NEWNDUSEROPT:
		return 16, "nduseroptmsg"
	case t >= unix.RTM_NEWADDRLABEL && t <= unix.RTM_GETADDRLABEL:
		return 12, "ifaddrlblmsg"
	case t >= unix.RTM_GETDCB && t <= unix.RTM_SETDCB:
		return 4, "dcbmsg"
	case t >= unix.RTM_NEWNETCONF && t <= unix.RTM_GETNETCONF:
		return 4, "netconfmsg"
	case t >= unix.RTM_NEWMDB && t <= unix.RTM_GETMDB:
		return 8, "br_port_msg"
	case t >= unix.RTM_NEWNSID && t <= unix.RTM_GETNSID,
		t == unix.RTM_NEWCACHEREPORT:
		return 4, "rtgenmsg"
	case t >= unix.RTM_NEWSTATS && t <= unix.RTM_SETSTATS:
		return 12, "if_stats_msg"
	case t >= unix.RTM_NEWNEXTHOP && t <= unix.RTM_GETNEXTHOP,
		t >= unix.RTM_NEWNEXTHOPBUCKET && t <= unix.RTM_GETNEXTHOPBUCKET:
		return 8, "nhmsg"
	case t >= unix.RTM_NEWVLAN && t <= unix.RTM_GETVLAN:
		return 8, "br_vlan_msg"
	case t >= unix.RTM_NEWTUNNEL && t <= unix.RTM_GETTUNNEL:
		return 8, "tunnel_msg"
	}
	return -1, ""
}

// rtmGroups are the rtnetlink objects whose types run NEW, DEL, GET (and
// SET for links) from base.
var rtmGroups = [...]struct {
	base MessageType
	obj  string
	n    MessageType
}{
	{unix.RTM_NEWLINK, "LINK", 4}, {unix.RTM_NEWADDR, "ADDR", 3}, {unix.RTM_NEWROUTE, "ROUTE", 3},
	{unix.RTM_NEWNEIGH, "NEIGH", 3}, {unix.RTM_NEWRULE, "RULE", 3}, {unix.RTM_NEWQDISC, "QDISC", 3},
	{unix.RTM_NEWTCLASS, "TCLASS", 3}, {unix.RTM_NEWTFILTER, "TFILTER", 3}, {unix.RTM_NEWACTION, "ACTION", 3},
	{56, "MULTICAST", 3}, {60, "ANYCAST", 3}, // RTM_NEWMULTICAST, RTM_NEWANYCAST (Linux 6.13+)
	{unix.RTM_NEWADDRLABEL, "ADDRLABEL", 3}, {unix.RTM_NEWNETCONF, "NETCONF", 3}, {unix.RTM_NEWMDB, "MDB", 3},
	{unix.RTM_NEWNSID, "NSID", 3}, {unix.RTM_NEWCHAIN, "CHAIN", 3}, {unix.RTM_NEWNEXTHOP, "NEXTHOP", 3},
	{unix.RTM_NEWLINKPROP, "LINKPROP", 3}, {unix.RTM_NEWVLAN, "VLAN", 3},
	{unix.RTM_NEWNEXTHOPBUCKET, "NEXTHOPBUCKET", 3}, {unix.RTM_NEWTUNNEL, "TUNNEL", 3},
}

// rtmName names the rtnetlink message types that exist.
func rtmName(t MessageType) string {
	switch t {
	case unix.RTM_NEWPREFIX:
		return "RTM_NEWPREFIX"
	case unix.RTM_NEWNEIGHTBL:
		return "RTM_NEWNEIGHTBL"
	case unix.RTM_GETNEIGHTBL:
		return "RTM_GETNEIGHTBL"
	case unix.RTM_SETNEIGHTBL:
		return "RTM_SETNEIGHTBL"
	case unix.RTM_NEWNDUSEROPT:
		return "RTM_NEWNDUSEROPT"
	case unix.RTM_GETDCB:
		return "RTM_GETDCB"
	case unix.RTM_SETDCB:
		return "RTM_SETDCB"
	case unix.RTM_NEWSTATS:
		return "RTM_NEWSTATS"
	case unix.RTM_GETSTATS:
		return "RTM_GETSTATS"
	case unix.RTM_SETSTATS:
		return "RTM_SETSTATS"
	case unix.RTM_NEWCACHEREPORT:
		return "RTM_NEWCACHEREPORT"
	}
	verbs := [...]string{"NEW", "DEL", "GET", "SET"}
	for _, g := range rtmGroups {
		if t >= g.base && t < g.base+g.n {
			return "RTM_" + verbs[t-g.base] + g.obj
		}
	}
	return ""
}

var familyNames = map[uint8]string{
	unix.AF_UNSPEC: "unspec", unix.AF_INET: "inet", unix.AF_INET6: "inet6",
	unix.AF_BRIDGE: "bridge", unix.AF_PACKET: "packet", unix.AF_MPLS: "mpls",
	unix.AF_UNIX: "unix", unix.AF_DECnet: "decnet", unix.AF_IPX: "ipx",
	128: "ipmr", 129: "ip6mr",
}

func familyName(f uint8) string {
	if n, ok := familyNames[f]; ok {
		return n
	}
	return strconv.Itoa(int(f))
}

// describeFamilyHeader decodes the fields of the fixed headers it knows;
// b has exactly the header's size.
func describeFamilyHeader(name string, b []byte) string {
	u16 := func(i int) uint16 { return binary.NativeEndian.Uint16(b[i:]) }
	u32 := func(i int) uint32 { return binary.NativeEndian.Uint32(b[i:]) }
	i32 := func(i int) int32 { return int32(u32(i)) }
	switch name {
	case "ifinfomsg":
		return fmt.Sprintf("family=%s type=%d index=%d flags=%#x change=%#x",
			familyName(b[0]), u16(2), i32(4), u32(8), u32(12))
	case "ifaddrmsg":
		return fmt.Sprintf("family=%s prefixlen=%d flags=%#x scope=%d index=%d",
			familyName(b[0]), b[1], b[2], b[3], u32(4))
	case "rtmsg":
		return fmt.Sprintf("family=%s dst_len=%d src_len=%d tos=%d table=%d protocol=%d scope=%d type=%d flags=%#x",
			familyName(b[0]), b[1], b[2], b[3], b[4], b[5], b[6], b[7], u32(8))
	case "ndmsg":
		return fmt.Sprintf("family=%s index=%d state=%#x flags=%#x type=%d",
			familyName(b[0]), i32(4), u16(8), b[10], b[11])
	case "fib_rule_hdr":
		return fmt.Sprintf("family=%s dst_len=%d src_len=%d tos=%d table=%d action=%d flags=%#x",
			familyName(b[0]), b[1], b[2], b[3], b[4], b[7], u32(8))
	case "tcmsg":
		return fmt.Sprintf("family=%s index=%d handle=%x:%x parent=%x:%x info=%#x",
			familyName(b[0]), i32(4), u32(8)>>16, u32(8)&0xffff, u32(12)>>16, u32(12)&0xffff, u32(16))
	case "nhmsg":
		return fmt.Sprintf("family=%s scope=%d protocol=%d flags=%#x", familyName(b[0]), b[1], b[2], u32(4))
	case "br_port_msg", "br_vlan_msg", "tunnel_msg":
		return fmt.Sprintf("family=%s index=%d", familyName(b[0]), u32(4))
	case "if_stats_msg":
		return fmt.Sprintf("family=%s index=%d filter_mask=%#x", familyName(b[0]), u32(4), u32(8))
	case "prefixmsg":
		return fmt.Sprintf("family=%s index=%d type=%d len=%d flags=%#x", familyName(b[0]), i32(4), b[8], b[9], b[10])
	case "ifaddrlblmsg":
		return fmt.Sprintf("family=%s prefixlen=%d flags=%#x index=%d", familyName(b[0]), b[2], b[3], u32(4))
	case "nduseroptmsg":
		return fmt.Sprintf("family=%s opts_len=%d index=%d icmp_type=%d icmp_code=%d", familyName(b[0]), u16(2), i32(4), b[8], b[9])
	case "dcbmsg":
		return fmt.Sprintf("family=%s cmd=%d", familyName(b[0]), b[1])
	case "tcamsg", "ndtmsg", "netconfmsg", "rtgenmsg":
		return "family=" + familyName(b[0])
	case "genlmsghdr":
		return fmt.Sprintf("cmd=%d version=%d", b[0], b[1])
	case "nfgenmsg":
		return fmt.Sprintf("family=%s version=%d res_id=%d", familyName(b[0]), b[1], binary.BigEndian.Uint16(b[2:]))
	}
	return ""
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

// parsesAsAttrs reports whether b parses exactly and completely as attributes.
func parsesAsAttrs(b []byte) error {
	s := ScanAttrs(b)
	for s.Next() {
	}
	return s.Err()
}

// readings gives the plausible interpretations of an attribute payload,
// each preceded by a space.
func readings(a Attr) string {
	d := a.Data
	var out []byte
	be := ""
	if a.NetByteOrder() {
		be = "be"
	}
	switch len(d) {
	case 1:
		out = fmt.Appendf(out, " u8=%d", d[0])
	case 2:
		v, _ := a.Uint16()
		out = fmt.Appendf(out, " u16%s=%d", be, v)
	case 4:
		v, _ := a.Uint32()
		out = fmt.Appendf(out, " u32%s=%d", be, v)
		if int32(v) < 0 {
			out = fmt.Appendf(out, " (%d)", int32(v))
		}
	case 6:
		out = append(out, " hw="...)
		out = append(out, net.HardwareAddr(d).String()...)
	case 8:
		v, _ := a.Uint64()
		out = fmt.Appendf(out, " u64%s=%d", be, v)
		if int64(v) < 0 {
			out = fmt.Appendf(out, " (%d)", int64(v))
		}
	case 16:
		out = append(out, " ip6="...)
		out = append(out, netip.AddrFrom16([16]byte(d)).String()...)
	}
	if s, ok := printable(d); ok {
		out = append(out, ' ')
		out = strconv.AppendQuote(out, s)
	}
	return string(out)
}

// printable reports whether d reads as a string: printable ASCII, then at
// most one NUL (the kernel sizes string attributes to fit), or more NULs
// after a run of four characters or more (a fixed-size name buffer). On
// numbers' sizes two characters are needed, so that a small integer does
// not print as a one-letter string.
func printable(d []byte) (string, bool) {
	n := 0
	for n < len(d) && d[n] >= 0x20 && d[n] < 0x7f {
		n++
	}
	if n == 0 {
		return "", false
	}
	for _, c := range d[n:] {
		if c != 0 {
			return "", false
		}
	}
	if len(d)-n > 1 && n < 4 {
		return "", false
	}
	switch len(d) {
	case 1, 2, 4, 8:
		if n < 2 {
			return "", false
		}
	}
	return string(d[:n]), true
}

const hexDigits = "0123456789abcdef"

// appendHex appends b as hex in groups of four bytes.
func appendHex(out, b []byte) []byte {
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return out
}

func hexString(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	return string(appendHex(nil, b))
}

// hexBlock prints b as hex, 16 bytes a line, each line led by its offset.
func (p *dumper) hexBlock(depth int, b []byte) {
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		p.indent(depth)
		p.b = fmt.Appendf(p.b, "%04x: ", off)
		p.b = appendHex(p.b, b[off:end])
		p.b = append(p.b, '\n')
	}
}

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
