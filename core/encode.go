package core

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// AttrEncoder appends attributes to a buffer it owns and reuses: after Reset
// it allocates nothing once the buffer has grown to the size of the message.
// The zero value is ready to use.
//
//	var e core.AttrEncoder
//	e.Uint32(unix.IFLA_MTU, 1400)
//	n := e.NestStart(unix.IFLA_LINKINFO)
//	e.String(unix.IFLA_INFO_KIND, "veth")
//	e.NestEnd(n)
//	payload := e.Bytes()
type AttrEncoder struct {
	b []byte
}

// Nest marks an open nested attribute; pass it to NestEnd or NestCancel.
type Nest int

// Reset empties the encoder, keeping its buffer.
func (e *AttrEncoder) Reset() { e.b = e.b[:0] }

// Bytes returns what has been encoded. It aliases the encoder's buffer.
func (e *AttrEncoder) Bytes() []byte { return e.b }

// Len is the number of bytes encoded so far.
func (e *AttrEncoder) Len() int { return len(e.b) }

// Raw appends b as is, unpadded: use it for a family's fixed header
// (ifinfomsg, rtmsg, genlmsghdr, ...) before the attributes.
func (e *AttrEncoder) Raw(b []byte) { e.b = append(e.b, b...) }

func (e *AttrEncoder) header(typ uint16, n int) {
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(AttrHeaderLen+n))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
}

func (e *AttrEncoder) pad() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

// Binary appends an attribute with payload v (NLA_BINARY).
func (e *AttrEncoder) Binary(typ uint16, v []byte) {
	e.header(typ, len(v))
	e.b = append(e.b, v...)
	e.pad()
}

// Flag appends an empty attribute (NLA_FLAG).
func (e *AttrEncoder) Flag(typ uint16) { e.header(typ, 0) }

// Uint8 appends a u8.
func (e *AttrEncoder) Uint8(typ uint16, v uint8) {
	e.header(typ, 1)
	e.b = append(e.b, v, 0, 0, 0)
}

// Uint16 appends a u16 in host order.
func (e *AttrEncoder) Uint16(typ uint16, v uint16) {
	e.header(typ, 2)
	e.b = binary.NativeEndian.AppendUint16(e.b, v)
	e.b = append(e.b, 0, 0)
}

// Uint32 appends a u32 in host order.
func (e *AttrEncoder) Uint32(typ uint16, v uint32) {
	e.header(typ, 4)
	e.b = binary.NativeEndian.AppendUint32(e.b, v)
}

// Uint64 appends a u64 in host order.
func (e *AttrEncoder) Uint64(typ uint16, v uint64) {
	e.header(typ, 8)
	e.b = binary.NativeEndian.AppendUint64(e.b, v)
}

// Uint16BE appends a u16 in network order with NLA_F_NET_BYTEORDER set.
func (e *AttrEncoder) Uint16BE(typ uint16, v uint16) {
	e.header(typ|AttrNetByteOrder, 2)
	e.b = binary.BigEndian.AppendUint16(e.b, v)
	e.b = append(e.b, 0, 0)
}

// Uint32BE appends a u32 in network order with NLA_F_NET_BYTEORDER set.
func (e *AttrEncoder) Uint32BE(typ uint16, v uint32) {
	e.header(typ|AttrNetByteOrder, 4)
	e.b = binary.BigEndian.AppendUint32(e.b, v)
}

// Uint64BE appends a u64 in network order with NLA_F_NET_BYTEORDER set.
func (e *AttrEncoder) Uint64BE(typ uint16, v uint64) {
	e.header(typ|AttrNetByteOrder, 8)
	e.b = binary.BigEndian.AppendUint64(e.b, v)
}

// Int8 appends an s8.
func (e *AttrEncoder) Int8(typ uint16, v int8) { e.Uint8(typ, uint8(v)) }

// Int16 appends an s16.
func (e *AttrEncoder) Int16(typ uint16, v int16) { e.Uint16(typ, uint16(v)) }

// Int32 appends an s32.
func (e *AttrEncoder) Int32(typ uint16, v int32) { e.Uint32(typ, uint32(v)) }

// Int64 appends an s64.
func (e *AttrEncoder) Int64(typ uint16, v int64) { e.Uint64(typ, uint64(v)) }

// Uint appends a variable-width NLA_UINT: 4 bytes when v fits, else 8.
func (e *AttrEncoder) Uint(typ uint16, v uint64) {
	if v <= 0xffffffff {
		e.Uint32(typ, uint32(v))
		return
	}
	e.Uint64(typ, v)
}

// Int appends a variable-width NLA_SINT: 4 bytes when v fits, else 8.
func (e *AttrEncoder) Int(typ uint16, v int64) {
	if v >= -1<<31 && v < 1<<31 {
		e.Int32(typ, int32(v))
		return
	}
	e.Int64(typ, v)
}

// String appends a NUL-terminated string.
func (e *AttrEncoder) String(typ uint16, v string) {
	e.header(typ, len(v)+1)
	e.b = append(e.b, v...)
	e.b = append(e.b, 0)
	e.pad()
}

// Addr appends an IPv4 (4 bytes) or IPv6 (16 bytes) address. An IPv4-mapped
// IPv6 address is written as 16 bytes; unmap it first for 4.
func (e *AttrEncoder) Addr(typ uint16, a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		e.Binary(typ, v[:])
		return
	}
	v := a.As16()
	e.Binary(typ, v[:])
}

// HardwareAddr appends a link-layer address.
func (e *AttrEncoder) HardwareAddr(typ uint16, a net.HardwareAddr) { e.Binary(typ, a) }

// NestStart opens a nested attribute of type typ (NLA_F_NESTED is not set:
// pass typ|core.AttrNested where the family wants it).
func (e *AttrEncoder) NestStart(typ uint16) Nest {
	n := Nest(len(e.b))
	e.header(typ, 0)
	return n
}

// NestEnd closes the nest n, writing its length. A nest longer than 65535
// bytes cannot be encoded; NestEnd then returns an error and cancels it.
func (e *AttrEncoder) NestEnd(n Nest) error {
	l := len(e.b) - int(n)
	if l > 0xffff {
		e.NestCancel(n)
		return &AttrError{Type: binary.NativeEndian.Uint16(e.b[n+2:]) & attrTypeMask, Kind: "nest", Len: l, Want: -1, Detail: "longer than 65535 bytes"}
	}
	binary.NativeEndian.PutUint16(e.b[n:], uint16(l))
	return nil
}

// NestCancel drops the nest n and everything appended since NestStart.
func (e *AttrEncoder) NestCancel(n Nest) { e.b = e.b[:n] }
