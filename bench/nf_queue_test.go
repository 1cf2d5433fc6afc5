package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	gonfqueue "github.com/florianl/go-nfqueue/v2"
	mdnetlink "github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/netfilter/nfqueue"
	"golang.org/x/sys/unix"
)

// The NFQUEUE and NFLOG benchmarks run real UDP traffic between two
// namespaces joined by a veth pair: a sender goroutine in nf-a
// (192.0.2.1) writes 64-byte datagrams to nf-b (192.0.2.2), where
// iptables-legacy rules in the raw table queue or log them, and a rule in
// mangle drops what was accepted (no socket, no ICMP). Every consumer
// copies 128 bytes of each packet and accepts it.
//
//	go test -run '^$' -bench 'NFQueue|NFLog' -benchtime 200000x -count 6 ./bench

const (
	nfQueueNum   = 10
	nfQueuePort  = 7000
	nfLogGroup   = 10
	nfLogPort    = 7001
	nfCopyRange  = 128
	nfPayloadLen = 64
	nfDrainBatch = 50_000 // packets per fill of the drained benchmarks
	nfRcvBuf     = 256 << 20
)

var nfEnvs struct {
	mu   sync.Mutex
	a, b *core.NetNS
	err  error
}

// nfNamespaces returns the sender and receiver namespaces, made once.
func nfNamespaces(b *testing.B) (*core.NetNS, *core.NetNS) {
	b.Helper()
	nstest.Require(b)
	nfEnvs.mu.Lock()
	defer nfEnvs.mu.Unlock()
	if nfEnvs.a == nil && nfEnvs.err == nil {
		nfEnvs.a, nfEnvs.b, nfEnvs.err = nfSetup()
	}
	if nfEnvs.err != nil {
		b.Fatalf("setup of the netfilter namespaces: %v", nfEnvs.err)
	}
	return nfEnvs.a, nfEnvs.b
}

func nfSetup() (*core.NetNS, *core.NetNS, error) {
	envs.mu.Lock()
	a, err := newBenchNS("nfa")
	var bns *core.NetNS
	if err == nil {
		bns, err = newBenchNS("nfb")
	}
	envs.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	run := func(args ...string) error {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	an, bn := a.Name(), bns.Name()
	ipt := func(args ...string) error {
		return run(append([]string{"ip", "netns", "exec", bn, "iptables-legacy"}, args...)...)
	}
	for _, c := range [][]string{
		{"ip", "-n", an, "link", "add", "nfa0", "type", "veth", "peer", "name", "nfb0", "netns", bn},
		{"ip", "-n", an, "addr", "add", "192.0.2.1/24", "dev", "nfa0"},
		{"ip", "-n", bn, "addr", "add", "192.0.2.2/24", "dev", "nfb0"},
		{"ip", "-n", an, "link", "set", "nfa0", "up"},
		{"ip", "-n", bn, "link", "set", "nfb0", "up"},
		{"ip", "-n", an, "link", "set", "lo", "up"},
		{"ip", "-n", bn, "link", "set", "lo", "up"},
		// No ARP on the hot path.
		{"ip", "-n", an, "neigh", "replace", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "nfa0"},
		{"ip", "-n", bn, "link", "set", "nfb0", "address", "02:00:00:00:00:02"},
	} {
		if err := run(c...); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range [][]string{
		{"-t", "raw", "-A", "PREROUTING", "-p", "udp", "--dport", strconv.Itoa(nfQueuePort), "-j", "NFQUEUE", "--queue-num", strconv.Itoa(nfQueueNum)},
		{"-t", "raw", "-A", "PREROUTING", "-p", "udp", "--dport", strconv.Itoa(nfLogPort), "-j", "NFLOG", "--nflog-group", strconv.Itoa(nfLogGroup), "--nflog-prefix", "bench"},
		{"-t", "raw", "-A", "PREROUTING", "-p", "udp", "--dport", strconv.Itoa(nfLogPort), "-j", "DROP"},
		{"-t", "mangle", "-A", "PREROUTING", "-p", "udp", "--dport", strconv.Itoa(nfQueuePort), "-j", "DROP"},
	} {
		if err := ipt(r...); err != nil {
			return nil, nil, err
		}
	}
	return a, bns, nil
}

// nfSender sends datagrams to port from ns, 64 per sendmmsg, until stop
// is closed (count < 0) or count datagrams went out; done is closed at the
// end and sent holds the number sent.
type nfSender struct {
	stop chan struct{}
	done chan struct{}
	sent atomic.Int64
	err  error
}

func nfSend(ns *core.NetNS, port int, count int) (*nfSender, error) {
	return nfSendPaced(ns, port, count, 0)
}

// nfSendPaced is nfSend at rate datagrams a second at most (0: as fast as
// it can).
func nfSendPaced(ns *core.NetNS, port int, count int, rate int) (*nfSender, error) {
	var fd int
	if err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	}); err != nil {
		return nil, err
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{192, 0, 2, 2}}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, 8<<20)
	s := &nfSender{stop: make(chan struct{}), done: make(chan struct{})}
	const vlen = 64
	bufs := make([]byte, vlen*nfPayloadLen)
	iovs := make([]unix.Iovec, vlen)
	hdrs := make([]nfMmsghdr, vlen)
	for i := range hdrs {
		iovs[i].Base = &bufs[i*nfPayloadLen]
		iovs[i].SetLen(nfPayloadLen)
		hdrs[i].hdr.Iov = &iovs[i]
		hdrs[i].hdr.SetIovlen(1)
	}
	go func() {
		defer close(s.done)
		defer unix.Close(fd)
		begin := time.Now()
		for sent := 0; count < 0 || sent < count; {
			if rate > 0 {
				if due := begin.Add(time.Duration(sent) * time.Second / time.Duration(rate)); time.Until(due) > 0 {
					time.Sleep(time.Until(due))
				}
			}
			select {
			case <-s.stop:
				return
			default:
			}
			n := vlen
			if count >= 0 && count-sent < n {
				n = count - sent
			}
			for i := range n {
				binary.BigEndian.PutUint64(bufs[i*nfPayloadLen:], uint64(sent+i))
			}
			k, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), 0, 0, 0)
			if e != 0 {
				if e == unix.ENOBUFS || e == unix.EPERM || e == unix.EINTR || e == unix.EAGAIN {
					continue
				}
				s.err = e
				return
			}
			sent += int(k)
			s.sent.Add(int64(k))
		}
	}()
	return s, nil
}

func (s *nfSender) halt() {
	close(s.stop)
	<-s.done
}

// nfQueueTotal reads how many packets wait in queue num in ns.
func nfQueueTotal(ns *core.NetNS, num int) int {
	var data []byte
	ns.Do(func() error {
		var err error
		data, err = os.ReadFile("/proc/thread-self/net/netfilter/nfnetlink_queue")
		return err
	})
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 2 && f[0] == strconv.Itoa(num) {
			n, _ := strconv.Atoi(f[2])
			return n
		}
	}
	return -1
}

// nfFill sends n datagrams and waits until wait() reports them all (or
// stops growing).
func nfFill(b *testing.B, ns *core.NetNS, port, n int, wait func() int) int {
	s, err := nfSend(ns, port, n)
	if err != nil {
		b.Fatal(err)
	}
	<-s.done
	if s.err != nil {
		b.Fatal(s.err)
	}
	last, same := -1, 0
	for {
		got := wait()
		if got >= n {
			return got
		}
		if got == last {
			if same++; same > 20 {
				return got
			}
		} else {
			same = 0
		}
		last = got
		time.Sleep(5 * time.Millisecond)
	}
}

func nfReport(b *testing.B, packets int, spent time.Duration) {
	b.ReportMetric(float64(packets)/spent.Seconds(), "pkts/s")
}

func BenchmarkNFQueue(b *testing.B) {
	for _, v := range []struct {
		name string
		run  func(b *testing.B, a, bns *core.NetNS, drained bool)
	}{
		{"raw-recvmsg", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueueRaw(b, a, bns, 1, drained) }},
		{"raw-recvmmsg", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueueRaw(b, a, bns, 64, drained) }},
		{"nlkit", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueueNlkit(b, a, bns, false, drained) }},
		{"nlkit-batch", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueueNlkit(b, a, bns, true, drained) }},
		{"go-nfqueue", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueuePeer(b, a, bns, false, drained) }},
		{"go-nfqueue-batch", func(b *testing.B, a, bns *core.NetNS, drained bool) { benchNFQueuePeer(b, a, bns, true, drained) }},
	} {
		for _, mode := range []string{"stream", "drained"} {
			b.Run(mode+"/"+v.name, func(b *testing.B) {
				a, bns := nfNamespaces(b)
				v.run(b, a, bns, mode == "drained")
			})
		}
	}
}

// nfqConsumer is one way of taking n packets and accepting them.
type nfqConsumer func(n int) error

// benchNFQueueRun drives a consumer: streaming, b.N packets while the
// sender runs; drained, fills of nfDrainBatch packets with the consumer
// timed only while it empties the queue.
func benchNFQueueRun(b *testing.B, a, bns *core.NetNS, drained bool, consume nfqConsumer) {
	b.ReportAllocs()
	if !drained {
		s, err := nfSend(a, nfQueuePort, -1)
		if err != nil {
			b.Fatal(err)
		}
		defer s.halt()
		b.ResetTimer()
		start := time.Now()
		if err := consume(b.N); err != nil {
			b.Fatal(err)
		}
		spent := time.Since(start)
		b.StopTimer()
		nfReport(b, b.N, spent)
		return
	}
	var spent time.Duration
	done := 0
	b.ResetTimer()
	for done < b.N {
		b.StopTimer()
		want := min(nfDrainBatch, b.N-done)
		got := nfFill(b, a, nfQueuePort, want, func() int { return nfQueueTotal(bns, nfQueueNum) })
		if got < want {
			b.Fatalf("the queue holds %d packets, %d were sent", got, want)
		}
		b.StartTimer()
		start := time.Now()
		if err := consume(got); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		done += got
	}
	b.StopTimer()
	nfReport(b, done, spent)
}

// nfRawQueue is the floor: a blocking NETLINK_NETFILTER socket driven
// with bare system calls, reading with recvmmsg (vlen 1: one datagram per
// call) and accepting with one batch verdict per read.
type nfRawQueue struct {
	fd    int
	slot  int
	arena []byte
	iovs  []unix.Iovec
	hdrs  []nfMmsghdr
	vmsg  []byte
}

type nfMmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

func nfRawNetfilter(ns *core.NetNS, rcvbuf int) (int, error) {
	fd, err := rawSocketIn(ns, unix.NETLINK_NETFILTER)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
		unix.Close(fd)
		return -1, err
	}
	// A receive that waits longer than this fails the benchmark.
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// nfRawConfig sends one config message (subsystem sub, message type msg)
// and reads its ACK.
func nfRawConfig(fd int, sub, msg uint8, resID uint16, attrs []byte) error {
	b := make([]byte, 20, 20+len(attrs))
	binary.NativeEndian.PutUint16(b[4:], uint16(sub)<<8|uint16(msg))
	binary.NativeEndian.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(b[8:], 1)
	binary.BigEndian.PutUint16(b[18:], resID)
	b = append(b, attrs...)
	binary.NativeEndian.PutUint32(b, uint32(len(b)))
	if err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		for off := 0; off+20 <= n; {
			l := int(binary.NativeEndian.Uint32(buf[off:]))
			if l < 16 || off+l > n {
				break
			}
			if binary.NativeEndian.Uint16(buf[off+4:]) == unix.NLMSG_ERROR && binary.NativeEndian.Uint32(buf[off+8:]) == 1 {
				if e := int32(binary.NativeEndian.Uint32(buf[off+16:])); e != 0 {
					return unix.Errno(-e)
				}
				return nil
			}
			off += (l + 3) &^ 3
		}
	}
}

func nfAttr(b []byte, typ uint16, v []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(v)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)&3 != 0 {
		b = append(b, 0)
	}
	return b
}

func newNFRawQueue(ns *core.NetNS, vlen int) (*nfRawQueue, error) {
	fd, err := nfRawNetfilter(ns, nfRcvBuf)
	if err != nil {
		return nil, err
	}
	var attrs []byte
	attrs = nfAttr(attrs, 1, []byte{1, 0, 0, 0}) // NFQA_CFG_CMD: BIND
	params := binary.BigEndian.AppendUint32(nil, nfCopyRange)
	attrs = nfAttr(attrs, 2, append(params, 2))                         // NFQA_CFG_PARAMS: COPY_PACKET
	attrs = nfAttr(attrs, 3, binary.BigEndian.AppendUint32(nil, 65536)) // NFQA_CFG_QUEUE_MAXLEN
	if err := nfRawConfig(fd, 3, 2, nfQueueNum, attrs); err != nil {    // NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG
		unix.Close(fd)
		return nil, fmt.Errorf("bind queue: %w", err)
	}
	r := &nfRawQueue{fd: fd, slot: 2048}
	r.arena, r.iovs, r.hdrs = nfRecvArena(vlen, r.slot)
	// NFQNL_MSG_VERDICT_BATCH with NFQA_VERDICT_HDR {NF_ACCEPT, id}.
	r.vmsg = make([]byte, 32)
	binary.NativeEndian.PutUint32(r.vmsg, 32)
	binary.NativeEndian.PutUint16(r.vmsg[4:], 3<<8|3)
	binary.NativeEndian.PutUint16(r.vmsg[6:], unix.NLM_F_REQUEST)
	binary.BigEndian.PutUint16(r.vmsg[18:], nfQueueNum)
	binary.NativeEndian.PutUint16(r.vmsg[20:], 12)
	binary.NativeEndian.PutUint16(r.vmsg[22:], 2)
	binary.BigEndian.PutUint32(r.vmsg[24:], 1)
	return r, nil
}

func (r *nfRawQueue) verdict(id uint32) error {
	binary.BigEndian.PutUint32(r.vmsg[28:], id)
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(r.fd), uintptr(unsafe.Pointer(&r.vmsg[0])), uintptr(len(r.vmsg)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func (r *nfRawQueue) consume(n int) error {
	handled := 0
	var pending uint32
	havePending := false
	vlen := len(r.hdrs)
	for handled < n {
		flags := unix.MSG_DONTWAIT
		if vlen > 1 && !havePending {
			flags = unix.MSG_WAITFORONE
		}
		k, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(vlen), uintptr(flags), 0, 0)
		if e == unix.EAGAIN && flags == unix.MSG_DONTWAIT {
			if havePending {
				if err := r.verdict(pending); err != nil {
					return err
				}
				havePending = false
			}
			k, _, e = unix.Syscall6(unix.SYS_RECVMMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(vlen), unix.MSG_WAITFORONE, 0, 0)
		}
		if e == unix.ENOBUFS || e == unix.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("recvmmsg after %d of %d packets: %w", handled, n, e)
		}
		for i := 0; i < int(k); i++ {
			d := r.arena[i*r.slot : i*r.slot+int(r.hdrs[i].len)]
			// nlmsghdr, nfgenmsg, then NFQA_PACKET_HDR first: the ID.
			if len(d) < 28 || binary.NativeEndian.Uint16(d[4:]) != 3<<8 {
				continue
			}
			pending, havePending = binary.BigEndian.Uint32(d[24:]), true
			handled++
		}
		if vlen > 1 || handled%64 == 0 {
			if err := r.verdict(pending); err != nil {
				return err
			}
			havePending = false
		}
	}
	if havePending {
		return r.verdict(pending)
	}
	return nil
}

func benchNFQueueRaw(b *testing.B, a, bns *core.NetNS, vlen int, drained bool) {
	r, err := newNFRawQueue(bns, vlen)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(r.fd)
	benchNFQueueRun(b, a, bns, drained, r.consume)
}

func benchNFQueueNlkit(b *testing.B, a, bns *core.NetNS, batch, drained bool) {
	consume, closeQ, err := nfNlkitConsumer(bns, batch)
	if err != nil {
		b.Fatal(err)
	}
	defer closeQ()
	benchNFQueueRun(b, a, bns, drained, consume)
}

// nfNlkitConsumer binds the queue with nlkit and returns a consumer that
// accepts n packets: one verdict message each, all in one write when the
// socket is drained, or (batch) one batch verdict per drain.
func nfNlkitConsumer(bns *core.NetNS, batch bool) (nfqConsumer, func(), error) {
	q, err := nfqueue.Open(nfQueueNum, &nfqueue.Config{NetNS: bns, CopyRange: nfCopyRange, MaxLen: 65536, ReadBuffer: nfRcvBuf})
	if err != nil {
		return nil, nil, err
	}
	v := q.NewVerdicts()
	consume := func(n int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		i := 0
		for p, err := range q.Packets(ctx) {
			if err != nil {
				if errors.Is(err, core.ErrOverrun) {
					continue
				}
				return fmt.Errorf("after %d of %d packets: %w", i, n, err)
			}
			i++
			if batch {
				if p.Remaining == 0 || i == n {
					v.AddBatch(p.ID, nfqueue.Accept, 0, false)
				}
			} else {
				v.Add(p.ID, nfqueue.Accept)
			}
			if p.Remaining == 0 || v.Len() >= 256 || i == n {
				if err := v.Flush(); err != nil {
					return err
				}
			}
			if i == n {
				break
			}
		}
		return nil
	}
	return consume, func() { q.Close() }, nil
}

// BenchmarkNFQueuePaired answers "how far is nlkit from the raw floor" on
// a loaded machine: each op runs every consumer on its own fill (drained)
// or its own share of the traffic (stream) of nfPairedFill packets, back
// to back in a rotating order, and reports each one's rate and its ratio
// to the raw recvmmsg loop's (VARIANT/raw: above 1 is faster).
//
//	go test -run '^$' -bench NFQueuePaired -benchtime 10x -count 6 ./bench
func BenchmarkNFQueuePaired(b *testing.B) {
	const nfPairedFill = 20_000
	for _, mode := range []string{"stream", "drained"} {
		b.Run(mode, func(b *testing.B) {
			a, bns := nfNamespaces(b)
			type variant struct {
				name string
				open func() (nfqConsumer, func(), error)
			}
			vs := []variant{
				{"raw", func() (nfqConsumer, func(), error) {
					r, err := newNFRawQueue(bns, 64)
					if err != nil {
						return nil, nil, err
					}
					return r.consume, func() { unix.Close(r.fd) }, nil
				}},
				{"nlkit", func() (nfqConsumer, func(), error) { return nfNlkitConsumer(bns, false) }},
				{"nlkit-batch", func() (nfqConsumer, func(), error) { return nfNlkitConsumer(bns, true) }},
			}
			if mode == "stream" {
				s, err := nfSend(a, nfQueuePort, -1)
				if err != nil {
					b.Fatal(err)
				}
				defer s.halt()
			}
			spent := make([]time.Duration, len(vs))
			packets := make([]int, len(vs))
			i := 0
			for b.Loop() {
				for k := range vs {
					j := (i + k) % len(vs)
					consume, closeQ, err := vs[j].open()
					if err != nil {
						b.Fatal(err)
					}
					n := nfPairedFill
					if mode == "drained" {
						n = nfFill(b, a, nfQueuePort, nfPairedFill, func() int { return nfQueueTotal(bns, nfQueueNum) })
					}
					start := time.Now()
					if err := consume(n); err != nil {
						b.Fatalf("%s: %v", vs[j].name, err)
					}
					spent[j] += time.Since(start)
					packets[j] += n
					closeQ()
				}
				i++
			}
			rate := func(j int) float64 { return float64(packets[j]) / spent[j].Seconds() }
			b.ReportMetric(rate(0), "raw-pkts/s")
			for j := 1; j < len(vs); j++ {
				b.ReportMetric(rate(j), vs[j].name+"-pkts/s")
				b.ReportMetric(rate(j)/rate(0), vs[j].name+"/raw")
			}
		})
	}
}

func benchNFQueuePeer(b *testing.B, a, bns *core.NetNS, batch, drained bool) {
	nf, err := gonfqueue.Open(&gonfqueue.Config{
		NfQueue:      nfQueueNum,
		MaxPacketLen: nfCopyRange,
		MaxQueueLen:  65536,
		Copymode:     gonfqueue.NfQnlCopyPacket,
		NetNS:        bns.FD(),
		WriteTimeout: 10 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer nf.Close()
	if rc, err := nf.Con.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, nfRcvBuf) })
	}
	nf.SetOption(mdnetlink.NoENOBUFS, true)
	var (
		mu     sync.Mutex
		want   int
		count  int
		doneCh = make(chan struct{}, 1)
	)
	fn := func(attr gonfqueue.Attribute) int {
		id := *attr.PacketID
		mu.Lock()
		count++
		c, w := count, want
		mu.Unlock()
		if !batch {
			nf.SetVerdict(id, gonfqueue.NfAccept)
		} else if c%64 == 0 || c == w {
			nf.SetVerdictBatch(id, gonfqueue.NfAccept)
		}
		if c == w {
			doneCh <- struct{}{}
		}
		return 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	consume := func(n int) error {
		mu.Lock()
		count, want = 0, n
		mu.Unlock()
		select {
		case <-doneCh:
			return nil
		case <-time.After(30 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			return fmt.Errorf("go-nfqueue handled %d of %d packets in 30 s", count, n)
		}
	}
	if drained {
		// go-nfqueue binds the queue when the hook is registered and
		// reads from then on: to let the queue fill, the hook holds the
		// first packet of each fill until the rest are queued.
		var gate chan struct{}
		held := make(chan struct{}, 1)
		gated := func(attr gonfqueue.Attribute) int {
			mu.Lock()
			g := gate
			gate = nil
			mu.Unlock()
			if g != nil {
				held <- struct{}{}
				<-g
			}
			return fn(attr)
		}
		mu.Lock()
		want = -1
		mu.Unlock()
		if err := nf.RegisterWithErrorFunc(ctx, gated, func(error) int { return 0 }); err != nil {
			b.Fatal(err)
		}
		var spent time.Duration
		done := 0
		b.ReportAllocs()
		b.ResetTimer()
		for done < b.N {
			b.StopTimer()
			n := min(nfDrainBatch, b.N-done)
			g := make(chan struct{})
			mu.Lock()
			gate, count, want = g, 0, -1
			mu.Unlock()
			nfFill(b, a, nfQueuePort, 1, func() int { return nfQueueTotal(bns, nfQueueNum) })
			select {
			case <-held:
			case <-time.After(10 * time.Second):
				b.Fatal("go-nfqueue did not read the first packet")
			}
			got := nfFill(b, a, nfQueuePort, n-1, func() int { return nfQueueTotal(bns, nfQueueNum) - 1 }) + 1
			mu.Lock()
			want = got
			mu.Unlock()
			b.StartTimer()
			start := time.Now()
			close(g)
			select {
			case <-doneCh:
			case <-time.After(30 * time.Second):
				b.Fatalf("go-nfqueue did not drain %d packets in 30 s", got)
			}
			spent += time.Since(start)
			done += got
		}
		b.StopTimer()
		nfReport(b, done, spent)
		return
	}
	mu.Lock()
	want = -1
	mu.Unlock()
	if err := nf.RegisterWithErrorFunc(ctx, fn, func(error) int { return 0 }); err != nil {
		b.Fatal(err)
	}
	benchNFQueueRun(b, a, bns, false, consume)
}

// nfRecvArena returns vlen slots of slot bytes in one arena, and the iovecs
// and mmsghdrs recvmmsg fills them through, one slot a message.
func nfRecvArena(vlen, slot int) (arena []byte, iovs []unix.Iovec, hdrs []nfMmsghdr) {
	arena = make([]byte, vlen*slot)
	iovs = make([]unix.Iovec, vlen)
	hdrs = make([]nfMmsghdr, vlen)
	for i := range hdrs {
		iovs[i].Base = &arena[i*slot]
		iovs[i].SetLen(slot)
		hdrs[i].hdr.Iov = &iovs[i]
		hdrs[i].hdr.SetIovlen(1)
	}
	return arena, iovs, hdrs
}
