package decode

import (
	"encoding/binary"
	"encoding/hex"
	"net"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// maxDepth caps how deep the tree follows nested attributes; deeper ones
// are left as hex.
const maxDepth = 16

// Message is one netlink message decoded for encoding/json: the header, the
// family header when known, and the attribute tree.
type Message struct {
	Type     string `json:"type"`
	TypeCode uint16 `json:"type_code"`
	Flags    string `json:"flags"`
	Seq      uint32 `json:"seq"`
	Port     uint32 `json:"port"`
	// Header is the decoded family header (LinkHeader, AddrHeader,
	// RouteHeader), nil when the type is not known.
	Header any `json:"header,omitempty"`
	// Attrs is the attribute tree.
	Attrs []Attr `json:"attrs,omitempty"`
	// Hex is the payload of a message whose layout is not known.
	Hex string `json:"hex,omitempty"`
	// Error says what could not be parsed, if anything.
	Error string `json:"error,omitempty"`
}

// Attr is one attribute of the tree. Value holds what it reads as (a
// number, a string, an address, a list of numbers); Hex holds a payload
// that has no known reading; Attrs holds nested attributes.
type Attr struct {
	Type  uint16 `json:"type"`
	Name  string `json:"name,omitempty"`
	Value any    `json:"value,omitempty"`
	Hex   string `json:"hex,omitempty"`
	Attrs []Attr `json:"attrs,omitempty"`
	Error string `json:"error,omitempty"`
}

// Decode turns m, a message of protocol, into a tree. It never fails: what
// it cannot read is kept as hex with the reason in Error.
func Decode(protocol int, m core.Message) Message {
	h := m.Header
	out := Message{
		Type:     MessageTypeName(protocol, h.Type),
		TypeCode: uint16(h.Type),
		Flags:    flagsString(protocol, h),
		Seq:      h.Sequence,
		Port:     h.PID,
	}
	var o *routeObject
	if protocol == unix.NETLINK_ROUTE {
		o = routeObjectOf(h.Type)
	}
	if o == nil {
		if len(m.Data) > 0 {
			out.Hex = hex.EncodeToString(m.Data)
		}
		return out
	}
	if len(m.Data) < o.hdrLen {
		out.Hex = hex.EncodeToString(m.Data)
		out.Error = (&core.ParseError{What: "family header", Offset: core.HeaderLen, Len: len(m.Data), Want: o.hdrLen}).Error()
		return out
	}
	out.Header = o.header(m.Data[:o.hdrLen])
	start := min(core.Align(o.hdrLen), len(m.Data))
	attrs, err := walk(m.Data[start:], o.attrs, 0)
	out.Attrs = attrs
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// flagsString names the header flags with the meaning the message type
// gives bits 8 and up.
func flagsString(protocol int, h core.Header) string {
	isAck := h.Type == core.TypeError || h.Type == core.TypeDone
	isNew := protocol == unix.NETLINK_ROUTE && h.Type >= unix.RTM_BASE &&
		((h.Type-unix.RTM_BASE)%4 == 0 || h.Type == unix.RTM_SETLINK)
	return core.FlagsString(h.Flags, isNew, isAck)
}

// walk decodes the attribute stream b named by tbl. The attributes read
// before a malformed one are returned with the error.
func walk(b []byte, tbl table, depth int) ([]Attr, error) {
	var out []Attr
	s := core.ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		sp, known := tbl.lookup(a.Type)
		if sp.kind == kindLinkData {
			sp.sub = kindDataAttrs(siblingString(b, kindAttrFor(a.Type)))
		}
		out = append(out, decodeAttr(a, sp, known, depth))
	}
	if err := s.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// kindAttrFor is the IFLA_INFO_* attribute that names the kind of data
// attribute t.
func kindAttrFor(t uint16) uint16 {
	if t == unix.IFLA_INFO_SLAVE_DATA {
		return unix.IFLA_INFO_SLAVE_KIND
	}
	return unix.IFLA_INFO_KIND
}

// siblingString reads the string attribute typ from the stream b.
func siblingString(b []byte, typ uint16) string {
	s := core.ScanAttrs(b)
	for s.Next() {
		if s.Type() == typ {
			return s.String()
		}
	}
	return ""
}

func decodeAttr(a core.Attr, sp spec, known bool, depth int) Attr {
	out := Attr{Type: a.Type, Name: sp.name}
	k := sp.kind
	if !known && a.Nested() {
		k = kindNested
	}
	var err error
	switch k {
	case kindU8:
		out.Value, err = a.Uint8()
	case kindU16:
		out.Value, err = a.Uint16()
	case kindU32:
		out.Value, err = a.Uint32()
	case kindU64:
		out.Value, err = a.Uint64()
	case kindUint:
		out.Value, err = a.Uint()
	case kindS32:
		out.Value, err = a.Int32()
	case kindBE16:
		if len(a.Data) == 2 {
			out.Value = binary.BigEndian.Uint16(a.Data)
		} else {
			err = &core.AttrError{Type: a.Type, Kind: "be16", Len: len(a.Data), Want: 2}
		}
	case kindString:
		out.Value = a.String()
	case kindAddr:
		var ip any
		if addr, aerr := a.Addr(); aerr == nil {
			ip = addr.String()
		} else {
			err = aerr
		}
		out.Value = ip
	case kindHW:
		out.Value = net.HardwareAddr(a.Data).String()
	case kindFlag:
		var v bool
		v, err = a.Flag()
		out.Value = v
	case kindU32Array:
		out.Value, err = u32s(a)
	case kindU64Array:
		out.Value, err = u64s(a)
	case kindLinkMsg:
		if len(a.Data) < unix.SizeofIfInfomsg {
			err = &core.AttrError{Type: a.Type, Kind: "ifinfomsg", Len: len(a.Data), Want: unix.SizeofIfInfomsg}
			break
		}
		out.Value = linkHeader(a.Data[:unix.SizeofIfInfomsg])
		if depth+1 < maxDepth {
			out.Attrs, err = walk(a.Data[unix.SizeofIfInfomsg:], linkAttrs, depth+1)
		}
	case kindNested, kindLinkData:
		if depth+1 >= maxDepth {
			out.Hex = hex.EncodeToString(a.Data)
			out.Error = "nested too deep"
			return out
		}
		out.Attrs, err = walk(a.Data, sp.sub, depth+1)
	default:
		if len(a.Data) > 0 {
			out.Hex = hex.EncodeToString(a.Data)
		}
	}
	if err != nil {
		out.Value, out.Attrs = nil, nil
		out.Hex = hex.EncodeToString(a.Data)
		out.Error = err.Error()
	}
	return out
}

// u32s reads a packed array of host-order u32.
func u32s(a core.Attr) ([]uint32, error) {
	if len(a.Data)%4 != 0 {
		return nil, &core.AttrError{Type: a.Type, Kind: "u32 array", Len: len(a.Data), Want: -1, Detail: "not a multiple of 4"}
	}
	v := make([]uint32, len(a.Data)/4)
	for i := range v {
		v[i] = binary.NativeEndian.Uint32(a.Data[4*i:])
	}
	return v, nil
}

// u64s reads a packed array of host-order u64.
func u64s(a core.Attr) ([]uint64, error) {
	if len(a.Data)%8 != 0 {
		return nil, &core.AttrError{Type: a.Type, Kind: "u64 array", Len: len(a.Data), Want: -1, Detail: "not a multiple of 8"}
	}
	v := make([]uint64, len(a.Data)/8)
	for i := range v {
		v[i] = binary.NativeEndian.Uint64(a.Data[8*i:])
	}
	return v, nil
}

// Find returns the first top-level attribute called name, or nil.
func (m *Message) Find(name string) *Attr { return find(m.Attrs, name) }

// Find returns the first attribute called name nested in a, or nil.
func (a *Attr) Find(name string) *Attr { return find(a.Attrs, name) }

func find(attrs []Attr, name string) *Attr {
	for i := range attrs {
		if attrs[i].Name == name {
			return &attrs[i]
		}
	}
	return nil
}
