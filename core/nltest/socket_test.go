package nltest_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// recorder is a TB that keeps the failures reported to it instead of
// failing the test, so tests can check what nltest reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func (r *recorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func socket(t *testing.T, k *nltest.Kernel, cfg *core.Config) *nltest.Socket {
	t.Helper()
	s, err := k.Socket(cfg)
	require.NoError(t, err)
	return s
}

func TestNltestReceiveGrowsBuffer(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, nil)
	big := bytes.Repeat([]byte{0xab}, 100<<10)
	require.NoError(t, k.Unicast(s.PortID(), nltest.Reply{Raw: big}))

	buf := make([]byte, 32<<10)
	n, from, err := s.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, len(big), n, "the datagram must arrive whole")
	require.GreaterOrEqual(t, len(buf), n)
	require.Equal(t, big, buf[:n])
	require.Equal(t, core.Sender{}, from)
}

func TestNltestReadDeadline(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, nil)
	buf := make([]byte, 64)

	// A deadline in the past gives up at once.
	require.NoError(t, s.SetReadDeadline(time.Unix(1, 0)))
	start := time.Now()
	_, _, err := s.Receive(&buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Less(t, time.Since(start), time.Second)

	// A deadline in the future waits for it.
	require.NoError(t, s.SetReadDeadline(time.Now().Add(30*time.Millisecond)))
	start = time.Now()
	_, _, err = s.Receive(&buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)

	// Moving the deadline into the past unblocks a waiting Receive.
	require.NoError(t, s.SetReadDeadline(time.Time{}))
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Receive(&buf)
		done <- err
	}()
	require.Eventually(t, func() bool { return k.Blocked() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, s.SetReadDeadline(time.Unix(1, 0)))
	select {
	case err := <-done:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("Receive still blocked after the deadline moved into the past")
	}
	require.Equal(t, 0, k.Blocked())

	// As on a real socket, a deadline past wins over a queued datagram.
	require.NoError(t, k.Unicast(s.PortID(), nltest.Reply{Raw: []byte{1, 2, 3, 4}}))
	_, _, err = s.Receive(&buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, s.SetReadDeadline(time.Time{}))
	n, _, err := s.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, 4, n)
}

func TestNltestWriteDeadline(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, nil)
	require.NoError(t, s.SetWriteDeadline(time.Unix(1, 0)))
	err := s.Send(encode(core.Message{Header: core.Header{Type: unix.RTM_GETLINK, Flags: core.FlagRequest}}), 0, 0)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Empty(t, k.Requests(), "a send past its deadline must not reach the kernel")
	require.NoError(t, s.SetWriteDeadline(time.Time{}))
	require.NoError(t, s.Send(encode(core.Message{Header: core.Header{Type: unix.RTM_GETLINK}}), 0, 0))
	require.Len(t, k.Requests(), 1)
}

func TestNltestCloseUnblocksReceive(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, nil)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		_, _, err := s.Receive(&buf)
		done <- err
	}()
	require.Eventually(t, func() bool { return k.Blocked() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, os.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Receive still blocked after Close")
	}
	require.ErrorIs(t, s.Close(), os.ErrClosed)
	require.ErrorIs(t, s.Send([]byte{}, 0, 0), os.ErrClosed)
	require.ErrorIs(t, s.SetReadDeadline(time.Time{}), os.ErrClosed)
	require.ErrorIs(t, s.JoinGroup(1), os.ErrClosed)
	// The port is free again.
	require.ErrorIs(t, k.Unicast(s.PortID()), unix.ECONNREFUSED)
	s2 := socket(t, k, &core.Config{PortID: s.PortID()})
	require.Equal(t, s.PortID(), s2.PortID())
}

func TestNltestPorts(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	a := socket(t, k, nil)
	b := socket(t, k, nil)
	require.NotZero(t, a.PortID())
	require.NotEqual(t, a.PortID(), b.PortID())
	c := socket(t, k, &core.Config{PortID: 888})
	require.Equal(t, uint32(888), c.PortID())
	_, err := k.Socket(&core.Config{PortID: 888})
	require.ErrorIs(t, err, unix.EADDRINUSE)
	_, err = k.Socket(&core.Config{Groups: []uint32{0}})
	require.ErrorIs(t, err, unix.EINVAL)
}

func TestNltestEventGroups(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s1 := socket(t, k, &core.Config{Groups: []uint32{unix.RTNLGRP_LINK}})
	s2 := socket(t, k, nil)
	s3 := socket(t, k, &core.Config{PktInfo: true})
	require.NoError(t, s2.JoinGroup(40))
	require.NoError(t, s3.JoinGroup(40))
	require.ErrorIs(t, s2.JoinGroup(0), unix.EINVAL)

	ev := core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: []byte{1, 2, 3, 4}}
	require.Equal(t, 1, k.Event(unix.RTNLGRP_LINK, ev))
	require.Equal(t, 2, k.Event(40, ev))
	require.Equal(t, 0, k.Event(41, ev))
	require.Equal(t, 1, s1.Queued())
	require.Equal(t, 1, s2.Queued())
	require.Equal(t, 1, s3.Queued())

	buf := make([]byte, 64)
	n, from, err := s1.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, encode(ev), buf[:n])
	require.Equal(t, core.Sender{Group: 1 << (unix.RTNLGRP_LINK - 1)}, from, "nl_groups is a bit mask")
	_, from, err = s2.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, core.Sender{}, from, "past group 32 nl_groups is 0")
	_, from, err = s3.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, core.Sender{Group: 40}, from, "NETLINK_PKTINFO carries the group number")

	require.NoError(t, s2.LeaveGroup(40))
	require.Equal(t, 1, k.Event(40, ev))
	require.NoError(t, s3.Close())
	require.Equal(t, 0, k.Event(40, ev), "a closed socket gets no events")
}

func TestNltestOverrun(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, &core.Config{Groups: []uint32{1}})
	quiet := socket(t, k, &core.Config{Groups: []uint32{1}, NoENOBUFS: true})
	k.Event(1, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}})
	k.Overrun()

	buf := make([]byte, 64)
	_, _, err := s.Receive(&buf)
	require.ErrorIs(t, err, core.ErrOverrun, "the overrun is reported before queued datagrams")
	require.ErrorIs(t, err, unix.ENOBUFS)
	n, _, err := s.Receive(&buf)
	require.NoError(t, err, "the overrun is reported once")
	require.Equal(t, core.HeaderLen, n)

	n, _, err = quiet.Receive(&buf)
	require.NoError(t, err, "NETLINK_NO_ENOBUFS hides overruns")
	require.Equal(t, core.HeaderLen, n)
}

func TestNltestUserspacePeers(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_USERSOCK)
	a := socket(t, k, nil)
	b := socket(t, k, &core.Config{PassCred: true, Groups: []uint32{5}})
	c := socket(t, k, &core.Config{Groups: []uint32{5}})
	msg := encode(core.Message{Header: core.Header{Type: 0x20}, Data: []byte("hi")})

	require.NoError(t, a.Send(msg, b.PortID(), 0))
	buf := make([]byte, 64)
	n, from, err := b.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, msg, buf[:n])
	require.Equal(t, a.PortID(), from.Port)
	require.True(t, from.HasCred)
	require.Equal(t, int32(os.Getpid()), from.Cred.Pid)
	require.Empty(t, k.Requests(), "a message to a peer does not reach the kernel")

	// To a group: every member, with the group number (from nl_groups).
	require.NoError(t, a.Send(msg, b.PortID(), 5))
	n, from, err = c.Receive(&buf)
	require.NoError(t, err)
	require.Equal(t, msg, buf[:n])
	require.Equal(t, core.Sender{Port: a.PortID(), Group: 5}, from)
	require.Equal(t, 1, b.Queued(), "the unicast copy only: a group send skips the destination port")

	require.ErrorIs(t, a.Send(msg, 999999, 0), unix.ECONNREFUSED)
	require.Error(t, a.Send(msg, 0, 33), "sockaddr_nl cannot address group 33")

	// NETLINK_USERSOCK has no kernel side.
	require.ErrorIs(t, a.Send(msg, 0, 0), unix.ECONNREFUSED)
	require.NoError(t, a.Send(msg, 0, 5), "a group send reaches the group")
	require.Equal(t, 1, c.Queued())
	require.Empty(t, k.Requests())
}

func TestNltestConcurrentUse(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Reply(unix.RTM_NEWLINK, r.Data)
	})
	listener := socket(t, k, &core.Config{Groups: []uint32{1}})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			s, err := k.Socket(nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			buf := make([]byte, 64)
			for j := range 50 {
				k.Event(1, core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}})
				payload := binary.NativeEndian.AppendUint32(nil, uint32(i*1000+j))
				req := encode(core.Message{Header: core.Header{Type: unix.RTM_GETLINK, Flags: core.FlagRequest, Sequence: uint32(j + 1), PID: s.PortID()}, Data: payload})
				if err := s.Send(req, 0, 0); err != nil {
					t.Error(err)
					return
				}
				n, _, err := s.Receive(&buf)
				if err != nil {
					t.Error(err)
					return
				}
				msgs, err := core.ParseMessages(buf[:n])
				if err != nil || len(msgs) != 1 || !bytes.Equal(msgs[0].Data, payload) || msgs[0].Header.Sequence != uint32(j+1) {
					t.Errorf("reply %v, %v; want payload %x seq %d", msgs, err, payload, j+1)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, k.Requests(), 8*50)
	require.Equal(t, 8*50, listener.Queued())
}

func TestNltestClosedErrorsAreWrapped(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	s := socket(t, k, nil)
	require.NoError(t, s.Close())
	buf := make([]byte, 8)
	_, _, err := s.Receive(&buf)
	require.True(t, errors.Is(err, os.ErrClosed))
	require.NotEqual(t, os.ErrClosed, err, "the error says what was being done")
}

func encode(msgs ...core.Message) []byte {
	var b []byte
	for _, m := range msgs {
		b = core.AppendMessage(b, m)
	}
	return b
}
