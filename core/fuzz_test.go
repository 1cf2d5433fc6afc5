package core_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Fuzz targets for the decoders. Their seeds are every message captured
// in ../testdata and hand-built edge cases, so `go test` runs them all;
// `go test -run '^$' -fuzz '^FuzzAttrScanner$'` explores further.

// exact returns b with its capacity cut to its length, so that reading a
// byte past the input panics instead of passing unnoticed.
func exact(b []byte) []byte { return b[:len(b):len(b)] }

// attrBytes encodes attributes with raw headers, for edge cases.
func attrBytes(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func rawAttr(length, typ uint16, payload ...byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, length)
	b = binary.NativeEndian.AppendUint16(b, typ)
	return append(b, payload...)
}

func rawHeader(length uint32, typ core.MessageType, flags core.HeaderFlags) []byte {
	b := binary.NativeEndian.AppendUint32(nil, length)
	b = binary.NativeEndian.AppendUint16(b, uint16(typ))
	b = binary.NativeEndian.AppendUint16(b, uint16(flags))
	return append(b, make([]byte, 8)...)
}

// attrEdgeCases are attribute streams that end or nest in awkward ways.
func attrEdgeCases() [][]byte {
	var nested core.AttrEncoder
	n := nested.NestStart(1 | core.AttrNested)
	nested.Uint32(2, 7)
	m := nested.NestStart(3)
	nested.String(4, "x")
	nested.NestEnd(m)
	nested.NestEnd(n)
	deep := []byte{}
	for i := 0; i < 30; i++ {
		deep = append(rawAttr(uint16(len(deep)+4), 1|core.AttrNested), deep...)
	}
	return [][]byte{
		nil,
		{0},
		{4, 0},
		{4, 0, 1},
		rawAttr(0, 1),
		rawAttr(3, 1),
		rawAttr(4, 1),
		rawAttr(5, 1, 0xff),
		rawAttr(6, 1, 0xff),
		rawAttr(0xffff, 1, 1, 2, 3, 4),
		rawAttr(8, 1|core.AttrNetByteOrder, 0, 0, 0, 7),
		rawAttr(12, 1|core.AttrNetByteOrder, 1, 2, 3, 4, 5, 6, 7, 8),
		rawAttr(8, 1|core.AttrNested, 4, 0, 0, 0),
		rawAttr(9, 5, 'a', 0, 'b', 0, 0),
		attrBytes(rawAttr(5, 1, 'x'), rawAttr(4, 2)),
		attrBytes(rawAttr(5, 1, 'x', 0, 0, 0), rawAttr(2, 2)),
		attrBytes(rawAttr(20, 6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)),
		nested.Bytes(),
		deep,
	}
}

// messageEdgeCases are datagrams whose headers lie about their lengths.
func messageEdgeCases() [][]byte {
	ok := core.AppendMessage(nil, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagMulti}, Data: make([]byte, 16)})
	return [][]byte{
		nil,
		make([]byte, 15),
		rawHeader(0, 16, 0),
		rawHeader(15, 16, 0),
		rawHeader(16, 16, 0),
		rawHeader(17, 16, 0),
		append(rawHeader(17, 16, 0), 1),
		rawHeader(0xffffffff, 16, 0),
		append(bytes.Clone(ok), ok...),
		append(bytes.Clone(ok), 1, 2, 3),
		append(rawHeader(18, 16, 0), 1, 2, 0, 0, 0xff),
	}
}

// errorEdgeCases are NLMSG_ERROR payloads: a code, an echoed request,
// extended-ACK attributes, each possibly cut short or lying.
func errorEdgeCases() [][]byte {
	code := func(e int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(e)) }
	req := rawHeader(24, unix.RTM_NEWLINK, core.FlagRequest|core.FlagAck)
	req = append(req, 8, 0, 3, 0, 'a', 'b', 'c', 0)
	var tlv core.AttrEncoder
	tlv.String(unix.NLMSGERR_ATTR_MSG, "bad")
	tlv.Uint32(unix.NLMSGERR_ATTR_OFFS, 16)
	tlv.Uint32(unix.NLMSGERR_ATTR_OFFS, 0xfffffff0)
	tlv.Binary(unix.NLMSGERR_ATTR_COOKIE, []byte{1, 2, 3})
	tlv.Uint32(5, 3)
	tlv.Uint16(5, 3)
	return [][]byte{
		nil,
		{1, 2, 3},
		code(0),
		code(-22),
		code(22),
		code(-2147483648),
		attrBytes(code(-1), req[:10]),
		attrBytes(code(-1), req),
		attrBytes(code(-1), req, tlv.Bytes()),
		attrBytes(code(-1), req[:16], tlv.Bytes()),
		attrBytes(code(0), req[:16], tlv.Bytes()),
		attrBytes(code(-1), rawHeader(0xffff, 16, 0), tlv.Bytes()),
		attrBytes(code(-1), rawHeader(3, 16, 0), tlv.Bytes()),
		attrBytes(code(-1), req[:16], rawAttr(40, 1, 'x')),
	}
}

func FuzzMessageScanner(f *testing.F) {
	for _, m := range testdataMessages(f) {
		f.Add(m)
	}
	var all []byte
	for _, m := range testdataMessages(f) {
		all = append(all, m...)
	}
	f.Add(all)
	for _, m := range messageEdgeCases() {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = exact(data)
		s := core.ScanMessages(data)
		off, n := 0, 0
		for s.Next() {
			m := s.Message()
			n++
			require.LessOrEqual(t, n, len(data)/core.HeaderLen, "more messages than headers fit")
			h := m.Header
			require.GreaterOrEqual(t, int(h.Length), core.HeaderLen)
			require.LessOrEqual(t, off+int(h.Length), len(data))
			require.Equal(t, int(h.Length)-core.HeaderLen, len(m.Data))
			require.Equal(t, data[off+core.HeaderLen:off+int(h.Length)], m.Data, "payload is where the header says")
			want, err := core.ParseHeader(data[off:])
			require.NoError(t, err)
			require.Equal(t, want, h)
			// Re-encoding gives the same bytes (AppendMessage pads).
			enc := core.AppendMessage(nil, m)
			require.Equal(t, data[off:off+int(h.Length)], enc[:h.Length])
			off = min(off+core.Align(int(h.Length)), len(data))
		}
		if s.Err() == nil {
			require.Equal(t, len(data), off, "a scan without error used every byte")
		}
		msgs, err := core.ParseMessages(data)
		require.Equal(t, s.Err(), err)
		require.Len(t, msgs, n)
	})
}

// checkAttrs walks b with an AttrScanner, comparing each attribute with
// where its header says it is, calling every getter, and following nests.
func checkAttrs(t *testing.T, b []byte, depth int) {
	b = exact(b)
	s := core.ScanAttrs(b)
	off, n := 0, 0
	for s.Next() {
		a := s.Attr()
		n++
		require.LessOrEqual(t, n, len(b)/core.AttrHeaderLen)
		l := int(binary.NativeEndian.Uint16(b[off:]))
		typ := binary.NativeEndian.Uint16(b[off+2:])
		require.GreaterOrEqual(t, l, core.AttrHeaderLen)
		require.LessOrEqual(t, off+l, len(b))
		require.Equal(t, b[off+core.AttrHeaderLen:off+l], a.Data)
		require.Equal(t, typ&^(core.AttrNested|core.AttrNetByteOrder), a.Type)
		require.Equal(t, typ&(core.AttrNested|core.AttrNetByteOrder), a.Flags)
		require.Equal(t, a.Type, s.Type())
		require.Equal(t, a.Data, s.Bytes())
		checkGetters(t, a)
		if depth < 20 {
			checkAttrs(t, a.Data, depth+1)
			// NestedArray sees the same elements as a nested scan.
			var idx []uint16
			inner := s
			inner.NestedArray(func(i uint16, _ core.Attr) error { idx = append(idx, i); return nil })
			ns := s.Nested()
			var want []uint16
			for ns.Next() {
				want = append(want, ns.Type())
			}
			require.Equal(t, want, idx)
			require.Equal(t, ns.Err() == nil, inner.Err() == nil)
		}
		off += core.Align(l)
		require.Equal(t, off, s.Offset())
	}
	if s.Err() == nil {
		require.GreaterOrEqual(t, off, len(b))
	} else {
		require.Less(t, off, len(b))
	}
	attrs, err := core.ParseAttrs(b)
	require.Equal(t, s.Err(), err)
	require.Len(t, attrs, n)
}

// checkGetters calls every typed getter, on the attribute and through a
// scanner positioned on it, and checks each length rule.
func checkGetters(t *testing.T, a core.Attr) {
	n := len(a.Data)
	lenOK := func(err error, ok bool) {
		t.Helper()
		if ok {
			require.NoError(t, err)
		} else {
			var ae *core.AttrError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, a.Type, ae.Type)
			require.NotEmpty(t, ae.Error())
		}
	}
	_, err := a.Uint8()
	lenOK(err, n == 1)
	_, err = a.Uint16()
	lenOK(err, n == 2)
	v32, err := a.Uint32()
	lenOK(err, n == 4)
	if err == nil {
		order := binary.ByteOrder(binary.NativeEndian)
		if a.NetByteOrder() {
			order = binary.BigEndian
		}
		require.Equal(t, order.Uint32(a.Data), v32)
	}
	_, err = a.Uint64()
	lenOK(err, n == 8)
	_, err = a.Int8()
	lenOK(err, n == 1)
	_, err = a.Int16()
	lenOK(err, n == 2)
	_, err = a.Int32()
	lenOK(err, n == 4)
	_, err = a.Int64()
	lenOK(err, n == 8)
	_, err = a.Uint()
	lenOK(err, n == 1 || n == 2 || n == 4 || n == 8)
	_, err = a.Int()
	lenOK(err, n == 1 || n == 2 || n == 4 || n == 8)
	_, err = a.Flag()
	lenOK(err, n == 0)
	addr, err := a.Addr()
	lenOK(err, n == 4 || n == 16)
	if err == nil {
		require.Equal(t, n, addr.BitLen()/8)
	}
	str := a.String()
	require.NotContains(t, str, "\x00")
	require.True(t, bytes.HasPrefix(a.Data, []byte(str)))
	require.Equal(t, str, string(a.StringBytes()))
	if ns, err := a.NulString(); err == nil {
		require.Equal(t, str, ns)
		require.Equal(t, n, len(ns)+1)
	}
	require.Equal(t, a.Data, a.Bytes())
	require.True(t, bytes.Equal(a.HardwareAddr(), a.Data))

	// The scanner's getters record the same errors.
	one := encodeAttr(a)
	for _, get := range []func(*core.AttrScanner){
		func(s *core.AttrScanner) { s.Uint8() }, func(s *core.AttrScanner) { s.Uint16() },
		func(s *core.AttrScanner) { s.Uint32() }, func(s *core.AttrScanner) { s.Uint64() },
		func(s *core.AttrScanner) { s.Int8() }, func(s *core.AttrScanner) { s.Int16() },
		func(s *core.AttrScanner) { s.Int32() }, func(s *core.AttrScanner) { s.Int64() },
		func(s *core.AttrScanner) { s.Uint() }, func(s *core.AttrScanner) { s.Int() },
		func(s *core.AttrScanner) { s.Flag() }, func(s *core.AttrScanner) { s.Addr() },
		func(s *core.AttrScanner) { _ = s.String() }, func(s *core.AttrScanner) { s.HardwareAddr() },
	} {
		s := core.ScanAttrs(one)
		require.True(t, s.Next())
		get(&s)
		if s.Err() != nil {
			require.False(t, s.Next(), "a getter's error ends the scan")
		}
	}
}

// encodeAttr encodes a alone, with its flags.
func encodeAttr(a core.Attr) []byte {
	var e core.AttrEncoder
	e.Binary(a.Type|a.Flags, a.Data)
	return exact(e.Bytes())
}

func FuzzAttrScanner(f *testing.F) {
	for _, m := range testdataMessages(f) {
		// The payload after the netlink header and after each family
		// header size in the captures.
		for _, skip := range []int{0, 4, 8, 12, 16} {
			if core.HeaderLen+skip <= len(m) {
				f.Add(m[core.HeaderLen+skip:])
			}
		}
	}
	for _, b := range attrEdgeCases() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAttrs(t, data, 0)
	})
}

func FuzzParseErrorMessage(f *testing.F) {
	for _, m := range testdataMessages(f) {
		s := core.ScanMessages(m)
		for s.Next() {
			msg := s.Message()
			req := []byte(nil)
			if msg.Header.Type == core.TypeError && len(msg.Data) >= 4+core.HeaderLen {
				req = msg.Data[4:]
			}
			f.Add(uint16(msg.Header.Flags), msg.Data, req)
		}
	}
	for _, b := range errorEdgeCases() {
		for _, flags := range []core.HeaderFlags{0, core.FlagAckTLVs, core.FlagAckTLVs | core.FlagCapped} {
			f.Add(uint16(flags), b, []byte(nil))
			if len(b) > 4 {
				f.Add(uint16(flags), b, b[4:])
			}
		}
	}
	f.Fuzz(func(t *testing.T, flags uint16, data, req []byte) {
		data, req = exact(data), exact(req)
		h := core.Header{Type: core.TypeError, Flags: core.HeaderFlags(flags), Length: uint32(core.HeaderLen + len(data))}
		e, err := core.ParseErrorMessage(h, data, req)
		if len(data) < 4 {
			require.Error(t, err)
			require.Nil(t, e)
			return
		}
		require.NoError(t, err)
		code := int32(binary.NativeEndian.Uint32(data))
		if code == 0 {
			require.Nil(t, e, "error 0 is an ACK")
			return
		}
		require.NotNil(t, e)
		require.NotZero(t, e.Errno)
		require.NotEmpty(t, e.Error())
		if len(data) >= 4+core.HeaderLen {
			want, _ := core.ParseHeader(data[4:])
			require.Equal(t, want, e.Request)
		}
		if core.HeaderFlags(flags)&core.FlagAckTLVs == 0 {
			require.Empty(t, e.Message)
			require.False(t, e.HasOffset)
		}
	})
}

func FuzzFormatter(f *testing.F) {
	for _, m := range testdataMessages(f) {
		f.Add(uint8(unix.NETLINK_ROUTE), m)
	}
	for _, m := range messageEdgeCases() {
		f.Add(uint8(unix.NETLINK_ROUTE), m)
	}
	for _, b := range attrEdgeCases() {
		for _, proto := range []uint8{unix.NETLINK_ROUTE, unix.NETLINK_GENERIC, unix.NETLINK_NETFILTER, unix.NETLINK_SOCK_DIAG} {
			m := core.AppendMessage(nil, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: append(make([]byte, 16), b...)})
			f.Add(proto, m)
		}
	}
	for _, b := range errorEdgeCases() {
		for _, typ := range []core.MessageType{core.TypeError, core.TypeDone} {
			for _, flags := range []core.HeaderFlags{0, core.FlagAckTLVs, core.FlagAckTLVs | core.FlagCapped} {
				f.Add(uint8(unix.NETLINK_ROUTE), core.AppendMessage(nil, core.Message{Header: core.Header{Type: typ, Flags: flags}, Data: b}))
			}
		}
	}
	f.Fuzz(func(t *testing.T, proto uint8, data []byte) {
		data = exact(data)
		deepest := 0
		fm := &core.Formatter{
			Protocol: int(proto),
			AttrName: func(_ core.MessageType, path []uint16) string {
				deepest = max(deepest, len(path))
				if len(path) == 2 {
					return "NAME"
				}
				return ""
			},
		}
		var out strings.Builder
		err := fm.FormatDatagram(&out, data)
		s := core.ScanMessages(data)
		for s.Next() {
		}
		if s.Err() != nil {
			require.Error(t, err, "a malformed datagram is reported")
		}
		require.LessOrEqual(t, deepest, 16, "nesting is capped")
		// Each payload byte is printed a bounded number of times.
		require.Less(t, out.Len(), 4096+2000*len(data))
		require.True(t, len(data) == 0 || out.Len() > 0)

		// The payload alone as a message of each kind.
		for _, typ := range []core.MessageType{core.TypeError, core.TypeDone, unix.RTM_NEWLINK, unix.RTM_NEWROUTE, 0x123} {
			_ = fm.Format(io.Discard, core.Message{Header: core.Header{Type: typ, Flags: core.FlagAckTLVs}, Data: data})
		}
		var tr bytes.Buffer
		fm.Trace(&tr, "recv", data)
		require.True(t, strings.HasPrefix(tr.String(), "recv: "))
	})
}
