package core_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// addrMsgs makes n RTM_NEWADDR (or RTM_DELADDR) requests for 198.18.x.y/32
// on ifindex.
func addrMsgs(typ core.MessageType, ifindex int32, n int) []core.Message {
	ms := make([]core.Message, n)
	for i := range ms {
		ms[i] = addrMsg(typ, ifindex, netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 32)
	}
	return ms
}

// drain reads c until nothing more is queued. Every event the kernel made
// was queued (or dropped) before ExecuteBatch returned, so a short wait
// after the last datagram only confirms the queue is empty; it is not a
// timing assertion. It returns how many messages came and the errors met.
func drain(t *testing.T, c *core.Conn) (int, []error) {
	t.Helper()
	n := 0
	var errs []error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		msgs, err := c.Receive(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return n, errs
		}
		if err != nil {
			errs = append(errs, err)
			require.Less(t, len(errs), 100, "errors keep coming: %v", err)
			continue
		}
		n += len(msgs)
	}
}

const floodAddrs = 300

// A listener with a tiny socket buffer on RTNLGRP_IPV4_IFADDR misses most of
// 300 address events: the first read reports the loss as ErrOverrun (which
// is also ENOBUFS), Stats counts it, and the Conn keeps working: a dump on
// it succeeds and later events arrive.
func TestOverrunIsReportedAndConnRecovers(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := dialIn(t, ns, nil)
	l := dialIn(t, ns, &core.Config{ReadBuffer: 1, Groups: []uint32{unix.RTNLGRP_IPV4_IFADDR}})

	require.NoError(t, w.ExecuteBatch(ctx, addrMsgs(unix.RTM_NEWADDR, 1, floodAddrs), nil))

	// Listen: the overflow comes first (the kernel reports the socket
	// error before the queued data), then the events that fit.
	var first error
	events := 0
	for m, err := range l.Listen(ctx) {
		if first == nil && err == nil {
			t.Fatalf("an event came before the overrun: %v", m.Header)
		}
		if first == nil {
			first = err
			continue
		}
		require.NoError(t, err)
		require.Equal(t, core.MessageType(unix.RTM_NEWADDR), m.Header.Type)
		events++
		break
	}
	require.ErrorIs(t, first, core.ErrOverrun)
	require.ErrorIs(t, first, unix.ENOBUFS)
	require.Equal(t, uint64(1), l.Stats().Overruns)
	n, errs := drain(t, l)
	require.Empty(t, errs)
	events += n
	require.Less(t, events, floodAddrs, "most events were lost")
	t.Logf("%d of %d events fit in the queue", events, floodAddrs)

	// The same Conn dumps the addresses, all of them.
	var addrs int
	for m, err := range l.Dump(ctx, core.Message{Header: core.Header{Type: unix.RTM_GETADDR}, Data: []byte{unix.AF_INET, 0, 0, 0, 0, 0, 0, 0}}) {
		require.NoError(t, err)
		if binary.NativeEndian.Uint32(m.Data[4:8]) == 1 {
			addrs++
		}
	}
	require.Equal(t, floodAddrs+1, addrs, "198.18.x.y and 127.0.0.1 on lo")

	// Events still arrive (one at a time: the buffer holds little more
	// than one), and a second overflow is counted again.
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.1/24", "dev", "lo")
	for m, err := range l.Listen(ctx) {
		require.NoError(t, err)
		require.Equal(t, core.MessageType(unix.RTM_NEWADDR), m.Header.Type)
		require.Equal(t, netip.MustParseAddr("192.0.2.1"), ifaLocal(m))
		break
	}
	require.NoError(t, w.ExecuteBatch(ctx, addrMsgs(unix.RTM_DELADDR, 1, floodAddrs), nil))
	_, err := l.Receive(ctx)
	require.ErrorIs(t, err, core.ErrOverrun)
	require.Equal(t, uint64(2), l.Stats().Overruns)
}

// With NoENOBUFS the kernel drops what does not fit without saying so:
// fewer events arrive than were made, and no error or count shows it.
func TestNoENOBUFSSuppressesOverrun(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := dialIn(t, ns, nil)
	l := dialIn(t, ns, &core.Config{ReadBuffer: 1, NoENOBUFS: true, Groups: []uint32{unix.RTNLGRP_IPV4_IFADDR}})

	require.NoError(t, w.ExecuteBatch(ctx, addrMsgs(unix.RTM_NEWADDR, 1, floodAddrs), nil))
	n, errs := drain(t, l)
	require.Empty(t, errs)
	require.Greater(t, n, 0)
	require.Less(t, n, floodAddrs, "events were lost")
	require.Zero(t, l.Stats().Overruns)
}
