package core_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Unit tests of Conn's receive loop against nltest's fake kernel. They
// script what the kernel answers, so they reach what a real kernel does
// rarely or never: interrupted dumps, forged and stale replies, overruns.

// fakeLink encodes an ifinfomsg for index with IFLA_IFNAME name.
func fakeLink(index int32, name string) []byte {
	var e core.AttrEncoder
	hdr := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(hdr[4:], uint32(index))
	e.Raw(hdr)
	e.String(unix.IFLA_IFNAME, name)
	return e.Bytes()
}

// fakeLinkName reads IFLA_IFNAME back from a fakeLink payload.
func fakeLinkName(t testing.TB, m core.Message) string {
	t.Helper()
	require.GreaterOrEqual(t, len(m.Data), unix.SizeofIfInfomsg, "message %v", m.Header)
	s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
	for s.Next() {
		if s.Type() == unix.IFLA_IFNAME {
			return s.String()
		}
	}
	require.NoError(t, s.Err())
	return ""
}

func getLinks() core.Message {
	return core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: make([]byte, unix.SizeofIfInfomsg)}
}

// newVeth is RTM_NEWLINK name type veth: ifinfomsg, IFLA_IFNAME,
// IFLA_LINKINFO { IFLA_INFO_KIND "veth" }.
func newVeth(name string) core.Message {
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, name)
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	return core.Message{Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl}, Data: e.Bytes()}
}

// names dumps with c and returns the link names and the last error.
func names(t testing.TB, c *core.Conn, req core.Message) ([]string, error) {
	t.Helper()
	var out []string
	for m, err := range c.Dump(context.Background(), req) {
		if err != nil {
			return out, err
		}
		out = append(out, fakeLinkName(t, m))
	}
	return out, nil
}

func linkPayloads(names ...string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = fakeLink(int32(i+1), n)
	}
	return out
}

// waitBlocked waits until n receives are blocked in k.
func waitBlocked(t *testing.T, k *nltest.Kernel, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return k.Blocked() == n }, 5*time.Second, time.Millisecond,
		"want %d blocked receives, have %d", n, k.Blocked())
}

// blockedSoon is waitBlocked for other goroutines: it reports whether n
// receives were blocked within 5 seconds.
func blockedSoon(k *nltest.Kernel, n int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if k.Blocked() == n {
			return true
		}
	}
	return false
}

func TestConnExecuteReplyAndAck(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Reply(unix.RTM_NEWLINK, fakeLink(7, "eth7"))
	})
	c := k.Dial(nil)
	req := getLinks()
	req.Data = fakeLink(7, "")
	msgs, err := c.Execute(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, msgs, 1, "the reply, not the ACK")
	sent := k.LastRequest()
	require.Equal(t, core.MessageType(unix.RTM_NEWLINK), msgs[0].Header.Type)
	require.Equal(t, sent.Header.Sequence, msgs[0].Header.Sequence)
	require.Equal(t, "eth7", fakeLinkName(t, msgs[0]))
	require.Equal(t, c.PortID(), sent.Header.PID, "the Conn fills in its port")
	require.NotZero(t, sent.Header.Sequence)
	k.CheckRequests(nltest.Want{
		Type:   unix.RTM_GETLINK,
		Flags:  core.FlagRequest | core.FlagAck,
		Header: fakeLink(7, "")[:unix.SizeofIfInfomsg],
	})

	// The reply is a copy: the next call does not change it.
	_, err = c.Execute(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "eth7", fakeLinkName(t, msgs[0]))
	require.NotEqual(t, sent.Header.Sequence, k.LastRequest().Header.Sequence, "each request gets its own sequence number")
	require.Equal(t, core.Stats{}, c.Stats())
}

func TestConnExecuteAckOnly(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	c := k.Dial(nil)
	msgs, err := c.Execute(context.Background(), newVeth("v0"))
	require.NoError(t, err)
	require.Empty(t, msgs)
	k.LastRequest().Check(nltest.Want{
		Type:  unix.RTM_NEWLINK,
		Flags: core.FlagRequest | core.FlagAck | core.FlagCreate | core.FlagExcl,
		Attrs: newVeth("v0").Data[unix.SizeofIfInfomsg:], HeaderLen: unix.SizeofIfInfomsg,
	})
}

func TestConnExecuteExtAckError(t *testing.T) {
	for _, cfg := range []struct {
		name string
		cfg  core.Config
	}{
		{"echo", core.Config{}},
		{"capped", core.Config{CapAck: true}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			k := nltest.New(t, unix.NETLINK_ROUTE)
			var offset uint32
			k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply {
				offset = r.AttrOffset(unix.SizeofIfInfomsg, unix.IFLA_LINKINFO, unix.IFLA_INFO_KIND)
				return r.Error(unix.EEXIST, nltest.ExtAck{
					Message:     "link v0 exists",
					Offset:      offset,
					MissingType: unix.IFLA_ADDRESS,
					Cookie:      []byte{1, 2, 3, 4},
				})
			})
			c := k.Dial(&cfg.cfg)
			_, err := c.Execute(context.Background(), newVeth("v0"))
			var ne *core.Error
			require.ErrorAs(t, err, &ne)
			require.Equal(t, unix.EEXIST, ne.Errno)
			require.Equal(t, "link v0 exists", ne.Message)
			require.True(t, ne.HasOffset)
			require.Equal(t, uint32(44), offset, "16 header + 16 ifinfomsg + 8 IFLA_IFNAME + 4 IFLA_LINKINFO header")
			require.Equal(t, offset, ne.Offset)
			require.Equal(t, "18 > 1 (length 5)", ne.Attr, "IFLA_INFO_KIND \"veth\\0\" sits at the offset")
			require.True(t, ne.HasMissing)
			require.Equal(t, uint32(unix.IFLA_ADDRESS), ne.MissingType)
			require.Equal(t, []byte{1, 2, 3, 4}, ne.Cookie)
			require.Equal(t, k.LastRequest().Header, ne.Request, "the error names the request it answers")
			require.ErrorIs(t, err, unix.EEXIST)
			require.ErrorIs(t, err, fs.ErrExist)
			require.NotErrorIs(t, err, fs.ErrNotExist)
			require.Contains(t, err.Error(), "file exists: link v0 exists (at offset 44: 18 > 1 (length 5))")
		})
	}
}

func TestConnExecuteErrnoMapping(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	var errno unix.Errno
	k.Handle(unix.RTM_DELLINK, func(r *nltest.Request) []nltest.Reply { return r.Error(errno) })
	c := k.Dial(nil)
	for _, tc := range []struct {
		errno unix.Errno
		is    error
	}{
		{unix.EEXIST, fs.ErrExist},
		{unix.ENOENT, fs.ErrNotExist},
		{unix.EPERM, fs.ErrPermission},
		{unix.EACCES, fs.ErrPermission},
	} {
		errno = tc.errno
		_, err := c.Execute(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_DELLINK}, Data: fakeLink(3, "")})
		require.ErrorIs(t, err, tc.errno)
		require.ErrorIs(t, err, tc.is, "%v", tc.errno)
		var ne *core.Error
		require.ErrorAs(t, err, &ne)
		require.Empty(t, ne.Message)
		require.False(t, ne.HasOffset)
	}
}

func TestConnExecuteNoExtAck(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Error(unix.EINVAL, nltest.ExtAck{Message: "not sent", Offset: 32})
	})
	c := k.Dial(&core.Config{NoExtAck: true})
	_, err := c.Execute(context.Background(), newVeth("v0"))
	var ne *core.Error
	require.ErrorAs(t, err, &ne)
	require.Equal(t, unix.EINVAL, ne.Errno)
	require.Empty(t, ne.Message, "without NETLINK_EXT_ACK the kernel sends no explanation")
	require.False(t, ne.HasOffset)
}

func TestConnDumpMultipartAcrossDatagrams(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	want := []string{"lo", "eth0", "eth1", "eth2", "eth3", "eth4", "eth5"}
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return nltest.Chunks(3, r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads(want...)...)...)
	})
	c := k.Dial(nil)
	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, want, got)
	k.CheckRequests(nltest.Want{Type: unix.RTM_GETLINK, Flags: core.FlagRequest | core.FlagDump})

	all, err := c.DumpAll(context.Background(), getLinks(), 0)
	require.NoError(t, err)
	require.Len(t, all, len(want))
	for i, m := range all {
		require.Equal(t, want[i], fakeLinkName(t, m), "DumpAll copies each message")
	}
	require.Equal(t, core.Stats{}, c.Stats())
}

func TestConnDumpSplitEveryMessage(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return nltest.Split(r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads("a", "b")...)...)
	})
	got, err := names(t, k.Dial(nil), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got)
}

func TestConnDumpBreakEarlyKeepsConnInStep(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return nltest.Chunks(2, r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads("a", "b", "c", "d", "e")...)...)
	})
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	c := k.Dial(nil)
	seen := 0
	for m, err := range c.Dump(context.Background(), getLinks()) {
		require.NoError(t, err)
		require.Equal(t, "a", fakeLinkName(t, m))
		seen++
		break
	}
	require.Equal(t, 1, seen)

	// The rest of the dump was read and dropped, so the next exchanges
	// see only their own answers.
	_, err := c.Execute(context.Background(), newVeth("v0"))
	require.NoError(t, err)
	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
	require.Equal(t, core.Stats{}, c.Stats(), "nothing of the first dump was left over")
}

func TestConnDumpInterrupted(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	calls := 0
	interruptFirst := 1
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		calls++
		msgs := r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads("a", fmt.Sprintf("b%d", calls), "c")...)
		if calls <= interruptFirst {
			// The kernel flags what it sends after it saw the change.
			for i := 1; i < len(msgs); i++ {
				msgs[i].Header.Flags |= core.FlagDumpIntr
			}
		}
		return nltest.Chunks(2, msgs...)
	})
	c := k.Dial(nil)

	got, err := names(t, c, getLinks())
	require.ErrorIs(t, err, core.ErrDumpInterrupted)
	require.Equal(t, []string{"a", "b1", "c"}, got, "the data comes first, then the error")

	// DumpAll starts again and returns the attempt that went through.
	calls, interruptFirst = 0, 1
	all, err := c.DumpAll(context.Background(), getLinks(), 2)
	require.NoError(t, err)
	require.Equal(t, 2, calls)
	require.Len(t, all, 3)
	require.Equal(t, "b2", fakeLinkName(t, all[1]))

	// Every attempt interrupted: the last one's data with the error.
	calls, interruptFirst = 0, 100
	all, err = c.DumpAll(context.Background(), getLinks(), 2)
	require.ErrorIs(t, err, core.ErrDumpInterrupted)
	require.Equal(t, 3, calls, "one try and two retries")
	require.Len(t, all, 3)
	require.Equal(t, "b3", fakeLinkName(t, all[1]))
	require.Equal(t, core.Stats{}, c.Stats())
}

func TestConnDumpErrorInDone(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(
			r.Msg(unix.RTM_NEWLINK, core.FlagMulti, fakeLink(1, "lo")),
			r.DoneErrorMsg(unix.EINVAL, nltest.ExtAck{Message: "Invalid header for link dump"}),
		)
	})
	c := k.Dial(nil)
	got, err := names(t, c, getLinks())
	require.Equal(t, []string{"lo"}, got)
	var ne *core.Error
	require.ErrorAs(t, err, &ne, "the error in NLMSG_DONE is returned, not dropped")
	require.Equal(t, unix.EINVAL, ne.Errno)
	require.Equal(t, "Invalid header for link dump", ne.Message)
	require.ErrorIs(t, err, unix.EINVAL)

	_, err = c.DumpAll(context.Background(), getLinks(), 3)
	require.ErrorIs(t, err, unix.EINVAL)
	require.Len(t, k.Requests(), 2, "a kernel error is not retried")
}

func TestConnDropsStaleAndForeignReplies(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		forged := r.Msg(unix.RTM_NEWLINK, 0, fakeLink(66, "forged"))
		stale := r.Msg(unix.RTM_NEWLINK, 0, fakeLink(55, "stale"))
		stale.Header.Sequence--
		staleAck := r.AckMsg()
		staleAck.Header.Sequence += 100
		// A forged ACK from another socket would end the call early if
		// it were believed.
		out := nltest.FromPort(4242, forged, r.AckMsg())
		out = append(out, nltest.Packed(stale, staleAck, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(7, "real")))...)
		return append(out, r.Ack()...)
	})
	c := k.Dial(nil)
	msgs, err := c.Execute(context.Background(), getLinks())
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "real", fakeLinkName(t, msgs[0]))
	require.Equal(t, core.Stats{Foreign: 1, Unexpected: 2}, c.Stats())

	// Dumps drop them the same way.
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		stale := r.Msg(unix.RTM_NEWLINK, core.FlagMulti, fakeLink(55, "stale"))
		stale.Header.Sequence++
		out := nltest.FromPort(4242, r.MultiMsgs(unix.RTM_NEWLINK, fakeLink(66, "forged"))...)
		out = append(out, nltest.Packed(stale)...)
		return append(out, r.Dump(unix.RTM_NEWLINK, linkPayloads("lo")...)...)
	})
	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"lo"}, got)
	require.Equal(t, core.Stats{Foreign: 2, Unexpected: 3}, c.Stats())
}

func TestConnAcceptNonKernel(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return append(nltest.FromPort(4242, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "peer"))), r.Ack()...)
	})
	c := k.Dial(&core.Config{AcceptNonKernel: true})
	msgs, err := c.Execute(context.Background(), getLinks())
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, uint32(4242), msgs[0].From.Port, "each message says who sent it")
	require.Equal(t, core.Stats{}, c.Stats())
}

func TestConnExecuteBatch(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply {
		name, _ := r.Attr(unix.SizeofIfInfomsg, unix.IFLA_IFNAME)
		switch name.String() {
		case "dup":
			return r.Error(unix.EEXIST, nltest.ExtAck{Message: "exists"})
		case "perm":
			return r.Error(unix.EPERM)
		case "chatty":
			// Replies other than ACKs are dropped.
			return nltest.Packed(r.Msg(unix.RTM_NEWLINK, 0, fakeLink(9, "chatty")), r.AckMsg())
		}
		return r.Ack()
	})
	batch := func() []core.Message {
		return []core.Message{newVeth("a"), newVeth("dup"), newVeth("b"), newVeth("perm"), newVeth("chatty")}
	}

	t.Run("errs", func(t *testing.T) {
		k.ResetRequests()
		c := k.Dial(nil)
		errs := make([]error, 5)
		for i := range errs {
			errs[i] = errors.New("not written")
		}
		require.NoError(t, c.ExecuteBatch(context.Background(), batch(), errs))
		require.NoError(t, errs[0])
		require.ErrorIs(t, errs[1], fs.ErrExist)
		require.NoError(t, errs[2])
		require.ErrorIs(t, errs[3], fs.ErrPermission)
		require.NoError(t, errs[4])
		var ne *core.Error
		require.ErrorAs(t, errs[1], &ne)
		require.Equal(t, "exists", ne.Message)

		reqs := k.Requests()
		require.Len(t, reqs, 5)
		for i, r := range reqs {
			require.Equal(t, reqs[0].Datagram, r.Datagram, "one sendmsg for the batch")
			require.Equal(t, reqs[0].Header.Sequence+uint32(i), r.Header.Sequence, "consecutive sequence numbers")
			require.Equal(t, core.FlagRequest|core.FlagAck|core.FlagCreate|core.FlagExcl, r.Header.Flags)
		}
		require.Equal(t, reqs[1].Header, ne.Request)
		require.Equal(t, core.Stats{}, c.Stats())
	})

	t.Run("first error", func(t *testing.T) {
		k.ResetRequests()
		c := k.Dial(&core.Config{BatchSize: 2})
		err := c.ExecuteBatch(context.Background(), batch(), nil)
		require.ErrorIs(t, err, unix.EEXIST, "the first kernel error")
		reqs := k.Requests()
		require.Len(t, reqs, 5, "the whole batch is sent")
		var datagrams []int
		for _, r := range reqs {
			datagrams = append(datagrams, r.Datagram-reqs[0].Datagram)
		}
		require.Equal(t, []int{0, 0, 1, 1, 2}, datagrams, "BatchSize messages a datagram")
		// The Conn is in step afterwards.
		_, err = c.Execute(context.Background(), newVeth("c"))
		require.NoError(t, err)
		require.Equal(t, core.Stats{}, c.Stats())
	})

	t.Run("short errs", func(t *testing.T) {
		c := k.Dial(nil)
		require.Error(t, c.ExecuteBatch(context.Background(), batch(), make([]error, 2)))
	})
}

func TestConnListenEventsAndOverrun(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	c := k.Dial(&core.Config{Groups: []uint32{unix.RTNLGRP_LINK}})
	other := k.Dial(nil)
	event := func(name string) core.Message {
		return core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: fakeLink(1, name)}
	}
	require.Equal(t, 1, k.Event(unix.RTNLGRP_LINK, event("a")))
	k.Overrun()
	require.Equal(t, 1, k.Event(unix.RTNLGRP_LINK, event("b"), event("c")))
	require.Equal(t, 0, k.Event(unix.RTNLGRP_IPV4_IFADDR, event("not joined")))
	_, err := other.Receive(context.Background())
	require.ErrorIs(t, err, core.ErrOverrun, "every socket was told of the overrun")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	var errs []error
	for m, err := range c.Listen(ctx) {
		if err != nil {
			errs = append(errs, err)
			if len(errs) == 2 {
				break
			}
			continue
		}
		got = append(got, fakeLinkName(t, m))
		require.Equal(t, uint32(1<<(unix.RTNLGRP_LINK-1)), m.From.Group)
		switch len(got) {
		case 3:
			// Listen goes on waiting; an event sent while it is
			// blocked arrives.
			go func() {
				if blockedSoon(k, 1) {
					k.Event(unix.RTNLGRP_LINK, event("d"))
				}
			}()
		case 4:
			go func() {
				blockedSoon(k, 1)
				cancel()
			}()
		}
	}
	require.Equal(t, []string{"a", "b", "c", "d"}, got)
	require.Len(t, errs, 2)
	require.ErrorIs(t, errs[0], core.ErrOverrun, "the overrun comes first, as the kernel reports a socket error first")
	require.ErrorIs(t, errs[0], unix.ENOBUFS)
	require.ErrorIs(t, errs[1], context.Canceled)
	require.Equal(t, uint64(1), c.Stats().Overruns)

	// After leaving the group no event arrives.
	require.NoError(t, c.LeaveGroup(unix.RTNLGRP_LINK))
	require.Equal(t, 0, k.Event(unix.RTNLGRP_LINK, event("e")))
	require.NoError(t, c.JoinGroup(unix.RTNLGRP_LINK))
	require.Equal(t, 1, k.Event(unix.RTNLGRP_LINK, event("f")))
}

func TestConnListenDropsForeignEvents(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	c := k.Dial(&core.Config{Groups: []uint32{1}})
	peer, err := k.Socket(nil)
	require.NoError(t, err)
	defer peer.Close()
	forged := core.AppendMessage(nil, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: fakeLink(1, "forged")})
	require.NoError(t, peer.Send(forged, 0, 1))          // to the group (and the kernel)
	require.NoError(t, peer.Send(forged, c.PortID(), 0)) // to c alone
	k.Event(1, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: fakeLink(1, "real")})
	for m, err := range c.Listen(context.Background()) {
		require.NoError(t, err)
		require.Equal(t, "real", fakeLinkName(t, m))
		break
	}
	require.Equal(t, uint64(2), c.Stats().Foreign, "the multicast and the unicast forgery")
}

func TestConnReceiveAndUserspacePeers(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_USERSOCK)
	server := k.Dial(&core.Config{PortID: 888, AcceptNonKernel: true})
	client := k.Dial(nil)
	ctx := context.Background()
	seq, err := client.SendTo(ctx, core.Message{Header: core.Header{Type: 0x20}, Data: []byte("ping")}, 888, 0)
	require.NoError(t, err)
	msgs, err := server.Receive(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, []byte("ping"), msgs[0].Data)
	require.Equal(t, seq, msgs[0].Header.Sequence)
	require.Equal(t, client.PortID(), msgs[0].From.Port)

	// Without AcceptNonKernel the peer's datagram is dropped and counted.
	_, err = server.SendTo(ctx, core.Message{Header: core.Header{Type: 0x21}, Data: []byte("pong")}, client.PortID(), 0)
	require.NoError(t, err)
	require.NoError(t, k.Unicast(client.PortID(), nltest.Packed(core.Message{Header: core.Header{Type: 0x22}})...))
	msgs, err = client.Receive(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, core.MessageType(0x22), msgs[0].Header.Type)
	require.Equal(t, core.Stats{Foreign: 1}, client.Stats())

	// No kernel side on NETLINK_USERSOCK.
	_, err = client.Execute(ctx, core.Message{Header: core.Header{Type: 0x20}})
	require.ErrorIs(t, err, unix.ECONNREFUSED)
}

func TestConnCancelUnblocksReceive(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply { return nil }) // never answers
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	c := k.Dial(nil)

	// run starts call, waits until it blocks in the socket, cancels its
	// context and returns what it returned.
	run := func(call func(context.Context) error) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- call(ctx) }()
		waitBlocked(t, k, 1)
		cancel()
		return waitErr(t, done)
	}
	err := run(func(ctx context.Context) error { _, err := c.Execute(ctx, getLinks()); return err })
	require.ErrorIs(t, err, context.Canceled)
	err = run(func(ctx context.Context) error {
		for _, err := range c.Dump(ctx, getLinks()) {
			return err
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	err = run(func(ctx context.Context) error { _, err := c.Receive(ctx); return err })
	require.ErrorIs(t, err, context.Canceled)

	// A deadline passing gives context.DeadlineExceeded.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Execute(ctx, getLinks())
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// The Conn works afterwards, its deadline cleared.
	_, err = c.Execute(context.Background(), newVeth("v0"))
	require.NoError(t, err)

	// SetDeadline applies on top of contexts.
	require.NoError(t, c.SetDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = c.Execute(context.Background(), getLinks())
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, c.SetDeadline(time.Time{}))
	_, err = c.Execute(context.Background(), newVeth("v0"))
	require.NoError(t, err)
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("call still blocked")
		return nil
	}
}

func TestConnCloseUnblocksCalls(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply { return nil })
	c := k.Dial(nil)
	l := k.Dial(&core.Config{Groups: []uint32{1}})

	execDone := make(chan error, 1)
	go func() { _, err := c.Execute(context.Background(), getLinks()); execDone <- err }()
	listenDone := make(chan error, 1)
	go func() {
		for _, err := range l.Listen(context.Background()) {
			listenDone <- err
			return
		}
	}()
	waitBlocked(t, k, 2)
	// A third call waits for the Conn, not the socket.
	waitingDone := make(chan error, 1)
	go func() { _, err := c.Execute(context.Background(), getLinks()); waitingDone <- err }()

	require.NoError(t, c.Close())
	require.NoError(t, l.Close())
	require.ErrorIs(t, waitErr(t, execDone), core.ErrClosed)
	require.ErrorIs(t, waitErr(t, listenDone), core.ErrClosed)
	require.ErrorIs(t, waitErr(t, waitingDone), core.ErrClosed)
	_, err := c.Execute(context.Background(), getLinks())
	require.ErrorIs(t, err, core.ErrClosed)
	require.NoError(t, c.Close(), "closing twice is harmless")
	require.Equal(t, 0, k.Blocked())
}

func TestConnLargeDatagram(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	big := bytes.Repeat([]byte{0x5a}, 100<<10) // past the 32 KiB buffer
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	for off := 0; off < len(big); off += 60000 {
		e.Binary(unix.IFLA_AF_SPEC, big[off:min(off+60000, len(big))])
	}
	payload := e.Bytes()
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		if r.Header.Flags&core.FlagDump != 0 {
			// 40 messages of 4 KiB in one 160 KiB datagram.
			ps := make([][]byte, 40)
			for i := range ps {
				ps[i] = append(fakeLink(int32(i), fmt.Sprintf("eth%d", i)), make([]byte, 4096)...)
			}
			return r.Dump(unix.RTM_NEWLINK, ps...)
		}
		return r.Reply(unix.RTM_NEWLINK, payload)
	})
	c := k.Dial(nil)
	msgs, err := c.Execute(context.Background(), getLinks())
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, payload, msgs[0].Data, "the reply arrives whole")

	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Len(t, got, 40)
	require.Equal(t, "eth39", got[39])
}

func TestConnConcurrentCallers(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		// Echo the request's payload back, split from its ACK.
		return r.Reply(unix.RTM_NEWLINK, r.Data)
	})
	c := k.Dial(nil)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 20 {
				name := fmt.Sprintf("g%d-%d", g, i)
				req := getLinks()
				req.Data = fakeLink(int32(i), name)
				msgs, err := c.Execute(context.Background(), req)
				if err != nil || len(msgs) != 1 || fakeLinkName(t, msgs[0]) != name {
					t.Errorf("%s: got %v, %v", name, msgs, err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, k.Requests(), 32*20)
	require.Equal(t, core.Stats{}, c.Stats())
}

func TestExecuteFuncSeesRepliesInPlace(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Dump(unix.RTM_NEWLINK, []byte("one!"), []byte("two!"))
	})
	c := k.Dial(nil)
	var got []string
	err := c.ExecuteFunc(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_GETLINK}}, func(m core.Message) error {
		got = append(got, string(m.Data))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"one!", "two!"}, got)

	// An error from fn ends delivery; the answer is still read to its end,
	// so the next request on the Conn works.
	stop := errors.New("enough")
	got = nil
	err = c.ExecuteFunc(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_GETLINK}}, func(m core.Message) error {
		got = append(got, string(m.Data))
		return stop
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, []string{"one!"}, got)
	msgs, err := c.Execute(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_GETLINK}})
	require.NoError(t, err)
	require.Len(t, msgs, 2)
}

// A dump whose replies lack NLM_F_MULTI (genl's netdev family sends them
// that way) still runs to NLMSG_DONE, across datagrams.
func TestConnDumpWithoutMultiFlag(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_GENERIC)
	k.Handle(0x20, func(r *nltest.Request) []nltest.Reply {
		var msgs []core.Message
		for i := range 5 {
			msgs = append(msgs, r.Msg(0x20, 0, []byte{byte(i), 0, 0, 0}))
		}
		return append(nltest.Chunks(2, msgs...), nltest.Packed(r.DoneMsg())...)
	})
	c := k.Dial(nil)
	var got []byte
	for m, err := range c.Dump(context.Background(), core.Message{Header: core.Header{Type: 0x20, Flags: core.FlagDump}}) {
		require.NoError(t, err)
		require.Zero(t, m.Header.Flags&core.FlagMulti)
		got = append(got, m.Data[0])
	}
	require.Equal(t, []byte{0, 1, 2, 3, 4}, got)
}

// ReceiveFunc hands each message of one datagram to fn in place and
// returns fn's first error.
func TestConnReceiveFunc(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_GENERIC)
	c := k.Dial(nil)
	msg := func(b byte) core.Message {
		return core.Message{Header: core.Header{Type: 0x20}, Data: []byte{b, 0, 0, 0}}
	}
	require.NoError(t, k.Unicast(c.PortID(), nltest.Packed(msg(1), msg(2), msg(3))...))
	var got []byte
	require.NoError(t, c.ReceiveFunc(context.Background(), func(m core.Message) error {
		got = append(got, m.Data[0])
		return nil
	}))
	require.Equal(t, []byte{1, 2, 3}, got)

	require.NoError(t, k.Unicast(c.PortID(), nltest.Packed(msg(4), msg(5))...))
	stop := errors.New("stop")
	got = got[:0]
	err := c.ReceiveFunc(context.Background(), func(m core.Message) error {
		got = append(got, m.Data[0])
		return stop
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, []byte{4}, got)
}
