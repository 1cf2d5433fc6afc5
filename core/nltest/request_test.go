package nltest_test

import (
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// linkRequest is RTM_NEWLINK: ifinfomsg, IFLA_IFNAME "v0",
// IFLA_LINKINFO { IFLA_INFO_KIND "veth" }, IFLA_MTU 1400.
func linkRequest(mtu uint32) core.Message {
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "v0")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	e.Uint32(unix.IFLA_MTU, mtu)
	return core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagRequest | core.FlagAck | core.FlagCreate, Sequence: 9},
		Data:   e.Bytes(),
	}
}

func sendAll(t *testing.T, k *nltest.Kernel, s *nltest.Socket, msgs ...core.Message) {
	t.Helper()
	for i := range msgs {
		msgs[i].Header.PID = s.PortID()
	}
	require.NoError(t, s.Send(encode(msgs...), 0, 0))
}

func TestNltestRequestsRecorded(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s := socket(t, k, nil)
	batch := []core.Message{linkRequest(1400), linkRequest(1500)}
	sendAll(t, k, s, batch...)
	sendAll(t, k, s, linkRequest(9000))
	reqs := k.Requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		require.Equal(t, i, r.Index)
		require.Equal(t, s.PortID(), r.Port)
		require.Equal(t, uint32(batch[0].Len()), r.Header.Length)
		require.Equal(t, core.HeaderLen+len(r.Data), len(r.Bytes()))
	}
	require.Equal(t, 0, reqs[0].Datagram)
	require.Equal(t, 0, reqs[1].Datagram, "messages of one datagram share it")
	require.Equal(t, 1, reqs[2].Datagram)
	require.Same(t, reqs[2], k.LastRequest())
	mtu, ok := reqs[1].Attr(unix.SizeofIfInfomsg, unix.IFLA_MTU)
	require.True(t, ok)
	v, err := mtu.Uint32()
	require.NoError(t, err)
	require.Equal(t, uint32(1500), v)

	k.ResetRequests()
	require.Empty(t, k.Requests())
}

func TestNltestAttrLookup(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s := socket(t, k, nil)
	sendAll(t, k, s, linkRequest(1400))
	r := k.LastRequest()

	// Offsets by hand: header 16 + ifinfomsg 16 = 32: IFLA_IFNAME (len 7,
	// padded 8) at 32, IFLA_LINKINFO at 40, its IFLA_INFO_KIND at 44
	// (len 9, padded 12), IFLA_MTU at 56.
	require.Equal(t, uint32(32), r.AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_IFNAME))
	require.Equal(t, uint32(40), r.AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_LINKINFO))
	require.Equal(t, uint32(44), r.AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_LINKINFO, unix.IFLA_INFO_KIND))
	require.Equal(t, uint32(56), r.AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_MTU))
	raw := r.Bytes()
	require.Equal(t, []byte("veth"), raw[48:52], "the offset points at the nlattr header")

	kind, ok := r.Attr(unix.SizeofIfInfomsg, unix.IFLA_LINKINFO, unix.IFLA_INFO_KIND)
	require.True(t, ok)
	require.Equal(t, "veth", kind.String())
	_, ok = r.Attr(unix.SizeofIfInfomsg, unix.IFLA_LINKINFO, unix.IFLA_INFO_DATA)
	require.False(t, ok)
	require.Len(t, r.Attrs(unix.SizeofIfInfomsg), 3)

	// A missing path fails the test.
	rec := &recorder{TB: t}
	k2 := nltest.New(rec, unix.NETLINK_ROUTE)
	k2.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s2 := socket(t, k2, nil)
	sendAll(t, k2, s2, linkRequest(1400))
	require.Zero(t, k2.LastRequest().AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_ADDRESS))
	require.Len(t, rec.failures(), 1)
	require.Contains(t, rec.failures()[0], "no attribute at path [1]")
}

func TestNltestDiff(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s := socket(t, k, nil)
	sendAll(t, k, s, linkRequest(1400))
	r := k.LastRequest()

	same := linkRequest(1400)
	require.NoError(t, r.Diff(nltest.Want{
		Type:   unix.RTM_NEWLINK,
		Flags:  core.FlagRequest | core.FlagAck | core.FlagCreate,
		Header: same.Data[:unix.SizeofIfInfomsg],
		Attrs:  same.Data[unix.SizeofIfInfomsg:],
	}))

	// The same attributes in another order match.
	var e core.AttrEncoder
	e.Uint32(unix.IFLA_MTU, 1400)
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	e.String(unix.IFLA_IFNAME, "v0")
	require.NoError(t, r.Diff(nltest.Want{HeaderLen: unix.SizeofIfInfomsg, Attrs: e.Bytes()}))

	// Every difference is named.
	e.Reset()
	e.String(unix.IFLA_IFNAME, "v1")
	n = e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "bridge")
	e.NestEnd(n)
	e.Uint32(unix.IFLA_TXQLEN, 5)
	hdr := make([]byte, unix.SizeofIfInfomsg)
	hdr[0] = unix.AF_INET
	err := r.Diff(nltest.Want{
		Type:   unix.RTM_DELLINK,
		Flags:  core.FlagRequest | core.FlagAck,
		Header: hdr,
		Attrs:  e.Bytes(),
	})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"request 0 (type=16",
		"type 16, want 17",
		"flags 0x405 (get: REQUEST|ACK|ATOMIC; new: REQUEST|ACK|CREATE), want 0x5 (REQUEST|ACK)",
		"family header 16 bytes 0000",
		"want 16 bytes 0200",
		"attribute 3: 3 bytes 763000, want 3 bytes 763100",
		"18 > attribute 1: 5 bytes 7665746800, want 7 bytes 62726964676500",
		"attribute 13 missing (want 4 bytes 05000000)",
		"attribute 4 not wanted (4 bytes 78050000)",
	} {
		require.Contains(t, msg, want)
	}
	require.Equal(t, 7, strings.Count(msg, "\n\t"), msg)
}

func TestNltestCheckRequests(t *testing.T) {
	rec := &recorder{TB: t}
	k := nltest.New(rec, unix.NETLINK_ROUTE)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	s := socket(t, k, nil)
	sendAll(t, k, s, linkRequest(1400), linkRequest(1400))

	require.True(t, k.CheckRequests(nltest.Want{Type: unix.RTM_NEWLINK}, nltest.Want{Type: unix.RTM_NEWLINK}))
	require.Empty(t, rec.failures())

	require.False(t, k.CheckRequests(nltest.Want{Type: unix.RTM_NEWLINK}))
	require.Len(t, rec.failures(), 1)
	require.Contains(t, rec.failures()[0], "2 requests sent (types [16 16]), want 1")

	require.False(t, k.LastRequest().Check(nltest.Want{Type: unix.RTM_GETLINK}))
	require.Len(t, rec.failures(), 2)
	require.Contains(t, rec.failures()[1], "request 1 (type=16")
	require.Contains(t, rec.failures()[1], "type 16, want 18")
}

func TestNltestLastRequestWithNone(t *testing.T) {
	rec := &recorder{TB: t}
	k := nltest.New(rec, unix.NETLINK_ROUTE)
	require.Nil(t, k.LastRequest())
	require.Equal(t, []string{"nltest: no request was sent to the kernel"}, rec.failures())
}
