package nflog_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/netfilter/internal/nftest"
	"github.com/nlkit/nlkit/netfilter/nflog"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func ifindex(t *testing.T, ns *core.NetNS, name string) uint32 {
	t.Helper()
	var idx int
	require.NoError(t, ns.Do(func() error {
		i, err := net.InterfaceByName(name)
		if err == nil {
			idx = i.Index
		}
		return err
	}))
	return uint32(idx)
}

// collect reads n packets (copies) or fails after wait.
func collect(t *testing.T, l *nflog.Log, n int, wait time.Duration) []*nflog.Packet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var out []*nflog.Packet
	for p, err := range l.Packets(ctx) {
		require.NoError(t, err)
		out = append(out, p.Clone())
		if len(out) == n {
			break
		}
	}
	return out
}

func TestLogPacket(t *testing.T) {
	t.Parallel()
	e := nftest.NewTwoNS(t)
	nstest.Cmd(t, e.B, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "5000",
		"-j", "NFLOG", "--nflog-group", "3", "--nflog-prefix", "nlkit-in")
	l, err := nflog.Open(3, &nflog.Config{NetNS: e.B, QThresh: 1, Flags: nflog.Seq | nflog.SeqGlobal})
	require.NoError(t, err)
	defer l.Close()
	e.Listen(t, 5000)
	tx := e.Sender(t, 5000)
	for i := range 3 {
		_, err := tx.Write(fmt.Appendf(nil, "log-%d", i))
		require.NoError(t, err)
	}
	ps := collect(t, l, 3, 5*time.Second)
	require.Len(t, ps, 3)
	vb := ifindex(t, e.B, "vb")
	for i, p := range ps {
		require.Equal(t, "nlkit-in", p.Prefix)
		require.Equal(t, uint16(3), p.Group)
		require.Equal(t, uint8(unix.AF_INET), p.Family)
		require.Equal(t, nflog.HookInput, p.Hook)
		require.Equal(t, vb, p.InDev)
		require.Zero(t, p.OutDev)
		require.Equal(t, fmt.Sprintf("log-%d", i), string(p.Payload[28:]))
		require.True(t, p.HasSeq)
		require.True(t, p.HasSeqGlobal)
		require.Equal(t, ps[0].Seq+uint32(i), p.Seq)
		require.Len(t, p.HWAddr, 6)
		require.Equal(t, uint16(unix.ARPHRD_ETHER), p.HWType)
		require.Len(t, p.HWHeader, 14)
	}
	require.Less(t, ps[0].SeqGlobal, ps[2].SeqGlobal)
}

func TestLogOutput(t *testing.T) {
	t.Parallel()
	e := nftest.NewTwoNS(t)
	nstest.Cmd(t, e.A, "iptables-legacy", "-A", "OUTPUT", "-p", "udp", "--dport", "5001",
		"-j", "NFLOG", "--nflog-group", "0", "--nflog-prefix", "nlkit-out")
	l, err := nflog.Open(0, &nflog.Config{NetNS: e.A, QThresh: 1, CopyMode: nflog.CopyMeta})
	require.NoError(t, err)
	defer l.Close()
	tx := e.Sender(t, 5001)
	_, err = tx.Write([]byte("out"))
	require.NoError(t, err)
	ps := collect(t, l, 1, 5*time.Second)
	require.Len(t, ps, 1)
	p := ps[0]
	require.Equal(t, "nlkit-out", p.Prefix)
	require.Equal(t, nflog.HookOutput, p.Hook)
	require.Equal(t, ifindex(t, e.A, "va"), p.OutDev)
	require.Empty(t, p.Payload, "meta copy")
	require.True(t, p.HasUID)
	require.True(t, p.HasGID)
	require.Equal(t, uint32(unix.Getuid()), p.UID)
	require.Contains(t, p.String(), `prefix="nlkit-out"`)
}

// TestLogQThreshTimeout: with a threshold of 10 and a 300 ms timeout, 3
// packets wait for the timeout and come in one datagram; with a threshold
// of 3 they come at once.
func TestLogQThreshTimeout(t *testing.T) {
	t.Parallel()
	e := nftest.NewTwoNS(t)
	nstest.Cmd(t, e.B, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "5002", "-j", "NFLOG", "--nflog-group", "4")
	nstest.Cmd(t, e.B, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "5003", "-j", "NFLOG", "--nflog-group", "5")
	slow, err := nflog.Open(4, &nflog.Config{NetNS: e.B, QThresh: 10, Timeout: 300 * time.Millisecond, BufferSize: 65536})
	require.NoError(t, err)
	defer slow.Close()
	fast, err := nflog.Open(5, &nflog.Config{NetNS: e.B, QThresh: 3, Timeout: 10 * time.Second, BufferSize: 65536})
	require.NoError(t, err)
	defer fast.Close()
	for _, c := range []struct {
		l              *nflog.Log
		port           int
		atLeast, under time.Duration
	}{{slow, 5002, 200 * time.Millisecond, 3 * time.Second}, {fast, 5003, 0, 2 * time.Second}} {
		e.Listen(t, c.port)
		tx := e.Sender(t, c.port)
		start := time.Now()
		for range 3 {
			_, err := tx.Write([]byte("q"))
			require.NoError(t, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var rem []int
		for p, err := range c.l.Packets(ctx) {
			require.NoError(t, err)
			rem = append(rem, p.Remaining)
			if len(rem) == 3 {
				break
			}
		}
		cancel()
		took := time.Since(start)
		require.Equal(t, []int{2, 1, 0}, rem, "one datagram of 3")
		require.GreaterOrEqual(t, took, c.atLeast)
		require.Less(t, took, c.under)
	}
}

func TestLogOverrun(t *testing.T) {
	t.Parallel()
	e := nftest.NewTwoNS(t)
	nstest.Cmd(t, e.B, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "5004", "-j", "NFLOG", "--nflog-group", "6")
	l, err := nflog.Open(6, &nflog.Config{NetNS: e.B, QThresh: 1, ReadBuffer: 4096, Flags: nflog.Seq})
	require.NoError(t, err)
	defer l.Close()
	e.Listen(t, 5004)
	tx := e.Sender(t, 5004)
	for range 200 {
		_, err := tx.Write(make([]byte, 200))
		require.NoError(t, err)
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	overrun, after := false, 0
	for p, err := range l.Packets(ctx) {
		if errors.Is(err, core.ErrOverrun) {
			overrun = true
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		require.NotNil(t, p)
		after++
		if overrun && after > 0 {
			break
		}
	}
	require.True(t, overrun, "the overflow was reported")
	require.Positive(t, after, "the stream went on")
}

func TestLogBusy(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	l, err := nflog.Open(7, &nflog.Config{NetNS: ns})
	require.NoError(t, err)
	defer l.Close()
	_, err = nflog.Open(7, &nflog.Config{NetNS: ns})
	require.ErrorIs(t, err, unix.EPERM)
	require.ErrorIs(t, err, nflog.ErrBusy)
	require.ErrorContains(t, err, fmt.Sprintf("port %d", l.PortID()))
	require.NoError(t, l.Close())
	l2, err := nflog.Open(7, &nflog.Config{NetNS: ns})
	require.NoError(t, err)
	require.NoError(t, l2.Close())
}

func TestLogBadConfig(t *testing.T) {
	t.Parallel()
	_, err := nflog.Open(1, &nflog.Config{BufferSize: 1 << 20})
	require.ErrorContains(t, err, "at most 131072")
	_, err = nflog.Open(1, &nflog.Config{Flags: 0x80})
	require.ErrorContains(t, err, "unknown flags")
	_, err = nflog.Open(1, &nflog.Config{Timeout: -time.Second})
	require.ErrorContains(t, err, "out of range")
}

func TestLogConntrackFlag(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	l, err := nflog.Open(8, &nflog.Config{NetNS: ns, Flags: nflog.Conntrack})
	if err != nil {
		require.ErrorIs(t, err, unix.EOPNOTSUPP)
		require.ErrorContains(t, err, "CONFIG_NETFILTER_NETLINK_GLUE_CT")
		return
	}
	require.NoError(t, l.Close())
}

func TestLogPFBind(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	l, err := nflog.Open(9, &nflog.Config{NetNS: ns, PFBind: true, Family: unix.AF_INET})
	require.NoError(t, err)
	require.NoError(t, l.Close())
}

// TestLogNonRoot runs the test binary again as nobody: binding a group
// needs CAP_NET_ADMIN, and the error is not mistaken for a busy group.
func TestLogNonRoot(t *testing.T) {
	if os.Getenv("NFLOG_NONROOT_CHILD") == "1" {
		_, err := nflog.Open(77, nil)
		fmt.Printf("RESULT eperm=%v busy=%v: %v\n", errors.Is(err, unix.EPERM), errors.Is(err, nflog.ErrBusy), err)
		return
	}
	out := nftest.RunAsNobody(t, "NFLOG_NONROOT_CHILD=1")
	require.Contains(t, out, "RESULT eperm=true busy=false", out)
}
