package core

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// How the Formatter prints attribute payloads: plausible readings and hex.

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
