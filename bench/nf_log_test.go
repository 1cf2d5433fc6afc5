package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	gonflog "github.com/florianl/go-nflog/v2"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter/nflog"
	"golang.org/x/sys/unix"
)

// NFLOG with one packet per message (qthresh 1), 128-byte copies.
//
// stream: the sender writes b.N datagrams at 140k/s while the
// consumer reads, every consumer with a 4 MiB socket buffer (nlkit's
// default; go-nflog's own setter could not go past rmem_max): loss-% is
// the share of logged packets the consumer never saw, pkts/s what it
// took per second from the first send to the last packet.
//
// drained: nfDrainBatch packets are logged into a 256 MiB socket buffer
// while the consumer holds the first one, then it is let go: pkts/s is
// its rate.
//
//	go test -run '^$' -bench NFLog -benchtime 200000x -count 6 ./bench

const nfLogStreamBuf = 4 << 20

// nfLogRate is the stream's sending rate, where the issue saw go-nflog
// lose half the packets.
const nfLogRate = 140_000

// nfLogConsumer reads packets, adding each to got, until stop.
type nfLogConsumer interface {
	// start begins reading in the background; hold, when not nil, makes
	// the first packet wait until it is closed (for consumers that
	// cannot be told to hold off reading).
	start(got *atomic.Int64, held chan<- struct{}, hold <-chan struct{}) error
	// portID is the socket's netlink port, to watch its receive queue.
	portID() uint32
	close()
}

func BenchmarkNFLog(b *testing.B) {
	for _, v := range []struct {
		name string
		open func(ns *core.NetNS, rcvbuf int) (nfLogConsumer, error)
	}{
		{"raw", newNFLogRaw},
		{"nlkit", newNFLogNlkit},
		{"go-nflog", newNFLogPeer},
	} {
		for _, mode := range []string{"stream", "drained"} {
			b.Run(mode+"/"+v.name, func(b *testing.B) {
				a, bns := nfNamespaces(b)
				b.ReportAllocs()
				if mode == "stream" {
					benchNFLogStream(b, a, bns, v.open)
				} else {
					benchNFLogDrained(b, a, bns, v.open)
				}
			})
		}
	}
}

// nfLogWait polls got until it reaches n or stops moving for quiet, and
// returns its last value and when it last moved.
func nfLogWait(got *atomic.Int64, n int64, quiet time.Duration) (int64, time.Time) {
	last, at := got.Load(), time.Now()
	for {
		time.Sleep(time.Millisecond)
		v := got.Load()
		if v != last {
			last, at = v, time.Now()
		}
		if v >= n || time.Since(at) > quiet {
			return v, at
		}
	}
}

func benchNFLogStream(b *testing.B, a, bns *core.NetNS, open func(*core.NetNS, int) (nfLogConsumer, error)) {
	c, err := open(bns, nfLogStreamBuf)
	if err != nil {
		b.Fatal(err)
	}
	defer c.close()
	var got atomic.Int64
	if err := c.start(&got, nil, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	s, err := nfSendPaced(a, nfLogPort, b.N, nfLogRate)
	if err != nil {
		b.Fatal(err)
	}
	<-s.done
	if s.err != nil {
		b.Fatal(s.err)
	}
	sent := time.Since(start)
	n, at := nfLogWait(&got, int64(b.N), 300*time.Millisecond)
	b.StopTimer()
	b.ReportMetric(100*(1-float64(n)/float64(s.sent.Load())), "loss-%")
	b.ReportMetric(float64(n)/at.Sub(start).Seconds(), "pkts/s")
	b.ReportMetric(float64(s.sent.Load())/sent.Seconds(), "sent/s")
}

func benchNFLogDrained(b *testing.B, a, bns *core.NetNS, open func(*core.NetNS, int) (nfLogConsumer, error)) {
	var spent time.Duration
	var done, lost int64
	b.ResetTimer()
	for done < int64(b.N) {
		b.StopTimer()
		c, err := open(bns, nfRcvBuf)
		if err != nil {
			b.Fatal(err)
		}
		var got atomic.Int64
		held := make(chan struct{}, 1)
		hold := make(chan struct{})
		if err := c.start(&got, held, hold); err != nil {
			b.Fatal(err)
		}
		n := min(nfDrainBatch, b.N-int(done))
		// The first packet shows the consumer is bound and reading (and
		// holds it, for those that cannot wait otherwise); then the rest.
		s, err := nfSend(a, nfLogPort, 1)
		if err != nil {
			b.Fatal(err)
		}
		<-s.done
		select {
		case <-held:
		case <-time.After(10 * time.Second):
			b.Fatal("the consumer did not see the first packet")
		}
		nfFill(b, a, nfLogPort, n, nfLogRmemWatch(bns, c.portID()))
		b.StartTimer()
		start := time.Now()
		close(hold)
		v, at := nfLogWait(&got, int64(n), 200*time.Millisecond)
		b.StopTimer()
		c.close()
		spent += at.Sub(start)
		done += v
		lost += int64(n) - v
		if v == 0 {
			b.Fatal("no packets were drained")
		}
	}
	b.ReportMetric(float64(done)/spent.Seconds(), "pkts/s")
	b.ReportMetric(100*float64(lost)/float64(done+lost), "loss-%")
}

// nfLogRmemWatch returns a wait function for nfFill: a counter that
// grows while the socket's receive queue (/proc/net/netlink Rmem) grows
// and stops when it stops.
func nfLogRmemWatch(ns *core.NetNS, port uint32) func() int {
	return func() int {
		var data []byte
		ns.Do(func() error {
			var err error
			data, err = os.ReadFile("/proc/thread-self/net/netlink")
			return err
		})
		sc := bufio.NewScanner(bytes.NewReader(data))
		want := strconv.FormatUint(uint64(port), 10)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 4 && f[1] == "12" && f[2] == want {
				v, _ := strconv.Atoi(f[4])
				return -1 - v // never reaches n: nfFill returns once it is stable
			}
		}
		return -1
	}
}

// nfLogRaw is the floor: a blocking socket, recvmmsg of 64 datagrams.
type nfLogRaw struct {
	fd    int
	port  uint32
	slot  int
	arena []byte
	iovs  []unix.Iovec
	hdrs  []nfMmsghdr
	stop  atomic.Bool
	done  chan struct{}
}

func newNFLogRaw(ns *core.NetNS, rcvbuf int) (nfLogConsumer, error) {
	fd, err := nfRawNetfilter(ns, rcvbuf)
	if err != nil {
		return nil, err
	}
	tv := unix.Timeval{Usec: 50_000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	var attrs []byte
	attrs = nfAttr(attrs, 1, []byte{1})                                                     // NFULA_CFG_CMD: BIND
	attrs = nfAttr(attrs, 2, append(binary.BigEndian.AppendUint32(nil, nfCopyRange), 2, 0)) // NFULA_CFG_MODE: packet
	attrs = nfAttr(attrs, 5, binary.BigEndian.AppendUint32(nil, 1))                         // NFULA_CFG_QTHRESH
	if err := nfRawConfig(fd, 4, 1, nfLogGroup, attrs); err != nil {
		unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	r := &nfLogRaw{fd: fd, port: sa.(*unix.SockaddrNetlink).Pid, slot: 4096, done: make(chan struct{})}
	const vlen = 64
	r.arena, r.iovs, r.hdrs = nfRecvArena(vlen, r.slot)
	return r, nil
}

func (r *nfLogRaw) start(got *atomic.Int64, held chan<- struct{}, hold <-chan struct{}) error {
	go func() {
		defer close(r.done)
		first := held != nil
		for !r.stop.Load() {
			k, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), unix.MSG_WAITFORONE, 0, 0)
			if e != 0 {
				continue // EAGAIN (the timeout), ENOBUFS, EINTR
			}
			n := int64(0)
			for i := 0; i < int(k); i++ {
				d := r.arena[i*r.slot : i*r.slot+int(r.hdrs[i].len)]
				for off := 0; off+16 <= len(d); {
					l := int(binary.NativeEndian.Uint32(d[off:]))
					if l < 16 || off+l > len(d) {
						break
					}
					if binary.NativeEndian.Uint16(d[off+4:]) == 4<<8 {
						n++
					}
					off += (l + 3) &^ 3
				}
			}
			if first && n > 0 {
				first = false
				held <- struct{}{}
				<-hold
				n-- // the first packet is not counted
			}
			got.Add(n)
		}
	}()
	return nil
}

func (r *nfLogRaw) portID() uint32 { return r.port }

func (r *nfLogRaw) close() {
	r.stop.Store(true)
	<-r.done
	unix.Close(r.fd)
}

type nfLogNlkit struct {
	l      *nflog.Log
	cancel context.CancelFunc
	done   chan struct{}
}

func newNFLogNlkit(ns *core.NetNS, rcvbuf int) (nfLogConsumer, error) {
	l, err := nflog.Open(nfLogGroup, &nflog.Config{NetNS: ns, CopyRange: nfCopyRange, QThresh: 1, ReadBuffer: rcvbuf})
	if err != nil {
		return nil, err
	}
	return &nfLogNlkit{l: l, done: make(chan struct{})}, nil
}

func (c *nfLogNlkit) start(got *atomic.Int64, held chan<- struct{}, hold <-chan struct{}) error {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		first := held != nil
		n := int64(0)
		for p, err := range c.l.Packets(ctx) {
			if err != nil {
				if errors.Is(err, core.ErrOverrun) {
					continue
				}
				return
			}
			if first {
				first = false
				held <- struct{}{}
				<-hold
				continue
			}
			_ = p.Prefix
			n++
			if p.Remaining == 0 || n == 256 {
				got.Add(n)
				n = 0
			}
		}
	}()
	return nil
}

func (c *nfLogNlkit) portID() uint32 { return c.l.PortID() }

func (c *nfLogNlkit) close() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	c.l.Close()
}

type nfLogPeer struct {
	nf     *gonflog.Nflog
	ns     *core.NetNS
	cancel context.CancelFunc
	port   uint32
}

func newNFLogPeer(ns *core.NetNS, rcvbuf int) (nfLogConsumer, error) {
	nf, err := gonflog.Open(&gonflog.Config{
		Group:    nfLogGroup,
		Copymode: gonflog.CopyPacket,
		Bufsize:  nfCopyRange,
		QThresh:  1,
		NetNS:    ns.FD(),
	})
	if err != nil {
		return nil, err
	}
	if rc, err := nf.Con.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) })
	}
	var port uint32
	if rc, err := nf.Con.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			if sa, err := unix.Getsockname(int(fd)); err == nil {
				port = sa.(*unix.SockaddrNetlink).Pid
			}
		})
	}
	return &nfLogPeer{nf: nf, ns: ns, port: port}, nil
}

func (c *nfLogPeer) start(got *atomic.Int64, held chan<- struct{}, hold <-chan struct{}) error {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	first := held != nil
	fn := func(a gonflog.Attribute) int {
		if first {
			first = false
			held <- struct{}{}
			<-hold
			return 0
		}
		got.Add(1)
		return 0
	}
	return c.nf.RegisterWithErrorFunc(ctx, fn, func(error) int { return 0 })
}

func (c *nfLogPeer) portID() uint32 { return c.port }

func (c *nfLogPeer) close() {
	if c.cancel != nil {
		c.cancel()
	}
	c.nf.Close()
}
