package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os/exec"
	"sync"
	"testing"
	"time"

	mdnetlink "github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/nlkit/nlkit/netfilter/conntrack"
	timo "github.com/ti-mo/conntrack"
	"golang.org/x/sys/unix"
)

// ctBenchFlows is how many flows the dump benchmark's namespace holds.
const ctBenchFlows = 50_000

// ctBenchEnv is the namespace with ctBenchFlows UDP flows, built once per
// process with the batched create API.
var ctBenchEnv struct {
	once sync.Once
	ns   *core.NetNS
	took time.Duration
	err  error
}

// ctBenchFlow makes flow i of a set: 198.18.0.0/15 sources, one
// destination, ports from i, so every tuple is unique.
func ctBenchFlow(f *conntrack.Flow, i int, dst netip.Addr) {
	*f = conntrack.Flow{
		Orig: conntrack.Tuple{
			Src:   netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)}),
			Dst:   dst,
			Proto: conntrack.ProtoUDP, SrcPort: 1024 + uint16(i%50000), DstPort: 53,
		},
		Timeout: 2 * time.Hour,
	}
}

func ctDumpNS(b *testing.B) *core.NetNS {
	b.Helper()
	nstest.Require(b)
	ctBenchEnv.once.Do(func() {
		start := time.Now()
		envs.mu.Lock()
		ns, err := newBenchNS("conntrack")
		envs.mu.Unlock()
		if err != nil {
			ctBenchEnv.err = err
			return
		}
		c, err := conntrack.Dial(&core.Config{NetNS: ns, ReadBuffer: 8 << 20, BatchSize: 64})
		if err != nil {
			ctBenchEnv.err = err
			return
		}
		defer c.Close()
		var batch conntrack.Batch
		var f conntrack.Flow
		dst := netip.MustParseAddr("203.0.113.1")
		for i := range ctBenchFlows {
			ctBenchFlow(&f, i, dst)
			if err := batch.Create(&f); err != nil {
				ctBenchEnv.err = err
				return
			}
		}
		if err := c.ExecBatch(context.Background(), &batch); err != nil {
			ctBenchEnv.err = err
			return
		}
		ctBenchEnv.ns, ctBenchEnv.took = ns, time.Since(start)
		fmt.Printf("# setup of the conntrack namespace took %v (%d flows created)\n", ctBenchEnv.took.Round(time.Millisecond), ctBenchFlows)
	})
	if ctBenchEnv.err != nil {
		b.Fatalf("setup of the conntrack namespace: %v", ctBenchEnv.err)
	}
	return ctBenchEnv.ns
}

// ctDialRaw opens a blocking NETLINK_NETFILTER socket in ns, driven with
// x/sys/unix alone (the floor).
func ctDialRaw(ns *core.NetNS, size int) (*rawConn, error) {
	fd, err := rawSocketIn(ns, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, err
	}
	r := &rawConn{fd: fd, buf: make([]byte, size), seq: 1, mode: recvPlain}
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1); err != nil {
		r.close()
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func ctDumpReq() []byte {
	m := netfilter.NewRequest(netfilter.SubsysConntrack, 1, core.FlagDump, netfilter.Header{}, nil)
	return wire(m, 1)
}

// BenchmarkConntrackDump dumps and decodes the 50k flows: the raw floor
// (headers walked, nothing decoded), the raw loop decoding each flow with
// conntrack.Flow.Unmarshal, nlkit's iterator and list, ti-mo/conntrack's
// Dump, and `conntrack -L` exec'd with its output thrown away.
func BenchmarkConntrackDump(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		r := ctDialRawB(b, ctDumpNS(b))
		req := ctDumpReq()
		ctDumpLoop(b, func() (int, error) { return r.exchange(req, endDone, nil) })
	})
	b.Run("raw-decode", func(b *testing.B) {
		r := ctDialRawB(b, ctDumpNS(b))
		req := ctDumpReq()
		var f conntrack.Flow
		var derr error
		decode := func(_ uint16, payload []byte) {
			if err := f.Unmarshal(payload); err != nil {
				derr = err
			}
		}
		ctDumpLoop(b, func() (int, error) {
			n, err := r.exchange(req, endDone, decode)
			if err != nil || derr != nil {
				return n, fmt.Errorf("%v %v", err, derr)
			}
			return n, nil
		})
	})
	b.Run("nlkit-iter", func(b *testing.B) {
		c := ctDialNlkit(b)
		ctDumpLoop(b, func() (int, error) {
			n := 0
			for _, err := range c.FlowIter(context.Background(), nil) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		})
	})
	b.Run("nlkit-list", func(b *testing.B) {
		c := ctDialNlkit(b)
		ctDumpLoop(b, func() (int, error) {
			flows, err := c.Flows(context.Background(), nil)
			return len(flows), err
		})
	})
	b.Run("timo", func(b *testing.B) {
		c := ctDialTimo(b, ctDumpNS(b))
		ctDumpLoop(b, func() (int, error) {
			flows, err := c.Dump(nil)
			return len(flows), err
		})
	})
	b.Run("conntrack-tool", func(b *testing.B) {
		ns := ctDumpNS(b)
		if _, err := exec.LookPath("conntrack"); err != nil {
			b.Skip("conntrack(8) is not installed")
		}
		for b.Loop() {
			cmd := exec.Command("ip", "netns", "exec", ns.Name(), "conntrack", "-L")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
		ctReportDump(b, ctBenchFlows)
	})
}

// ctDumpLoop runs dump, which returns how many flows it got, once per op,
// checks the last op got them all and reports flows/op and ns/flow.
func ctDumpLoop(b *testing.B, dump func() (int, error)) {
	n := 0
	for b.Loop() {
		var err error
		if n, err = dump(); err != nil {
			b.Fatal(err)
		}
	}
	ctCheck(b, n)
	ctReportDump(b, n)
}

// ctReportDump reports flows/op (n) and ns/flow.
func ctReportDump(b *testing.B, n int) {
	b.ReportMetric(float64(n), "flows/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/flow")
}

// ctDialRawB is ctDialRaw with a 32 KiB buffer, failing b on error and
// closed when b ends.
func ctDialRawB(b *testing.B, ns *core.NetNS) *rawConn {
	b.Helper()
	r, err := ctDialRaw(ns, 32<<10)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.close)
	return r
}

// ctDialTimo opens a ti-mo/conntrack Conn in ns, closed when b ends.
func ctDialTimo(b *testing.B, ns *core.NetNS) *timo.Conn {
	b.Helper()
	c, err := timo.Dial(&mdnetlink.Config{NetNS: ns.FD()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func ctCheck(b *testing.B, n int) {
	if n != ctBenchFlows {
		b.Fatalf("dump returned %d flows, want %d", n, ctBenchFlows)
	}
}

func ctDialNlkit(b *testing.B) *conntrack.Conn {
	return ctDialIn(b, ctDumpNS(b))
}

// ctDialIn opens a conntrack.Conn in ns, closed when b ends.
func ctDialIn(b *testing.B, ns *core.NetNS) *conntrack.Conn {
	b.Helper()
	c, err := conntrack.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// ctBatchModes are nlkit's ways of sending a Batch of creates: ExecBatch
// (the last request of each datagram ACKed) and SendBatch.
var ctBatchModes = []struct {
	name string
	run  func(c *conntrack.Conn) func(context.Context, *conntrack.Batch) error
}{
	{"nlkit-batch", func(c *conntrack.Conn) func(context.Context, *conntrack.Batch) error { return c.ExecBatch }},
	{"nlkit-send", func(c *conntrack.Conn) func(context.Context, *conntrack.Batch) error { return c.SendBatch }},
}

// ctFillBatch refills batch with the creates of one op: ctCreateOp flows
// to dst, made in f.
func ctFillBatch(batch *conntrack.Batch, f *conntrack.Flow, dst netip.Addr) error {
	batch.Reset()
	for i := range ctCreateOp {
		ctBenchFlow(f, i, dst)
		if err := batch.Create(f); err != nil {
			return err
		}
	}
	return nil
}

// ctCreateOp is how many flows one op of BenchmarkConntrackCreate makes
// (then flushes, off the clock).
const ctCreateOp = 6400

// BenchmarkConntrackCreate creates ctCreateOp flows an op: raw loops
// sending 64 create requests a write (see ctRawCreateRun: each ACKed, or
// the last of each write ACKed as ExecBatch does) and 128 a write with the
// last ACKed (as SendBatch does), nlkit's Batch through ExecBatch and SendBatch, and
// ti-mo/conntrack's Create (one request and ACK a flow).
func BenchmarkConntrackCreate(b *testing.B) {
	dst := netip.MustParseAddr("203.0.113.1")
	setup := func(b *testing.B) (*core.NetNS, *conntrack.Conn) {
		nstest.Require(b)
		ns, err := core.NewNetNS()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ns.Close() })
		return ns, ctDialIn(b, ns)
	}
	flush := func(b *testing.B, c *conntrack.Conn) {
		b.StopTimer()
		if err := c.Flush(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(ctCreateOp*b.N)/b.Elapsed().Seconds(), "flows/s")
	}
	for _, v := range ctRawCreateModes {
		b.Run(v.name, func(b *testing.B) {
			ns, flusher := setup(b)
			r := ctDialRawB(b, ns)
			for b.Loop() {
				if err := ctRawCreateRun(r, dst, v.write, v.group); err != nil {
					b.Fatal(err)
				}
				flush(b, flusher)
			}
			report(b)
		})
	}
	for _, v := range ctBatchModes {
		b.Run(v.name, func(b *testing.B) {
			ns, flusher := setup(b)
			run := v.run(ctDialIn(b, ns))
			var batch conntrack.Batch
			var f conntrack.Flow
			for b.Loop() {
				if err := ctFillBatch(&batch, &f, dst); err != nil {
					b.Fatal(err)
				}
				if err := run(context.Background(), &batch); err != nil {
					b.Fatal(err)
				}
				flush(b, flusher)
			}
			report(b)
		})
	}
	b.Run("timo", func(b *testing.B) {
		ns, flusher := setup(b)
		c := ctDialTimo(b, ns)
		for b.Loop() {
			for i := range ctCreateOp {
				src := netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)})
				f := timo.NewFlow(unix.IPPROTO_UDP, 0, src, dst, 1024+uint16(i%50000), 53, 7200, 0)
				if err := c.Create(f); err != nil {
					b.Fatal(err)
				}
			}
			flush(b, flusher)
		}
		report(b)
	})
}

// TestConntrackBatchAllocs: creating flows through a refilled Batch
// allocates nothing, through ExecBatch and through SendBatch (both read
// the kernel's answers in place with core.Conn.ReceiveFunc).
func TestConntrackBatchAllocs(t *testing.T) {
	nstest.Require(t)
	for _, send := range []bool{false, true} {
		name := "ExecBatch"
		if send {
			name = "SendBatch"
		}
		t.Run(name, func(t *testing.T) {
			ns, err := core.NewNetNS()
			if err != nil {
				t.Fatal(err)
			}
			defer ns.Close()
			c, err := conntrack.Dial(&core.Config{NetNS: ns})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dst := netip.MustParseAddr("203.0.113.1")
			var batch conntrack.Batch
			var f conntrack.Flow
			round := 0
			fill := func() {
				batch.Reset()
				for i := range 640 {
					ctBenchFlow(&f, round*640+i, dst)
					if err := batch.Create(&f); err != nil {
						t.Fatal(err)
					}
				}
				round++
				run := c.ExecBatch
				if send {
					run = c.SendBatch
				}
				if err := run(context.Background(), &batch); err != nil {
					t.Fatal(err)
				}
			}
			fill()
			// No allocation per flow: 640 flows are 10 writes and 5 or
			// 10 answers, so an allocation a write or an answer shows.
			// A call may allocate its hold on the Conn, once.
			if n := testing.AllocsPerRun(5, fill); n > 4 {
				t.Fatalf("%.1f allocations for 640 flows, want at most 4 (a call's own)", n)
			}
		})
	}
}

// ctRawCreate encodes a create request's payload for f the way a raw
// program would: nfgenmsg, both tuples, the timeout.
func ctRawCreate(e *core.AttrEncoder, f *conntrack.Flow) {
	e.Raw([]byte{unix.AF_INET, 0, 0, 0})
	tuple := func(typ uint16, src, dst netip.Addr, sport, dport uint16) {
		n := e.NestStart(typ | core.AttrNested)
		ip := e.NestStart(1 | core.AttrNested)
		e.Addr(1, src)
		e.Addr(2, dst)
		e.NestEnd(ip)
		p := e.NestStart(2 | core.AttrNested)
		e.Uint8(1, f.Orig.Proto)
		e.Uint16BE(2, sport)
		e.Uint16BE(3, dport)
		e.NestEnd(p)
		e.NestEnd(n)
	}
	o := &f.Orig
	tuple(1, o.Src, o.Dst, o.SrcPort, o.DstPort)
	tuple(2, o.Dst, o.Src, o.DstPort, o.SrcPort)
	e.Uint32BE(7, uint32(f.Timeout/time.Second))
}

func ctAppendMsg(b []byte, typ uint16, flags uint16, seq uint32, payload []byte) []byte {
	l := unix.SizeofNlMsghdr + len(payload)
	b = binary.NativeEndian.AppendUint32(b, uint32(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// ctRawAcks reads n ACKs (NLMSG_ERROR messages) and fails on an error.
func ctRawAcks(r *rawConn, n int) error {
	for n > 0 {
		got, err := r.recv()
		if err != nil {
			return err
		}
		b := r.buf[:got]
		for len(b) >= unix.SizeofNlMsghdr {
			l := int(binary.NativeEndian.Uint32(b))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return fmt.Errorf("bad message length %d", l)
			}
			if binary.NativeEndian.Uint16(b[4:]) == unix.NLMSG_ERROR {
				if err := errMsg(b[unix.SizeofNlMsghdr:l]); err != nil {
					return err
				}
				n--
			}
			if a := core.Align(l); a < len(b) {
				b = b[a:]
			} else {
				b = nil
			}
		}
	}
	return nil
}

// BenchmarkConntrackPaired runs the dump and create variants back to back
// in each op, rotating their order (see BenchmarkPaired), so load from
// other processes hits them alike: it reports the floor's time and each
// variant's time over the floor's.
func BenchmarkConntrackPaired(b *testing.B) {
	b.Run("dump", func(b *testing.B) {
		ns := ctDumpNS(b)
		raw := ctDialRawB(b, ns)
		rawDec := ctDialRawB(b, ns)
		c := ctDialNlkit(b)
		tc := ctDialTimo(b, ns)
		req := ctDumpReq()
		var f conntrack.Flow
		want := func(n int) error {
			if n != ctBenchFlows {
				return fmt.Errorf("%d flows, want %d", n, ctBenchFlows)
			}
			return nil
		}
		benchPaired(b, []pairedVariant{
			{"raw", func() error {
				n, err := raw.exchange(req, endDone, nil)
				if err != nil {
					return err
				}
				return want(n)
			}},
			{"raw-decode", func() error {
				var derr error
				n, err := rawDec.exchange(req, endDone, func(_ uint16, p []byte) {
					if err := f.Unmarshal(p); err != nil {
						derr = err
					}
				})
				if err != nil || derr != nil {
					return fmt.Errorf("%v %v", err, derr)
				}
				return want(n)
			}},
			{"nlkit-iter", func() error {
				n := 0
				for _, err := range c.FlowIter(context.Background(), nil) {
					if err != nil {
						return err
					}
					n++
				}
				return want(n)
			}},
			{"nlkit-list", func() error {
				flows, err := c.Flows(context.Background(), nil)
				if err != nil {
					return err
				}
				return want(len(flows))
			}},
			{"timo", func() error {
				flows, err := tc.Dump(nil)
				if err != nil {
					return err
				}
				return want(len(flows))
			}},
		})
	})
	b.Run("create", func(b *testing.B) {
		nstest.Require(b)
		dst := netip.MustParseAddr("203.0.113.1")
		mkns := func() *core.NetNS {
			ns, err := core.NewNetNS()
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { ns.Close() })
			return ns
		}
		var vs []pairedVariant
		var nss []*core.NetNS
		for _, m := range ctRawCreateModes {
			ns := mkns()
			r := ctDialRawB(b, ns)
			vs = append(vs, pairedVariant{m.name, func() error { return ctRawCreateRun(r, dst, m.write, m.group) }})
			nss = append(nss, ns)
		}
		var f conntrack.Flow
		var batch conntrack.Batch
		for _, m := range ctBatchModes {
			ns := mkns()
			run := m.run(ctDialIn(b, ns))
			vs = append(vs, pairedVariant{m.name, func() error {
				if err := ctFillBatch(&batch, &f, dst); err != nil {
					return err
				}
				return run(context.Background(), &batch)
			}})
			nss = append(nss, ns)
		}
		flushers := make([]*conntrack.Conn, len(nss))
		for j, ns := range nss {
			flushers[j] = ctDialIn(b, ns)
		}
		spent, _ := pairedRun(b, vs, false, false, func(j int) {
			b.StopTimer()
			if err := flushers[j].Flush(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		})
		by := map[string]time.Duration{}
		for j, v := range vs {
			by[v.name] = spent[j]
			b.ReportMetric(float64(ctCreateOp*b.N)/spent[j].Seconds(), v.name+"-flows/s")
		}
		b.ReportMetric(float64(by["nlkit-batch"])/float64(by["raw-64"]), "nlkit-batch/raw")
		b.ReportMetric(float64(by["nlkit-batch"])/float64(by["raw-64-acklast"]), "nlkit-batch/raw-acklast")
		b.ReportMetric(float64(by["nlkit-send"])/float64(by["raw-64"]), "nlkit-send/raw")
		b.ReportMetric(float64(by["nlkit-send"])/float64(by["raw-128-acklast"]), "nlkit-send/raw-128-acklast")
	})
}

// ctRawCreateModes are the raw create loops: 64 requests a write, each
// ACKed; 64 a write, only the last ACKed (what ExecBatch does); 128 a
// write, only the last ACKed (what SendBatch does).
var ctRawCreateModes = []struct {
	name         string
	write, group int
}{{"raw-64", 64, 1}, {"raw-64-acklast", 64, 64}, {"raw-128-acklast", 128, 128}}

// ctRawCreateRun creates ctCreateOp flows with bare syscalls, write
// create requests a write (ctCreateOp is a multiple). With group 1 every
// request carries NLM_F_ACK and each write's ACKs are read; otherwise
// only the last request of the write does, and its answer, after the
// errors of the others (any error fails the op), says the kernel is
// through them.
func ctRawCreateRun(r *rawConn, dst netip.Addr, write, group int) error {
	var e core.AttrEncoder
	var f conntrack.Flow
	dg := make([]byte, 0, 32<<10)
	for start := 0; start < ctCreateOp; start += write {
		dg = dg[:0]
		for i := start; i < start+write; i++ {
			ctBenchFlow(&f, i, dst)
			e.Reset()
			ctRawCreate(&e, &f)
			flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_CREATE | unix.NLM_F_EXCL)
			if (i+1)%group == 0 {
				flags |= unix.NLM_F_ACK
			}
			dg = ctAppendMsg(dg, uint16(netfilter.MessageType(netfilter.SubsysConntrack, 0)), flags, r.seq, e.Bytes())
			r.seq++
		}
		if err := r.send(dg); err != nil {
			return err
		}
		if err := ctRawAcks(r, write/group); err != nil {
			return err
		}
	}
	return nil
}
