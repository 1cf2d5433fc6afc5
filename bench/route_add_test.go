package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// addRoutes is how many routes one op of BenchmarkRouteAdd adds.
const addRoutes = bulkRoutes

// addPerDatagram is how many requests the raw loop writes per datagram
// (as RouteAddBatch does).
const addPerDatagram = 128

// routeAddEnv is the namespace BenchmarkRouteAdd adds its routes in: an
// empty copy of the routes namespace (bench0 with 192.0.2.1/24, bench1).
type routeAddEnv struct {
	ns     *core.NetNS
	routes []route.Route // the routes, for nlkit
	wire   []byte        // the raw loop's datagrams, back to back
	cuts   []int         // where each datagram ends in wire
	batch  string        // ip -batch commands
}

// BenchmarkRouteAdd adds 100,000 IPv4 /32 routes (198.18.0.0/15 via
// 192.0.2.2 dev bench0 metric 1024 mtu 1400 proto static) to an empty
// namespace three ways, once each per op, in a rotating order, deleting
// them (untimed) after each:
//
//   - raw: the least a program can do, bare x/sys/unix writes of 128
//     requests per datagram with an ACK asked only of the last one, on a
//     locked thread: its system time (getrusage of the process around
//     the loop) is the kernel's own work;
//   - nlkit: route.Conn.RouteAddBatch from 100,000 route.Route values;
//   - ip-batch: `ip -n NS -batch FILE` with one `route add` a line.
//
// It reports each way's wall time per op (X-ms), the raw loop's system
// time (kernel-sys-ms), nlkit's own system and user time (nlkit-sys-ms,
// nlkit-user-ms), the ratios nlkit/kernel-sys (wall over the kernel's
// time: the target is at most 1.15), nlkit-cpu/kernel-sys (nlkit's CPU
// time over the kernel's: what the wall ratio would be on an idle
// machine), nlkit/raw (wall over wall) and ip-batch/nlkit, the routes per
// second of nlkit and ip -batch, and nlkit's allocations per route. The
// garbage of each flush is collected before the next way runs.
func BenchmarkRouteAdd(b *testing.B) {
	env := routeAddNS(b)
	batch := filepath.Join(b.TempDir(), "routes.batch")
	if err := os.WriteFile(batch, []byte(env.batch), 0o644); err != nil {
		b.Fatal(err)
	}
	c, err := route.Dial(&core.Config{NetNS: env.ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	raw, err := dialRaw(env.ns, 32<<10, recvPlain)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(raw.close)
	errs := make([]error, len(env.routes))
	type variant struct {
		name       string
		run        func() (sys, user time.Duration, err error)
		wall, sys  time.Duration
		user       time.Duration
		allocs     uint64
		countAlloc bool
	}
	vs := []*variant{
		{name: "raw", run: func() (time.Duration, time.Duration, error) { return rawAddRoutes(raw, env) }},
		{name: "nlkit", countAlloc: true, run: func() (time.Duration, time.Duration, error) {
			s0, u0 := cpuTimes(unix.RUSAGE_SELF)
			err := c.RouteAddBatch(ctx, env.routes, errs)
			s1, u1 := cpuTimes(unix.RUSAGE_SELF)
			if err == nil {
				for i, e := range errs {
					if e != nil {
						return 0, 0, fmt.Errorf("route %d: %w", i, e)
					}
				}
			}
			return s1 - s0, u1 - u0, err
		}},
		{name: "ip-batch", run: func() (time.Duration, time.Duration, error) {
			cmd := exec.Command("ip", "-n", env.ns.Name(), "-batch", batch)
			out, err := cmd.CombinedOutput()
			if err != nil {
				return 0, 0, fmt.Errorf("ip -batch: %v: %s", err, out)
			}
			return cmd.ProcessState.SystemTime(), cmd.ProcessState.UserTime(), nil
		}},
	}
	i := 0
	for b.Loop() {
		for k := range vs {
			v := vs[(i+k)%len(vs)]
			var m0, m1 runtime.MemStats
			if v.countAlloc {
				runtime.ReadMemStats(&m0)
			}
			start := time.Now()
			sys, user, err := v.run()
			wall := time.Since(start)
			if v.countAlloc {
				runtime.ReadMemStats(&m1)
				v.allocs += m1.Mallocs - m0.Mallocs
			}
			if err != nil {
				b.Fatalf("%s: %v", v.name, err)
			}
			v.wall += wall
			v.sys += sys
			v.user += user
			b.StopTimer()
			if err := routeAddCheckAndFlush(ctx, c, v.name); err != nil {
				b.Fatal(err)
			}
			// The flush's garbage must not be collected, at the cost
			// of system time, while the next way is measured.
			debug.FreeOSMemory()
			b.StartTimer()
		}
		i++
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / n / 1e6 }
	raw0, nl, ipb := vs[0], vs[1], vs[2]
	b.ReportMetric(ms(raw0.wall), "raw-ms")
	b.ReportMetric(ms(raw0.sys), "kernel-sys-ms")
	b.ReportMetric(ms(nl.wall), "nlkit-ms")
	b.ReportMetric(ms(nl.sys), "nlkit-sys-ms")
	b.ReportMetric(ms(nl.user), "nlkit-user-ms")
	b.ReportMetric(ms(ipb.wall), "ip-batch-ms")
	b.ReportMetric(float64(nl.wall)/float64(raw0.sys), "nlkit/kernel-sys")
	b.ReportMetric(float64(nl.sys+nl.user)/float64(raw0.sys), "nlkit-cpu/kernel-sys")
	b.ReportMetric(float64(nl.wall)/float64(raw0.wall), "nlkit/raw")
	b.ReportMetric(float64(ipb.wall)/float64(nl.wall), "ip-batch/nlkit")
	b.ReportMetric(addRoutes*n/nl.wall.Seconds(), "nlkit-routes/s")
	b.ReportMetric(addRoutes*n/ipb.wall.Seconds(), "ip-batch-routes/s")
	b.ReportMetric(float64(nl.allocs)/(addRoutes*n), "nlkit-allocs/route")
}

// cpuTimes is the system and user CPU time used so far by the process
// (unix.RUSAGE_SELF) or the calling thread (unix.RUSAGE_THREAD).
func cpuTimes(who int) (sys, user time.Duration) {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Stime.Nano()), time.Duration(ru.Utime.Nano())
}

// rawAddRoutes writes the prepared datagrams and reads each one's answer
// (only the ACK of its last request, unless something failed), on a
// locked thread, and returns the system and user time the process used
// meanwhile (as nlkit's is measured).
func rawAddRoutes(r *rawConn, env *routeAddEnv) (time.Duration, time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s0, u0 := cpuTimes(unix.RUSAGE_SELF)
	start := 0
	for _, end := range env.cuts {
		if err := r.send(env.wire[start:end]); err != nil {
			return 0, 0, err
		}
		start = end
		n, err := r.recv()
		if err != nil {
			return 0, 0, err
		}
		if n < unix.SizeofNlMsghdr+4 || binary.NativeEndian.Uint16(r.buf[4:]) != unix.NLMSG_ERROR {
			return 0, 0, fmt.Errorf("raw: unexpected answer of %d bytes", n)
		}
		if err := errMsg(r.buf[unix.SizeofNlMsghdr:n]); err != nil {
			return 0, 0, fmt.Errorf("raw: %w", err)
		}
	}
	s1, u1 := cpuTimes(unix.RUSAGE_SELF)
	return s1 - s0, u1 - u0, nil
}

// routeAddCheckAndFlush checks that the namespace holds the added routes
// and deletes them.
func routeAddCheckAndFlush(ctx context.Context, c *route.Conn, who string) error {
	n, err := c.RouteFlush(ctx, &route.RouteFilter{Family: route.FamilyInet, Table: route.TableMain, Protocol: route.ProtocolStatic})
	if err != nil {
		return fmt.Errorf("after %s: %w", who, err)
	}
	if n != addRoutes {
		return fmt.Errorf("after %s: flushed %d routes, want %d", who, n, addRoutes)
	}
	return nil
}

// routeAddNS builds the namespace of BenchmarkRouteAdd and the three forms
// of its routes, once per process.
func routeAddNS(b *testing.B) *routeAddEnv {
	b.Helper()
	nstest.Require(b)
	if _, err := exec.LookPath("ip"); err != nil {
		b.Skip("ip(8) is not installed")
	}
	return setupOnce(b, "route-add namespace", &routeAddShared.env, &routeAddShared.err, setupRouteAdd, nil)
}

var routeAddShared struct {
	env *routeAddEnv
	err error
}

func setupRouteAdd() (*routeAddEnv, error) {
	ns, c, err := setupNS("routeadd", true)
	if err != nil {
		return nil, err
	}
	c.Close()

	var e core.AttrEncoder
	env := &routeAddEnv{ns: ns, routes: make([]route.Route, addRoutes)}
	var lines strings.Builder
	base := bulkBase.As4()
	first := binary.BigEndian.Uint32(base[:])
	seq := uint32(1)
	for i := range addRoutes {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], first+uint32(i))
		dst := netip.AddrFrom4(a)
		env.routes[i] = route.Route{
			Family: route.FamilyInet, Type: route.RouteTypeUnicast, Protocol: route.ProtocolStatic,
			Table: route.TableMain, Dst: netip.PrefixFrom(dst, 32), Gateway: gwAddr, OIF: gwIndex,
			Priority: 1024, Metrics: route.RouteMetrics{MTU: 1400},
		}
		e.Reset()
		encodeRoute(&e, dst, gwAddr, gwIndex)
		flags := core.FlagRequest | core.FlagCreate | core.FlagExcl
		if (i+1)%addPerDatagram == 0 || i == addRoutes-1 {
			flags |= core.FlagAck
		}
		env.wire = core.AppendMessage(env.wire, core.Message{
			Header: core.Header{Type: unix.RTM_NEWROUTE, Flags: flags, Sequence: seq},
			Data:   e.Bytes(),
		})
		seq++
		if flags&core.FlagAck != 0 {
			env.cuts = append(env.cuts, len(env.wire))
		}
		fmt.Fprintf(&lines, "route add %v/32 via %v dev bench0 metric 1024 mtu 1400 proto static\n", dst, gwAddr)
	}
	env.batch = lines.String()
	fmt.Printf("# route-add namespace %s ready (%s routes a way)\n", ns.Name(), strconv.Itoa(addRoutes))
	return env, nil
}
