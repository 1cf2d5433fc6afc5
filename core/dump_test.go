package core_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// linkMessage builds a small RTM_NEWLINK: v0, index 2, MTU 1500, a MAC,
// IFLA_LINKINFO without NLA_F_NESTED, and an NLA_F_NESTED IFLA_AF_SPEC.
func linkMessage() core.Message {
	var e core.AttrEncoder
	ifi := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint16(ifi[2:], unix.ARPHRD_ETHER)
	binary.NativeEndian.PutUint32(ifi[4:], 2)
	binary.NativeEndian.PutUint32(ifi[8:], unix.IFF_UP|unix.IFF_BROADCAST)
	e.Raw(ifi)
	e.String(unix.IFLA_IFNAME, "v0")
	e.Uint32(unix.IFLA_MTU, 1500)
	e.HardwareAddr(unix.IFLA_ADDRESS, []byte{2, 0, 0, 0, 0, 1})
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	n = e.NestStart(unix.IFLA_AF_SPEC | core.AttrNested)
	m := e.NestStart(unix.AF_INET6 | core.AttrNested)
	e.Uint8(unix.IFLA_INET6_ADDR_GEN_MODE, 1)
	e.NestEnd(m)
	e.NestEnd(n)
	e.Uint16BE(99, 8080)
	e.Flag(100)
	return core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagMulti, Sequence: 7, PID: 4242},
		Data:   e.Bytes(),
	}
}

// linkNames names the attributes of linkMessage that have names.
func linkNames(t core.MessageType, path []uint16) string {
	if t != unix.RTM_NEWLINK {
		return ""
	}
	switch {
	case len(path) == 1 && path[0] == unix.IFLA_IFNAME:
		return "IFLA_IFNAME"
	case len(path) == 1 && path[0] == unix.IFLA_MTU:
		return "IFLA_MTU"
	case len(path) == 1 && path[0] == unix.IFLA_LINKINFO:
		return "IFLA_LINKINFO"
	case len(path) == 2 && path[0] == unix.IFLA_LINKINFO && path[1] == unix.IFLA_INFO_KIND:
		return "IFLA_INFO_KIND"
	case len(path) == 3 && path[0] == unix.IFLA_AF_SPEC && path[1] == unix.AF_INET6 && path[2] == unix.IFLA_INET6_ADDR_GEN_MODE:
		return "IFLA_INET6_ADDR_GEN_MODE"
	}
	return ""
}

// errCode is the kernel's int error field for errno e.
func errCode(e unix.Errno) uint32 { return uint32(-int32(e)) }

func format(t *testing.T, f *core.Formatter, m core.Message) (string, error) {
	t.Helper()
	var out strings.Builder
	err := f.Format(&out, m)
	return out.String(), err
}

func formatDatagram(t *testing.T, f *core.Formatter, b []byte) (string, error) {
	t.Helper()
	var out strings.Builder
	err := f.FormatDatagram(&out, b)
	return out.String(), err
}

func TestFormatLinkMessage(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE, AttrName: linkNames}
	got, err := format(t, f, linkMessage())
	require.NoError(t, err)
	require.Equal(t, `type=RTM_NEWLINK(16) len=104 flags=MULTI seq=7 port=4242
  ifinfomsg 00000100 02000000 03000000 00000000: family=unspec type=1 index=2 flags=0x3 change=0x0
  [3] IFLA_IFNAME len=3: 763000 "v0"
  [4] IFLA_MTU len=4: dc050000 u32=1500
  [1] len=6: 02000000 0001 hw=02:00:00:00:00:01
  [18] IFLA_LINKINFO len=12:
    [1] IFLA_INFO_KIND len=5: 76657468 00 "veth"
  [26|NESTED] len=12:
    [10|NESTED] len=8:
      [8] IFLA_INET6_ADDR_GEN_MODE len=1: 01 u8=1
  [99|NET_BYTEORDER] len=2: 1f90 u16be=8080
  [100] len=0
`, got)
}

// extAckError builds the kernel's answer to a refused RTM_NEWLINK: the
// error, the request echoed whole (or only its header when capped), then
// a message and an offset pointing at IFLA_INFO_KIND.
func extAckError(capped bool) (req, reply []byte) {
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "x0")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "nosuchkind")
	e.NestEnd(n)
	req = core.AppendMessage(nil, core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagRequest | core.FlagAck | core.FlagCreate | core.FlagExcl, Sequence: 9, PID: 4242},
		Data:   e.Bytes(),
	})
	data := binary.NativeEndian.AppendUint32(nil, errCode(unix.EOPNOTSUPP))
	flags := core.FlagAckTLVs
	if capped {
		data = append(data, req[:core.HeaderLen]...)
		flags |= core.FlagCapped
	} else {
		data = append(data, req...)
	}
	var tlv core.AttrEncoder
	tlv.String(unix.NLMSGERR_ATTR_MSG, "Unknown device type")
	tlv.Uint32(unix.NLMSGERR_ATTR_OFFS, 44)
	tlv.Uint32(6, 36) // NLMSGERR_ATTR_MISS_NEST: not summarised, printed as an attribute
	data = append(data, tlv.Bytes()...)
	reply = core.AppendMessage(nil, core.Message{
		Header: core.Header{Type: core.TypeError, Flags: flags, Sequence: 9, PID: 4242},
		Data:   data,
	})
	return req, reply
}

func TestFormatErrorWithExtAck(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE, AttrName: linkNames}
	_, reply := extAckError(false)
	got, err := formatDatagram(t, f, reply)
	require.NoError(t, err)
	require.Equal(t, `type=ERROR(2) len=120 flags=ACK_TLVS seq=9 port=4242
  error: -95 EOPNOTSUPP (operation not supported)
  ext-ack message: "Unknown device type"
  ext-ack offset: 44 (attribute 1, length 15)
  [6] NLMSGERR_ATTR_MISS_NEST len=4: 24000000 u32=36
  request:
    type=RTM_NEWLINK(16) len=60 flags=REQUEST|ACK|EXCL|CREATE seq=9 port=4242
      ifinfomsg 00000000 00000000 00000000 00000000: family=unspec type=0 index=0 flags=0x0 change=0x0
      [3] IFLA_IFNAME len=3: 783000 "x0"
      [18] IFLA_LINKINFO len=16:
        [1] IFLA_INFO_KIND len=11: 6e6f7375 63686b69 6e6400 "nosuchkind"
`, got)

	_, reply = extAckError(true)
	got, err = formatDatagram(t, f, reply)
	require.NoError(t, err)
	require.Equal(t, `type=ERROR(2) len=76 flags=CAPPED|ACK_TLVS seq=9 port=4242
  error: -95 EOPNOTSUPP (operation not supported)
  ext-ack message: "Unknown device type"
  ext-ack offset: 44
  [6] NLMSGERR_ATTR_MISS_NEST len=4: 24000000 u32=36
  request: type=RTM_NEWLINK(16) len=60 flags=REQUEST|ACK|EXCL|CREATE seq=9 port=4242
`, got)
}

func TestFormatAck(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE}
	req := core.AppendMessage(nil, core.Message{Header: core.Header{Type: unix.RTM_DELROUTE, Flags: core.FlagRequest | core.FlagAck | core.FlagNonRec, Sequence: 3, PID: 5}})
	var tlv core.AttrEncoder
	tlv.String(unix.NLMSGERR_ATTR_MSG, "a warning")
	data := append(make([]byte, 4), req...)
	got, err := format(t, f, core.Message{
		Header: core.Header{Type: core.TypeError, Flags: core.FlagCapped | core.FlagAckTLVs, Sequence: 3, PID: 5},
		Data:   append(data, tlv.Bytes()...),
	})
	require.NoError(t, err)
	require.Equal(t, `type=ERROR(2) len=52 flags=CAPPED|ACK_TLVS seq=3 port=5
  error: 0 (success)
  [1] NLMSGERR_ATTR_MSG len=10: 61207761 726e696e 6700 "a warning"
  request: type=RTM_DELROUTE(25) len=16 flags=REQUEST|ACK|NONREC seq=3 port=5
`, got)
}

func TestFormatDoneWithError(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE}
	var tlv core.AttrEncoder
	tlv.String(unix.NLMSGERR_ATTR_MSG, "Invalid values in header for FIB dump request")
	data := binary.NativeEndian.AppendUint32(nil, errCode(unix.EINVAL))
	got, err := format(t, f, core.Message{
		Header: core.Header{Type: core.TypeDone, Flags: core.FlagMulti | core.FlagAckTLVs, Sequence: 11, PID: 4242},
		Data:   append(data, tlv.Bytes()...),
	})
	require.NoError(t, err)
	require.Equal(t, `type=DONE(3) len=72 flags=MULTI|ACK_TLVS seq=11 port=4242
  error: -22 EINVAL (invalid argument)
  ext-ack message: "Invalid values in header for FIB dump request"
`, got)

	// A plain end of dump.
	got, err = format(t, f, core.Message{Header: core.Header{Type: core.TypeDone, Flags: core.FlagMulti, Sequence: 11}, Data: make([]byte, 4)})
	require.NoError(t, err)
	require.Equal(t, `type=DONE(3) len=20 flags=MULTI seq=11 port=0
  error: 0 (success)
`, got)
}

func TestFormatTruncated(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE, AttrName: linkNames}
	full := core.AppendMessage(nil, linkMessage())

	// A datagram cut inside its message.
	got, err := formatDatagram(t, f, full[:30])
	require.ErrorContains(t, err, "malformed netlink message length at offset 0")
	require.Equal(t, `malformed datagram: malformed netlink message length at offset 0: 30 bytes left, want 104
  0000: 68000000 10000200 07000000 92100000
  0010: 00000100 02000000 03000000 0000
`, got)

	// A message whose last attribute claims more than there is.
	m := linkMessage()
	m.Data = m.Data[:len(m.Data)-8]
	got, err = format(t, f, m)
	require.ErrorContains(t, err, "malformed attribute")
	require.Equal(t, `type=RTM_NEWLINK(16) len=96 flags=MULTI seq=7 port=4242
  ifinfomsg 00000100 02000000 03000000 00000000: family=unspec type=1 index=2 flags=0x3 change=0x0
  [3] IFLA_IFNAME len=3: 763000 "v0"
  [4] IFLA_MTU len=4: dc050000 u32=1500
  [1] len=6: 02000000 0001 hw=02:00:00:00:00:01
  [18] IFLA_LINKINFO len=12:
    [1] IFLA_INFO_KIND len=5: 76657468 00 "veth"
  [26|NESTED] len=12:
    [10|NESTED] len=8:
      [8] IFLA_INET6_ADDR_GEN_MODE len=1: 01 u8=1
  malformed attributes: malformed attribute 99 at offset 60: 4 bytes left, want 6
    0000: 06006340
`, got)

	// A family header cut short.
	got, err = format(t, f, core.Message{Header: core.Header{Type: unix.RTM_NEWROUTE}, Data: []byte{2, 24, 0, 0, 254}})
	require.ErrorContains(t, err, "rtmsg")
	require.Equal(t, `type=RTM_NEWROUTE(24) len=21 flags=0 seq=0 port=0
  rtmsg truncated: 5 bytes, want 12: 02180000 fe
`, got)

	// NLA_F_NESTED on a payload that is not attributes.
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.Binary(unix.IFLA_LINKINFO|core.AttrNested, []byte{9, 0, 1, 0, 0xaa})
	got, err = format(t, f, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: e.Bytes()})
	require.Error(t, err)
	require.Equal(t, `type=RTM_NEWLINK(16) len=44 flags=0 seq=0 port=0
  ifinfomsg 00000000 00000000 00000000 00000000: family=unspec type=0 index=0 flags=0x0 change=0x0
  [18|NESTED] IFLA_LINKINFO len=5: not attributes (malformed attribute 1 at offset 0: 5 bytes left, want 9): 09000100 aa
`, got)

	// An error message too short for its code.
	got, err = format(t, f, core.Message{Header: core.Header{Type: core.TypeError}, Data: []byte{1, 2}})
	require.Error(t, err)
	require.Equal(t, `type=ERROR(2) len=18 flags=0 seq=0 port=0
  error: malformed NLMSG_ERROR payload at offset 0: 2 bytes left, want 4: 0102
`, got)
}

func TestFormatDeepNesting(t *testing.T) {
	var e core.AttrEncoder
	e.Raw(make([]byte, 4))
	var nests []core.Nest
	for i := 0; i < 40; i++ {
		nests = append(nests, e.NestStart(1|core.AttrNested))
	}
	e.Uint32(2, 42)
	for i := len(nests) - 1; i >= 0; i-- {
		require.NoError(t, e.NestEnd(nests[i]))
	}
	f := &core.Formatter{Protocol: unix.NETLINK_GENERIC}
	got, err := format(t, f, core.Message{Header: core.Header{Type: 0x20}, Data: e.Bytes()})
	require.ErrorContains(t, err, "nested too deep")
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	require.Len(t, lines, 2+16, "header, genlmsghdr, 16 levels")
	require.Contains(t, lines[len(lines)-1], "[1|NESTED] len=")
	require.Contains(t, lines[len(lines)-1], ": nested too deep to print: ")
}

func TestFormatHooksAndProtocols(t *testing.T) {
	var e core.AttrEncoder
	e.Raw([]byte{3, 1, 0, 0})
	e.String(2, "nlctrl")
	e.Uint16(1, 16)
	msg := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL, Flags: core.FlagRequest, Sequence: 1}, Data: e.Bytes()}

	f := &core.Formatter{Protocol: unix.NETLINK_GENERIC}
	got, err := format(t, f, msg)
	require.NoError(t, err)
	require.Equal(t, `type=GENL_ID_CTRL(16) len=40 flags=REQUEST seq=1 port=0
  genlmsghdr 03010000: cmd=3 version=1
  [2] len=7: 6e6c6374 726c00 "nlctrl"
  [1] len=2: 1000 u16=16
`, got)

	f = &core.Formatter{
		Protocol:  unix.NETLINK_GENERIC,
		TypeName:  func(t core.MessageType) string { return map[core.MessageType]string{16: "nlctrl"}[t] },
		HeaderLen: func(t core.MessageType) int { return -1 },
		AttrName: func(t core.MessageType, path []uint16) string {
			return map[uint16]string{1: "CTRL_ATTR_FAMILY_ID", 2: "CTRL_ATTR_FAMILY_NAME"}[path[len(path)-1]]
		},
	}
	got, err = format(t, f, msg)
	require.NoError(t, err)
	require.Equal(t, `type=nlctrl(16) len=40 flags=REQUEST seq=1 port=0
  genlmsghdr 03010000: cmd=3 version=1
  [2] CTRL_ATTR_FAMILY_NAME len=7: 6e6c6374 726c00 "nlctrl"
  [1] CTRL_ATTR_FAMILY_ID len=2: 1000 u16=16
`, got)

	// A protocol whose headers are not known prints hex; HeaderLen can
	// say how long they are.
	f = &core.Formatter{Protocol: unix.NETLINK_SOCK_DIAG}
	got, err = format(t, f, msg)
	require.NoError(t, err)
	require.Equal(t, `type=16 len=40 flags=REQUEST seq=1 port=0
  payload 24 bytes (family header unknown):
    0000: 03010000 0b000200 6e6c6374 726c0000
    0010: 06000100 10000000
`, got)
	f.HeaderLen = func(core.MessageType) int { return 4 }
	got, err = format(t, f, msg)
	require.NoError(t, err)
	require.Equal(t, `type=16 len=40 flags=REQUEST seq=1 port=0
  family header 03010000
  [2] len=7: 6e6c6374 726c00 "nlctrl"
  [1] len=2: 1000 u16=16
`, got)
}

func TestFormatFlagsByMessageKind(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE}
	for _, c := range []struct {
		typ   core.MessageType
		flags core.HeaderFlags
		want  string
	}{
		{unix.RTM_GETROUTE, core.FlagRequest | core.FlagDump, "REQUEST|DUMP"},
		{unix.RTM_NEWROUTE, core.FlagRequest | core.FlagAck | core.FlagCreate | core.FlagReplace, "REQUEST|ACK|REPLACE|CREATE"},
		{unix.RTM_DELROUTE, core.FlagRequest | core.FlagNonRec | core.FlagBulk, "REQUEST|NONREC|BULK"},
		{unix.RTM_SETLINK, core.FlagRequest | core.FlagAck | core.FlagExcl, "REQUEST|ACK|EXCL"},
		{core.TypeError, core.FlagCapped | core.FlagAckTLVs, "CAPPED|ACK_TLVS"},
		{core.TypeDone, core.FlagMulti, "MULTI"},
	} {
		got, _ := format(t, f, core.Message{Header: core.Header{Type: c.typ, Flags: c.flags}})
		require.Contains(t, got, " flags="+c.want+" seq=", "type %d", c.typ)
	}
}

func TestTrace(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE}
	b := core.AppendMessage(nil, core.Message{Header: core.Header{Type: unix.RTM_GETLINK, Flags: core.FlagRequest | core.FlagDump, Sequence: 1}, Data: make([]byte, unix.SizeofIfInfomsg)})
	b = core.AppendMessage(b, core.Message{Header: core.Header{Type: core.TypeDone, Flags: core.FlagMulti, Sequence: 1}, Data: make([]byte, 4)})
	var out strings.Builder
	f.Trace(&out, "send", b)
	require.Equal(t, `send: 52 bytes, 2 messages
type=RTM_GETLINK(18) len=32 flags=REQUEST|DUMP seq=1 port=0
  ifinfomsg 00000000 00000000 00000000 00000000: family=unspec type=0 index=0 flags=0x0 change=0x0
type=DONE(3) len=20 flags=MULTI seq=1 port=0
  error: 0 (success)
`, out.String())

	out.Reset()
	f.Trace(&out, "recv", b[:20])
	require.Equal(t, `recv: 20 bytes, 0 messages
malformed datagram: malformed netlink message length at offset 0: 20 bytes left, want 32
  0000: 20000000 12000103 01000000 00000000
  0010: 00000000
`, out.String())
}
