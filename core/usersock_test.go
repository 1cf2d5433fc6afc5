package core_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// userType is a message type of our own: userspace peers may use any type
// from NLMSG_MIN_TYPE (0x10) on.
const userType core.MessageType = unix.NLMSG_MIN_TYPE + 7

func dialProto(t testing.TB, protocol int, cfg *core.Config) *core.Conn {
	t.Helper()
	c, err := core.Dial(protocol, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// A server bound to port 888 with AcceptNonKernel and PassCred gets a
// client's message with the client's port and credentials, and answers to
// that port. It works the same on NETLINK_USERSOCK and NETLINK_GENERIC.
func TestUserspaceUnicast(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		name  string
		proto int
	}{{"USERSOCK", unix.NETLINK_USERSOCK}, {"GENERIC", unix.NETLINK_GENERIC}} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ns := nstest.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			server := dialProto(t, p.proto, &core.Config{NetNS: ns, PortID: 888, AcceptNonKernel: true, PassCred: true})
			require.Equal(t, uint32(888), server.PortID())
			client := dialProto(t, p.proto, &core.Config{NetNS: ns, AcceptNonKernel: true})
			require.NotZero(t, client.PortID())
			require.NotEqual(t, uint32(888), client.PortID())

			// The port is the namespace's: a second socket cannot take it.
			_, err := core.Dial(p.proto, &core.Config{NetNS: ns, PortID: 888})
			require.ErrorIs(t, err, unix.EADDRINUSE)

			seq, err := client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte("hello")}, 888, 0)
			require.NoError(t, err)
			msgs, err := server.Receive(ctx)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			m := msgs[0]
			require.Equal(t, userType, m.Header.Type)
			require.Equal(t, seq, m.Header.Sequence)
			require.Equal(t, "hello", string(m.Data))
			require.Equal(t, client.PortID(), m.From.Port, "the kernel names the sending socket's port")
			require.Equal(t, client.PortID(), m.Header.PID, "the client stamped its port in nlmsg_pid")
			require.Zero(t, m.From.Group)
			require.True(t, m.From.HasCred)
			require.Equal(t, int32(os.Getpid()), m.From.Cred.Pid)
			require.Equal(t, uint32(os.Getuid()), m.From.Cred.Uid)
			require.Equal(t, uint32(os.Getgid()), m.From.Cred.Gid)

			_, err = server.SendTo(ctx, core.Message{Header: core.Header{Type: userType, Sequence: seq}, Data: []byte("hello back")}, m.From.Port, 0)
			require.NoError(t, err)
			msgs, err = client.Receive(ctx)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
			require.Equal(t, "hello back", string(msgs[0].Data))
			require.Equal(t, seq, msgs[0].Header.Sequence)
			require.Equal(t, uint32(888), msgs[0].From.Port)
			require.False(t, msgs[0].From.HasCred, "the client did not ask for credentials")

			// Without AcceptNonKernel the same message is dropped and
			// counted: the datagram is queued by the time SendTo returns,
			// so Receive reads and drops it, then waits out its deadline.
			closed := dialProto(t, p.proto, &core.Config{NetNS: ns, PortID: 889})
			_, err = client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte("hello")}, 889, 0)
			require.NoError(t, err)
			short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancelShort()
			_, err = closed.Receive(short)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Equal(t, uint64(1), closed.Stats().Foreign)

			// Nobody on the port: the kernel refuses the send.
			_, err = client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}}, 4242, 0)
			require.ErrorIs(t, err, unix.ECONNREFUSED)
		})
	}
}

// Multicast between userspace sockets on NETLINK_USERSOCK: two members of
// group 5 (one joined at Dial, one with JoinGroup) both get a message sent
// to the group, PktInfo names the group, and a socket outside the group gets
// nothing.
func TestUserspaceMulticast(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const group = 5
	m1 := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, PktInfo: true, Groups: []uint32{group}})
	m2 := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, PktInfo: true})
	require.NoError(t, m2.JoinGroup(group))
	other := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, PktInfo: true, Groups: []uint32{group + 1}})
	sender := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true})

	_, err := sender.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte("to the group")}, 0, group)
	require.NoError(t, err)
	for _, c := range []*core.Conn{m1, m2} {
		msgs, err := c.Receive(ctx)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		require.Equal(t, "to the group", string(msgs[0].Data))
		require.Equal(t, uint32(group), msgs[0].From.Group)
		require.Equal(t, sender.PortID(), msgs[0].From.Port)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	_, err = other.Receive(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a socket outside the group gets nothing")

	// After LeaveGroup, m2 no longer gets the group's messages; m1 does.
	require.NoError(t, m2.LeaveGroup(group))
	_, err = sender.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte("again")}, 0, group)
	require.NoError(t, err)
	msgs, err := m1.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "again", string(msgs[0].Data))
	short2, cancelShort2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort2()
	_, err = m2.Receive(short2)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// sockaddr_nl addresses groups with a 32-bit mask: no send past 32.
	_, err = sender.SendTo(ctx, core.Message{Header: core.Header{Type: userType}}, 0, 33)
	require.Error(t, err)
	// NETLINK_USERSOCK has 32 groups: joining 33 is refused.
	require.ErrorIs(t, m1.JoinGroup(33), unix.EINVAL)
}

// Protocol 31 (the NETLINK_USER of kernel-module examples) exists only
// while a module has registered it with netlink_kernel_create. With none
// here, socket() fails with EPROTONOSUPPORT (after the kernel tried to load
// net-pf-16-proto-31), and Dial's error says which protocol and wraps that
// errno. Nothing is left open.
func TestCustomProtocolWithoutModule(t *testing.T) {
	nstest.CheckLeaks(t)
	ns := nstest.New(t)
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 31)
	if err == nil {
		unix.Close(fd)
		t.Skip("a kernel module has registered netlink protocol 31 on this machine")
	}
	require.ErrorIs(t, err, unix.EPROTONOSUPPORT, "what the kernel itself answers")
	for _, proto := range []int{31, 32} { // 32 is past MAX_LINKS
		c, err := core.Dial(proto, &core.Config{NetNS: ns})
		require.Nil(t, c)
		require.ErrorIs(t, err, unix.EPROTONOSUPPORT)
		require.Contains(t, err.Error(), "protocol "+strconv.Itoa(proto))
		t.Log(err)
	}
}

// A 200 KiB datagram from a userspace peer, far larger than the Conn's
// 32 KiB buffer, arrives whole through Receive and through Listen.
func TestUserspaceDatagramLargerThanBuffer(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	server := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, ReadBuffer: 1 << 20})
	client := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, WriteBuffer: 1 << 20})
	payload := make([]byte, 200<<10)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	for range 2 {
		_, err := client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: payload}, server.PortID(), 0)
		require.NoError(t, err)
	}
	msgs, err := server.Receive(ctx)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, core.HeaderLen+len(payload), int(msgs[0].Header.Length))
	require.True(t, bytes.Equal(payload, msgs[0].Data))

	for m, err := range server.Listen(ctx) {
		require.NoError(t, err)
		require.True(t, bytes.Equal(payload, m.Data))
		break
	}
	// A small one after the big ones still parses (the buffer grew, it
	// did not shift).
	_, err = client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte("small")}, server.PortID(), 0)
	require.NoError(t, err)
	msgs, err = server.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, "small", string(msgs[0].Data))
}

// A peer that does not read fills its queue; a send to it then fails at
// once with EAGAIN instead of waiting for our own socket to become
// writable, which would never happen.
func TestUserspaceSendToFullPeer(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	server := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true, ReadBuffer: 4096})
	client := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := core.Message{Header: core.Header{Type: 0x20}, Data: make([]byte, 512)}
	var err error
	sent := 0
	for ; sent < 10000; sent++ {
		if _, err = client.SendTo(ctx, msg, server.PortID(), 0); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, unix.EAGAIN, "after %d sends", sent)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
	require.Greater(t, sent, 0)
	// Once the server reads, sends go through again.
	_, err = server.Receive(ctx)
	require.NoError(t, err)
	_, err = client.SendTo(ctx, msg, server.PortID(), 0)
	require.NoError(t, err)
}

// Send does not wait for a Listen running on the same Conn: a server
// listening for requests answers each one from inside its Listen loop's
// goroutine pair (the pattern NFQUEUE verdicts follow).
func TestSendWhileListening(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	server := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true})
	client := dialProto(t, unix.NETLINK_USERSOCK, &core.Config{NetNS: ns, AcceptNonKernel: true})

	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	got := make(chan core.Message, 4)
	listening := make(chan struct{})
	go func() {
		close(listening)
		for m, err := range server.Listen(lctx) {
			if err != nil {
				return
			}
			got <- m.Clone()
		}
	}()
	<-listening
	for i := range 3 {
		_, err := client.SendTo(ctx, core.Message{Header: core.Header{Type: userType}, Data: []byte{byte(i)}}, server.PortID(), 0)
		require.NoError(t, err)
		m := <-got
		// The server answers from another goroutine while its Listen
		// still holds the Conn.
		_, err = server.SendTo(ctx, core.Message{Header: core.Header{Type: userType, Sequence: m.Header.Sequence}, Data: m.Data}, m.From.Port, 0)
		require.NoError(t, err)
		msgs, err := client.Receive(ctx)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		require.Equal(t, []byte{byte(i)}, msgs[0].Data)
	}
}
