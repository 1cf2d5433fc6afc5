package core

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// DescribeOffset names what starts at byte off of the encoded request msg
// (netlink header included), the way an extended-ACK offset points into a
// request: the path of attribute types from the outermost, named through
// AttrName where it gives a name, e.g. "IFLA_LINKINFO > IFLA_INFO_DATA > 1
// (length 6)". It returns "" when off does not start an attribute.
func (f *Formatter) DescribeOffset(msg []byte, off int) string {
	h, err := ParseHeader(msg)
	if err != nil || off < HeaderLen || off+AttrHeaderLen > len(msg) {
		return ""
	}
	end := len(msg)
	if int(h.Length) >= HeaderLen && int(h.Length) < end {
		end = int(h.Length)
	}
	p := dumper{f: f}
	hl, _ := p.familyHeader(h.Type)
	if hl < 0 {
		return describeAttrAt(msg, off)
	}
	pos := HeaderLen + Align(hl)
	if off < pos {
		return "family header, byte " + strconv.Itoa(off-HeaderLen)
	}
	var path []uint16
	for pos+AttrHeaderLen <= end {
		l := int(binary.NativeEndian.Uint16(msg[pos:]))
		t := binary.NativeEndian.Uint16(msg[pos+2:]) & attrTypeMask
		if l < AttrHeaderLen || pos+l > end {
			return ""
		}
		switch {
		case off == pos:
			path = append(path, t)
			return p.pathName(h.Type, path) + " (length " + strconv.Itoa(l-AttrHeaderLen) + ")"
		case off < pos+AttrHeaderLen:
			return ""
		case off < pos+l:
			// Inside this attribute's payload: it is a nest.
			path = append(path, t)
			end = pos + l
			pos += AttrHeaderLen
		default:
			pos += Align(l)
		}
	}
	return ""
}

// pathName prints path with each level named where the Formatter can.
func (p *dumper) pathName(t MessageType, path []uint16) string {
	parts := make([]string, len(path))
	for i := range path {
		p.path = path[:i+1]
		if n := p.attrName(t, nil); n != "" {
			parts[i] = n
		} else {
			parts[i] = strconv.Itoa(int(path[i]))
		}
	}
	return strings.Join(parts, " > ")
}
