package nfqueue_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/netfilter/internal/nftest"
	"github.com/nlkit/nlkit/netfilter/nfqueue"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// udpPayload returns the UDP payload of an IPv4 packet.
func udpPayload(p []byte) []byte {
	if len(p) < 20 {
		return nil
	}
	ihl := int(p[0]&0xf) * 4
	if len(p) < ihl+8 {
		return nil
	}
	return p[ihl+8:]
}

// queueRule queues UDP to port to queue num in ns, in the mangle table
// (conntrack on, so the flows have entries); the filter table, later on
// the same hook, saves the packet mark a verdict set to the connection.
func queueRule(t *testing.T, ns *core.NetNS, port, num int) {
	t.Helper()
	nstest.Cmd(t, ns, "iptables-legacy", "-t", "mangle", "-A", "INPUT", "-p", "udp", "--dport", fmt.Sprint(port),
		"-m", "conntrack", "--ctstate", "NEW,ESTABLISHED", "-j", "NFQUEUE", "--queue-num", fmt.Sprint(num))
	nstest.Cmd(t, ns, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", fmt.Sprint(port),
		"-m", "mark", "!", "--mark", "0", "-j", "CONNMARK", "--save-mark")
}

// queueUDP makes two namespaces, queues UDP to port in B to queue num
// (queueRule) and opens the queue with cfg; it returns the namespaces,
// the queue, a listener on B and a sender in A.
func queueUDP(t *testing.T, port, num int, cfg nfqueue.Config) (*nftest.TwoNS, *nfqueue.Queue, *net.UDPConn, *net.UDPConn) {
	t.Helper()
	e := nftest.NewTwoNS(t)
	queueRule(t, e.B, port, num)
	cfg.NetNS = e.B
	q, err := nfqueue.Open(uint16(num), &cfg)
	require.NoError(t, err)
	t.Cleanup(func() { q.Close() })
	return e, q, e.Listen(t, port), e.Sender(t, port)
}

func TestQueueVerdicts(t *testing.T) {
	t.Parallel()
	e, q, rx, tx := queueUDP(t, 4000, 1, nfqueue.Config{CopyRange: 512, Flags: nfqueue.UIDGID})

	type seen struct {
		id      uint32
		payload string
		indev   uint32
		hook    nfqueue.Hook
	}
	got := make(chan seen, 16)
	errs := make(chan error, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for p, err := range q.Packets(ctx) {
			if err != nil {
				errs <- err
				if errors.Is(err, context.Canceled) || errors.Is(err, core.ErrClosed) {
					return
				}
				continue
			}
			body := udpPayload(p.Payload)
			got <- seen{p.ID, string(body), p.InDev, p.Hook}
			d := nfqueue.Decision{ID: p.ID, Verdict: nfqueue.Accept}
			switch {
			case strings.HasPrefix(string(body), "drop"):
				d.Verdict = nfqueue.Drop
			case strings.HasPrefix(string(body), "modify"):
				pl := slices.Clone(p.Payload)
				ihl := int(pl[0]&0xf) * 4
				copy(pl[ihl+8:], "MODIFY")
				pl[ihl+6], pl[ihl+7] = 0, 0 // no UDP checksum
				d.Payload = pl
			case strings.HasPrefix(string(body), "mark"):
				d.SetMark, d.Mark = true, 0x2a
			}
			if err := q.SetDecision(&d); err != nil {
				errs <- err
			}
		}
	}()
	msgs := []string{"accept-1", "drop-2", "modify-3", "mark-4", "accept-5"}
	for _, m := range msgs {
		_, err := tx.Write([]byte(m))
		require.NoError(t, err)
		select {
		case s := <-got:
			require.Equal(t, m, s.payload)
			require.NotZero(t, s.indev, "in device")
			require.Equal(t, nfqueue.HookInput, s.hook)
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(5 * time.Second):
			t.Fatalf("packet %q was not queued", m)
		}
	}
	arrived := nftest.RecvAll(rx, 500*time.Millisecond)
	require.Equal(t, []string{"accept-1", "MODIFY-3", "mark-4", "accept-5"}, arrived)
	out := nstest.Cmd(t, e.B, "conntrack", "-L", "-p", "udp", "--dport", "4000")
	require.Contains(t, out, "mark=42", out)
	cancel()
	for err := range errs {
		require.ErrorIs(t, err, context.Canceled)
		break
	}
}

func TestQueueBatchVerdicts(t *testing.T) {
	t.Parallel()
	_, q, rx, tx := queueUDP(t, 4001, 2, nfqueue.Config{CopyMode: nfqueue.CopyMeta})
	const n = 20
	for i := range n {
		_, err := tx.Write(fmt.Appendf(nil, "p%d", i))
		require.NoError(t, err)
	}
	// Read all n, then accept them with one batch verdict in one write.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last uint32
	count := 0
	for p, err := range q.Packets(ctx) {
		require.NoError(t, err)
		require.Empty(t, p.Payload, "meta copy mode carries no payload")
		last = p.ID
		if count++; count == n {
			break
		}
	}
	v := q.NewVerdicts()
	v.AddBatch(last, nfqueue.Accept, 0, false)
	require.Equal(t, 1, v.Len())
	require.NoError(t, v.Flush())
	require.Len(t, nftest.RecvAll(rx, 500*time.Millisecond), n)
}

func TestQueueFailOpen(t *testing.T) {
	t.Parallel()
	_, _, rx, tx := queueUDP(t, 4002, 3, nfqueue.Config{MaxLen: 1, Flags: nfqueue.FailOpen})
	// Nobody reads: the first packet waits in the queue, the rest find
	// it full and pass.
	for i := range 10 {
		_, err := tx.Write(fmt.Appendf(nil, "p%d", i))
		require.NoError(t, err)
	}
	got := nftest.RecvAll(rx, 500*time.Millisecond)
	require.Len(t, got, 9)
	require.NotContains(t, got, "p0")
}

func TestQueueToAnother(t *testing.T) {
	t.Parallel()
	e, q4, rx, tx := queueUDP(t, 4003, 4, nfqueue.Config{})
	q5, err := nfqueue.Open(5, &nfqueue.Config{NetNS: e.B})
	require.NoError(t, err)
	defer q5.Close()
	_, err = tx.Write([]byte("hop"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for p, err := range q4.Packets(ctx) {
		require.NoError(t, err)
		require.Equal(t, uint16(4), p.Queue)
		require.NoError(t, q4.SetVerdict(p.ID, nfqueue.QueueTo(5)))
		break
	}
	for p, err := range q5.Packets(ctx) {
		require.NoError(t, err)
		require.Equal(t, uint16(5), p.Queue)
		require.Equal(t, "hop", string(udpPayload(p.Payload)))
		require.NoError(t, q5.SetVerdict(p.ID, nfqueue.Accept))
		break
	}
	require.Equal(t, []string{"hop"}, nftest.RecvAll(rx, 500*time.Millisecond))
}

func TestQueueBusy(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	q, err := nfqueue.Open(9, &nfqueue.Config{NetNS: ns})
	require.NoError(t, err)
	defer q.Close()
	_, err = nfqueue.Open(9, &nfqueue.Config{NetNS: ns})
	require.ErrorIs(t, err, nfqueue.ErrBusy)
	require.ErrorIs(t, err, unix.EPERM)
	require.Contains(t, err.Error(), fmt.Sprintf("port %d", q.PortID()))
	// Once the first lets go, the queue is free.
	require.NoError(t, q.Close())
	q2, err := nfqueue.Open(9, &nfqueue.Config{NetNS: ns})
	require.NoError(t, err)
	require.NoError(t, q2.Close())
}

func TestQueueBadConfig(t *testing.T) {
	t.Parallel()
	_, err := nfqueue.Open(1, &nfqueue.Config{MaxLen: 1 << 20})
	require.ErrorContains(t, err, "at most 65536")
	_, err = nfqueue.Open(1, &nfqueue.Config{Flags: 1 << 9})
	require.ErrorContains(t, err, "unknown flags")
	_, err = nfqueue.Open(1, &nfqueue.Config{CopyMode: 7})
	require.ErrorContains(t, err, "copy mode")
}

func TestQueueCloseEndsLoop(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	q, err := nfqueue.Open(3, &nfqueue.Config{NetNS: ns})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		for _, err := range q.Packets(context.Background()) {
			done <- err
			return
		}
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, q.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, core.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the Packets loop")
	}
	require.ErrorIs(t, q.SetVerdict(1, nfqueue.Accept), core.ErrClosed)
}

// TestQueueVerdictWhileReading: a verdict sent while the reader is
// blocked goes out at once.
func TestQueueVerdictWhileReading(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	q, err := nfqueue.Open(6, &nfqueue.Config{NetNS: ns})
	require.NoError(t, err)
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 4)
	go func() {
		for _, err := range q.Packets(ctx) {
			errs <- err
			if errors.Is(err, context.Canceled) {
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	// No such packet: the kernel refuses it, and the refusal reaches
	// the reader, naming the packet. The send must return while the
	// reader waits (nothing else will ever wake it).
	sent := make(chan error, 1)
	go func() { sent <- q.SetVerdict(12345, nfqueue.Accept) }()
	select {
	case err := <-sent:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("SetVerdict waited for the blocked reader")
	}
	select {
	case err := <-errs:
		var ne *core.Error
		require.ErrorAs(t, err, &ne)
		require.Equal(t, unix.ENOENT, ne.Errno)
		require.Equal(t, uint32(12345), ne.Request.Sequence)
	case <-time.After(5 * time.Second):
		t.Fatal("the refused verdict was not reported")
	}
	cancel()
}

// TestQueueNonRoot runs the test binary again as nobody: binding a queue
// needs CAP_NET_ADMIN.
func TestQueueNonRoot(t *testing.T) {
	if os.Getenv("NFQUEUE_NONROOT_CHILD") == "1" {
		_, err := nfqueue.Open(77, nil)
		if err == nil {
			fmt.Println("RESULT ok")
			return
		}
		fmt.Printf("RESULT eperm=%v busy=%v: %v\n", errors.Is(err, unix.EPERM), errors.Is(err, nfqueue.ErrBusy), err)
		return
	}
	out := nftest.RunAsNobody(t, "NFQUEUE_NONROOT_CHILD=1")
	require.Contains(t, out, "RESULT eperm=true busy=false", out)
}

// TestQueueConntrackFlag: where the kernel has the conntrack glue, the
// flag is taken; where it has not (this CI kernel), the error says why.
func TestQueueConntrackFlag(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	q, err := nfqueue.Open(8, &nfqueue.Config{NetNS: ns, Flags: nfqueue.Conntrack})
	if err != nil {
		require.ErrorIs(t, err, unix.EOPNOTSUPP)
		require.ErrorContains(t, err, "CONFIG_NETFILTER_NETLINK_GLUE_CT")
		return
	}
	require.NoError(t, q.Close())
}

// TestQueueRepeat: a repeat verdict with a mark runs the hook again, where
// the mark keeps the packet from being queued twice.
func TestQueueRepeat(t *testing.T) {
	t.Parallel()
	e := nftest.NewTwoNS(t)
	nstest.Cmd(t, e.B, "iptables-legacy", "-t", "mangle", "-A", "INPUT", "-p", "udp", "--dport", "4004",
		"-m", "mark", "--mark", "0", "-j", "NFQUEUE", "--queue-num", "7")
	q, err := nfqueue.Open(7, &nfqueue.Config{NetNS: e.B})
	require.NoError(t, err)
	defer q.Close()
	rx := e.Listen(t, 4004)
	tx := e.Sender(t, 4004)
	_, err = tx.Write([]byte("again"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := 0
	for p, err := range q.Packets(ctx) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		seen++
		require.False(t, p.HasMark, "a marked packet was queued again")
		require.NoError(t, q.SetDecision(&nfqueue.Decision{ID: p.ID, Verdict: nfqueue.Repeat, SetMark: true, Mark: 1}))
		// Wait a little for a second (wrong) visit, then stop.
		cancel2 := time.AfterFunc(300*time.Millisecond, cancel)
		defer cancel2.Stop()
	}
	require.Equal(t, 1, seen)
	require.Equal(t, []string{"again"}, nftest.RecvAll(rx, 500*time.Millisecond))
}

// TestQueueVerdictAllocs: sending verdicts allocates nothing.
func TestQueueVerdictAllocs(t *testing.T) {
	ns := nstest.New(t)
	q, err := nfqueue.Open(11, &nfqueue.Config{NetNS: ns})
	require.NoError(t, err)
	defer q.Close()
	// Unknown IDs: the kernel refuses them into our unread socket.
	require.Zero(t, testing.AllocsPerRun(50, func() { q.SetVerdict(1<<30, nfqueue.Accept) }))
	require.Zero(t, testing.AllocsPerRun(50, func() { q.SetVerdictBatch(1<<30, nfqueue.Accept, 1, true) }))
	v := q.NewVerdicts()
	d := nfqueue.Decision{ID: 1 << 30, Verdict: nfqueue.Drop, SetMark: true, Mark: 3}
	require.Zero(t, testing.AllocsPerRun(50, func() {
		v.Add(1<<30, nfqueue.Accept)
		v.AddDecision(&d)
		v.Flush()
	}))
}
