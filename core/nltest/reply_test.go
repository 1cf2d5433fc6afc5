package nltest_test

import (
	"encoding/binary"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The expected bytes below are written out field by field from the kernel's
// layouts (include/uapi/linux/netlink.h, net/netlink/af_netlink.c:
// netlink_ack, netlink_dump_done), not with nltest's builders.

func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func nlmsghdr(length uint32, typ, flags uint16, seq, port uint32) []byte {
	return cat(u32(length), u16(typ), u16(flags), u32(seq), u32(port))
}

// testRequest is RTM_NEWLINK with a 16-byte ifinfomsg and IFLA_IFNAME
// "eth9" (nla_len 9, padded to 12): 44 bytes.
func testRequest(port uint32) []byte {
	return cat(
		nlmsghdr(44, unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE, 77, port),
		make([]byte, 16),
		u16(9), u16(unix.IFLA_IFNAME), []byte("eth9\x00\x00\x00\x00"),
	)
}

// exchange sends testRequest from a socket made with cfg to a kernel whose
// RTM_NEWLINK handler is h, and returns the datagrams that came back.
func exchange(t *testing.T, cfg *core.Config, h nltest.HandlerFunc) (port uint32, got [][]byte) {
	t.Helper()
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_NEWLINK, h)
	s := socket(t, k, cfg)
	require.NoError(t, s.Send(testRequest(s.PortID()), 0, 0))
	for s.Queued() > 0 {
		buf := make([]byte, 16)
		n, from, err := s.Receive(&buf)
		require.NoError(t, err)
		require.Equal(t, core.Sender{}, from, "answers come from the kernel")
		got = append(got, buf[:n])
	}
	return s.PortID(), got
}

func TestNltestAckLayout(t *testing.T) {
	port, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	want := cat(
		nlmsghdr(36, unix.NLMSG_ERROR, unix.NLM_F_CAPPED, 77, port),
		u32(0),
		testRequest(port)[:16],
	)
	require.Equal(t, [][]byte{want}, got)
}

func TestNltestAckWarningLayout(t *testing.T) {
	port, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply {
		// Offset and missing type are for errors only: the kernel drops them from an ACK.
		return r.Ack(nltest.ExtAck{Message: "warn", Offset: 32, MissingType: 3})
	})
	want := cat(
		nlmsghdr(48, unix.NLMSG_ERROR, unix.NLM_F_CAPPED|unix.NLM_F_ACK_TLVS, 77, port),
		u32(0),
		testRequest(port)[:16],
		u16(9), u16(unix.NLMSGERR_ATTR_MSG), []byte("warn\x00\x00\x00\x00"),
	)
	require.Equal(t, [][]byte{want}, got)
}

func TestNltestErrorLayout(t *testing.T) {
	ext := nltest.ExtAck{Message: "bad name", Offset: 32, Cookie: []byte{0xc0, 0x0c}, MissingType: 3, MissingNest: 20}
	errno := -int32(unix.EEXIST)
	tlvs := cat(
		u16(13), u16(unix.NLMSGERR_ATTR_MSG), []byte("bad name\x00\x00\x00\x00"),
		u16(6), u16(unix.NLMSGERR_ATTR_COOKIE), []byte{0xc0, 0x0c, 0, 0},
		u16(8), u16(unix.NLMSGERR_ATTR_OFFS), u32(32),
		u16(8), u16(5), u32(3), // NLMSGERR_ATTR_MISS_TYPE
		u16(8), u16(6), u32(20), // NLMSGERR_ATTR_MISS_NEST
	)
	handler := func(r *nltest.Request) []nltest.Reply { return r.Error(unix.EEXIST, ext) }

	t.Run("echo", func(t *testing.T) {
		port, got := exchange(t, nil, handler)
		want := cat(nlmsghdr(uint32(16+4+44+len(tlvs)), unix.NLMSG_ERROR, unix.NLM_F_ACK_TLVS, 77, port),
			u32(uint32(errno)), testRequest(port), tlvs)
		require.Equal(t, [][]byte{want}, got)
		e, err := core.ParseErrorMessage(core.Header{Flags: unix.NLM_F_ACK_TLVS}, got[0][16:], testRequest(port))
		require.NoError(t, err)
		require.Equal(t, unix.EEXIST, e.Errno)
		require.Equal(t, "bad name", e.Message)
		require.Equal(t, "attribute 3, length 9", e.Attr)
	})
	t.Run("capped", func(t *testing.T) {
		port, got := exchange(t, &core.Config{CapAck: true}, handler)
		want := cat(nlmsghdr(uint32(16+4+16+len(tlvs)), unix.NLMSG_ERROR, unix.NLM_F_CAPPED|unix.NLM_F_ACK_TLVS, 77, port),
			u32(uint32(errno)), testRequest(port)[:16], tlvs)
		require.Equal(t, [][]byte{want}, got)
	})
	t.Run("no ext ack", func(t *testing.T) {
		port, got := exchange(t, &core.Config{NoExtAck: true}, handler)
		want := cat(nlmsghdr(16+4+44, unix.NLMSG_ERROR, 0, 77, port), u32(uint32(errno)), testRequest(port))
		require.Equal(t, [][]byte{want}, got)
	})
}

func TestNltestDoneLayout(t *testing.T) {
	negEINVAL := -int32(unix.EINVAL)
	port, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply {
		return nltest.Split(
			r.Msg(unix.RTM_NEWLINK, core.FlagMulti, []byte{1, 2, 3}),
			r.DoneMsg(),
			r.DoneErrorMsg(unix.EINVAL, nltest.ExtAck{Message: "no", Offset: 32}),
		)
	})
	require.Equal(t, [][]byte{
		cat(nlmsghdr(19, unix.RTM_NEWLINK, unix.NLM_F_MULTI, 77, port), []byte{1, 2, 3, 0}),
		cat(nlmsghdr(20, unix.NLMSG_DONE, unix.NLM_F_MULTI, 77, port), u32(0)),
		// Only the message goes into a DONE (netlink_dump_done).
		cat(nlmsghdr(28, unix.NLMSG_DONE, unix.NLM_F_MULTI|unix.NLM_F_ACK_TLVS, 77, port), u32(uint32(negEINVAL)),
			u16(7), u16(unix.NLMSGERR_ATTR_MSG), []byte("no\x00\x00")),
	}, got)
}

func TestNltestAnswers(t *testing.T) {
	t.Run("reply then ack", func(t *testing.T) {
		port, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply { return r.Reply(unix.RTM_NEWLINK, u32(5)) })
		require.Equal(t, [][]byte{
			cat(nlmsghdr(20, unix.RTM_NEWLINK, 0, 77, port), u32(5)),
			cat(nlmsghdr(36, unix.NLMSG_ERROR, unix.NLM_F_CAPPED, 77, port), u32(0), testRequest(port)[:16]),
		}, got)
	})
	t.Run("dump packed", func(t *testing.T) {
		port, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply {
			return r.Dump(unix.RTM_NEWLINK, u32(1), u32(2))
		})
		require.Equal(t, [][]byte{cat(
			nlmsghdr(20, unix.RTM_NEWLINK, unix.NLM_F_MULTI, 77, port), u32(1),
			nlmsghdr(20, unix.RTM_NEWLINK, unix.NLM_F_MULTI, 77, port), u32(2),
			nlmsghdr(20, unix.NLMSG_DONE, unix.NLM_F_MULTI, 77, port), u32(0),
		)}, got)
	})
	t.Run("chunks", func(t *testing.T) {
		_, got := exchange(t, nil, func(r *nltest.Request) []nltest.Reply {
			return nltest.Chunks(2, r.MultiMsgs(unix.RTM_NEWLINK, u32(1), u32(2), u32(3), u32(4))...)
		})
		require.Len(t, got, 3)
		require.Len(t, got[0], 40)
		require.Len(t, got[1], 40)
		require.Len(t, got[2], 20)
	})
	t.Run("from port", func(t *testing.T) {
		k := nltest.New(t, unix.NETLINK_ROUTE)
		k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply {
			return append(nltest.FromPort(1234, r.AckMsg()), r.Ack()...)
		})
		s := socket(t, k, nil)
		require.NoError(t, s.Send(testRequest(s.PortID()), 0, 0))
		buf := make([]byte, 64)
		_, from, err := s.Receive(&buf)
		require.NoError(t, err)
		require.Equal(t, uint32(1234), from.Port)
		_, from, err = s.Receive(&buf)
		require.NoError(t, err)
		require.Equal(t, uint32(0), from.Port)
	})
}

func TestNltestControlAndUnhandled(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	called := 0
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { called++; return r.Ack() })
	s := socket(t, k, nil)
	buf := make([]byte, 256)

	// No NLM_F_REQUEST: not handed to a handler, acknowledged if asked.
	require.NoError(t, s.Send(nlmsghdr(16, unix.RTM_GETLINK, unix.NLM_F_ACK, 1, s.PortID()), 0, 0))
	require.Equal(t, 0, called)
	n, _, err := s.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, cat(nlmsghdr(36, unix.NLMSG_ERROR, unix.NLM_F_CAPPED, 1, s.PortID()), u32(0), nlmsghdr(16, unix.RTM_GETLINK, unix.NLM_F_ACK, 1, s.PortID())), buf[:n])
	require.NoError(t, s.Send(nlmsghdr(16, unix.RTM_GETLINK, 0, 2, s.PortID()), 0, 0))
	require.Equal(t, 0, s.Queued(), "no reply without NLM_F_ACK")
	// A control type with NLM_F_REQUEST is not handled either.
	require.NoError(t, s.Send(nlmsghdr(16, unix.NLMSG_NOOP, unix.NLM_F_REQUEST, 3, s.PortID()), 0, 0))
	require.Equal(t, 0, called)
	require.Len(t, k.Requests(), 3, "every message is recorded")

	// The default handler answers a type with no handler of its own.
	require.NoError(t, s.Send(nlmsghdr(16, unix.RTM_GETLINK, unix.NLM_F_REQUEST, 4, s.PortID()), 0, 0))
	require.Equal(t, 1, called)
	_, _, err = s.Receive(&buf)
	require.NoError(t, err)

	// Without one: EOPNOTSUPP, saying why.
	k.HandleDefault(nil)
	require.NoError(t, s.Send(nlmsghdr(16, unix.RTM_GETLINK, unix.NLM_F_REQUEST, 5, s.PortID()), 0, 0))
	n, _, err = s.Receive(&buf)
	require.NoError(t, err)
	h, err := core.ParseHeader(buf[:n])
	require.NoError(t, err)
	e, err := core.ParseErrorMessage(h, buf[16:n], nil)
	require.NoError(t, err)
	require.Equal(t, unix.EOPNOTSUPP, e.Errno)
	require.Contains(t, e.Message, "no handler for message type 18")
}

func TestNltestMalformedDatagramFails(t *testing.T) {
	rec := &recorder{TB: t}
	k := nltest.New(rec, unix.NETLINK_ROUTE)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s := socket(t, k, nil)
	good := nlmsghdr(16, unix.RTM_GETLINK, unix.NLM_F_REQUEST, 1, s.PortID())
	require.NoError(t, s.Send(cat(good, nlmsghdr(99, unix.RTM_GETLINK, 0, 2, 0)), 0, 0))
	require.Len(t, k.Requests(), 1, "messages before the bad one are handled")
	require.Equal(t, 1, s.Queued())
	require.Len(t, rec.failures(), 1)
	require.Contains(t, rec.failures()[0], "length 99")
}
