package bench

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"golang.org/x/sys/unix"
)

// pairedVariant is one way of doing the op BenchmarkPaired compares.
type pairedVariant struct {
	name string
	run  func() error
}

// BenchmarkPaired answers the questions the targets ask — how far is
// core.Conn.Dump from the floor, and what does the peek before every read
// cost — on a noisy machine. Each op runs every variant once, back to
// back, in a rotating order, timing each, so a burst of load from other
// processes hits all of them alike; it reports each variant's time over
// the floor's (VARIANT/floor) and the floor's own time (floor-ns/op).
// ns/op is the time of all variants together.
func BenchmarkPaired(b *testing.B) {
	b.Run("routes", func(b *testing.B) {
		env := routesNS(b)
		benchPaired(b, dumpVariants(b, env.ns, routeDumpRequest(), env.msgs))
	})
	b.Run("links", func(b *testing.B) {
		env := linksNS(b)
		benchPaired(b, dumpVariants(b, env.ns, linkDumpRequest(), env.msgs))
	})
	b.Run("execute", func(b *testing.B) {
		nstest.Require(b)
		ns, err := core.NewNetNS()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ns.Close() })
		benchPaired(b, executeVariants(b, ns))
	})
}

// benchPaired runs the variants in a rotating order (see BenchmarkPaired).
func benchPaired(b *testing.B, vs []pairedVariant) { benchPairedWith(b, vs, false, false) }

// benchPairedWith runs every variant once per op, timing each (see
// pairedRun). It reports the floor's (the first variant's) time per op
// (floor-ns/op) and each other variant's total time over the floor's
// (VARIANT/floor); with cpu also its CPU time (user and system, of the
// whole process, so garbage collection counts) over the floor's
// (VARIANT-cpu/floor).
func benchPairedWith(b *testing.B, vs []pairedVariant, shuffle, cpu bool) {
	spent, used := pairedRun(b, vs, shuffle, cpu, nil)
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "floor-ns/op")
	for j := 1; j < len(vs); j++ {
		b.ReportMetric(float64(spent[j])/float64(spent[0]), vs[j].name+"/floor")
		if cpu {
			b.ReportMetric(float64(used[j])/float64(used[0]), vs[j].name+"-cpu/floor")
		}
	}
}

// pairedRun is the loop of the Paired benchmarks: every op runs each
// variant once, in a rotating order, or with shuffle in a new random order
// every op (a fixed rotation has each variant always follow the same
// neighbour), then after(j) if not nil (off the clock if it stops the
// timer). It returns each variant's total time and, with cpu, its total
// CPU time (user and system, of the whole process).
func pairedRun(b *testing.B, vs []pairedVariant, shuffle, cpu bool, after func(j int)) (spent, used []time.Duration) {
	spent = make([]time.Duration, len(vs))
	used = make([]time.Duration, len(vs))
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	i := 0
	for b.Loop() {
		if shuffle {
			rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		} else {
			for k := range order {
				order[k] = (i + k) % len(vs)
			}
		}
		i++
		for _, j := range order {
			var s0, u0 time.Duration
			if cpu {
				s0, u0 = cpuTimes(unix.RUSAGE_SELF)
			}
			start := time.Now()
			if err := vs[j].run(); err != nil {
				b.Fatalf("%s: %v", vs[j].name, err)
			}
			spent[j] += time.Since(start)
			if cpu {
				s1, u1 := cpuTimes(unix.RUSAGE_SELF)
				used[j] += s1 - s0 + u1 - u0
			}
			if after != nil {
				after(j)
			}
		}
	}
	return spent, used
}

// benchDialCore opens a core.Conn of proto in ns, closed when b ends.
func benchDialCore(b *testing.B, proto int, ns *core.NetNS) *core.Conn {
	b.Helper()
	c, err := core.Dial(proto, &core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// dumpVariants: the floor (raw, 32 KiB), raw with core's peek, raw with
// the spill buffer proposed for core, raw walking each datagram with
// core.MessageScanner, and core.Conn.Dump.
func dumpVariants(b *testing.B, ns *core.NetNS, req core.Message, want int) []pairedVariant {
	var vs []pairedVariant
	for _, v := range []struct {
		name    string
		mode    recvMode
		scanner bool
	}{{"raw", recvPlain, false}, {"peek", recvPeek, false}, {"spill", recvSpill, false}, {"scanner", recvPlain, true}} {
		r, err := dialRaw(ns, 32<<10, v.mode)
		if err != nil {
			b.Fatal(err)
		}
		r.scanner = v.scanner
		b.Cleanup(r.close)
		w := wire(req, 1)
		vs = append(vs, pairedVariant{v.name, func() error {
			n, err := r.exchange(w, endDone, nil)
			if err == nil && n != want {
				b.Fatalf("%s: %d messages, want %d", v.name, n, want)
			}
			return err
		}})
	}
	c := benchDialCore(b, unix.NETLINK_ROUTE, ns)
	ctx := context.Background()
	vs = append(vs, pairedVariant{"core", func() error {
		n := 0
		for _, err := range c.Dump(ctx, req) {
			if err != nil {
				return err
			}
			n++
		}
		if n != want {
			b.Fatalf("core: %d messages, want %d", n, want)
		}
		return nil
	}})
	return vs
}

// executeVariants: RTM_GETLINK for lo with an ACK, raw (the floor), raw
// with core's peek, raw with the spill buffer, and core.Conn.Execute.
func executeVariants(b *testing.B, ns *core.NetNS) []pairedVariant {
	req := getLinkRequest(loIndex)
	var vs []pairedVariant
	for _, v := range []struct {
		name string
		mode recvMode
	}{{"raw", recvPlain}, {"peek", recvPeek}, {"spill", recvSpill}} {
		r, err := dialRaw(ns, 32<<10, v.mode)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(r.close)
		w := wire(req, 1)
		vs = append(vs, pairedVariant{v.name, func() error {
			n, err := r.exchange(w, endAck, nil)
			if err == nil && n != 1 {
				b.Fatalf("%s: %d replies, want 1", v.name, n)
			}
			return err
		}})
	}
	c := benchDialCore(b, unix.NETLINK_ROUTE, ns)
	ctx := context.Background()
	vs = append(vs, pairedVariant{"core", func() error {
		msgs, err := c.Execute(ctx, req)
		if err == nil && len(msgs) != 1 {
			b.Fatalf("core: %d replies, want 1", len(msgs))
		}
		return err
	}})
	n := 0
	count := func(core.Message) error { n++; return nil }
	vs = append(vs, pairedVariant{"core-func", func() error {
		n = 0
		err := c.ExecuteFunc(ctx, req, count)
		if err == nil && n != 1 {
			b.Fatalf("core-func: %d replies, want 1", n)
		}
		return err
	}})
	return vs
}
