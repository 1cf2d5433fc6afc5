package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// routesGroup is the floor group of the route-object benchmarks.
const routesGroup = "route-objects"

// BenchmarkRouteRoutes dumps the 100,000 IPv4 routes of the routes
// namespace and decodes each into a route object: the raw floor (headers
// only, as BenchmarkDumpRoutes), nlkit's RouteIter (one reused
// route.Route) and Routes ([]route.Route), vishvananda/netlink's
// RouteListFiltered and RouteListFilteredIter (main table; the kernel
// sends all 100,003 routes either way) and jsimonetti/rtnetlink's
// Route.List (every family). Besides ns/op: ns/msg, allocs/msg and
// x-floor.
func BenchmarkRouteRoutes(b *testing.B) {
	env := routesNS(b)
	dc := dumpCase{group: routesGroup, ns: env.ns, req: routeDumpRequest(), msgs: env.msgs,
		typ: unix.RTM_NEWROUTE, hdrLen: unix.SizeofRtMsg, nests: routeNests}
	b.Run("raw-32KiB", func(b *testing.B) { benchDumpRaw(b, dc, 32<<10, recvPlain, true) })
	b.Run("nlkit-iter", func(b *testing.B) { benchRouteNlkit(b, env, true) })
	b.Run("nlkit-list", func(b *testing.B) { benchRouteNlkit(b, env, false) })
	b.Run("vishvananda-list", func(b *testing.B) { benchRouteVishvananda(b, env, false) })
	b.Run("vishvananda-iter", func(b *testing.B) { benchRouteVishvananda(b, env, true) })
	b.Run("jsimonetti-list", func(b *testing.B) { benchRouteJsimonetti(b, env) })
}

// routeFilterV4 asks for what routeDumpRequest asks: IPv4, every table.
var routeFilterV4 = &route.RouteFilter{Family: route.FamilyInet}

func benchRouteNlkit(b *testing.B, env *routesEnv, iterate bool) {
	c, err := route.Dial(&core.Config{NetNS: env.ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	m := newMeter(b, routesGroup, false)
	for b.Loop() {
		n, err := nlkitRouteDump(ctx, c, iterate)
		if err != nil {
			b.Fatal(err)
		}
		if n != env.msgs {
			b.Fatalf("%d routes, want %d", n, env.msgs)
		}
		m.add(n)
	}
	m.done()
}

// nlkitRouteDump lists the IPv4 routes with RouteIter or Routes and checks
// that the bulk routes decoded (gateway and MTU).
func nlkitRouteDump(ctx context.Context, c *route.Conn, iterate bool) (int, error) {
	n, bulk := 0, 0
	check := func(r *route.Route) {
		n++
		if r.Gateway == gwAddr && r.Metrics.MTU == 1400 {
			bulk++
		}
	}
	if iterate {
		for r, err := range c.RouteIter(ctx, routeFilterV4) {
			if err != nil {
				return n, err
			}
			check(r)
		}
	} else {
		rs, err := c.Routes(ctx, routeFilterV4)
		if err != nil {
			return 0, err
		}
		for i := range rs {
			check(&rs[i])
		}
	}
	if bulk != bulkRoutes {
		return n, errBulk(bulk)
	}
	return n, nil
}

type errBulk int

func (e errBulk) Error() string {
	return "decoded " + strconv.Itoa(int(e)) + " bulk routes, want 100000"
}

func benchRouteVishvananda(b *testing.B, env *routesEnv, iterate bool) {
	h, err := vnl.NewHandleAt(netns.NsHandle(env.ns.FD()), unix.NETLINK_ROUTE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	m := newMeter(b, routesGroup, false)
	for b.Loop() {
		n := 0
		if iterate {
			err = h.RouteListFilteredIter(vnl.FAMILY_V4, &vnl.Route{}, 0, func(r vnl.Route) bool {
				n++
				return true
			})
		} else {
			var rs []vnl.Route
			rs, err = h.RouteListFiltered(vnl.FAMILY_V4, &vnl.Route{}, 0)
			n = len(rs)
		}
		if err != nil {
			b.Fatal(err)
		}
		if n < bulkRoutes {
			b.Fatalf("%d routes, want at least %d", n, bulkRoutes)
		}
		m.add(env.msgs) // the kernel sent them all; the main table's are kept
	}
	m.done()
}

func benchRouteJsimonetti(b *testing.B, env *routesEnv) {
	c, err := rtnetlink.Dial(&netlink.Config{NetNS: env.ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	m := newMeter(b, routesGroup, false)
	for b.Loop() {
		rs, err := c.Route.List()
		if err != nil {
			b.Fatal(err)
		}
		if len(rs) < bulkRoutes {
			b.Fatalf("%d routes, want at least %d", len(rs), bulkRoutes)
		}
		m.add(len(rs))
	}
	m.done()
}

// BenchmarkRouteRoutesPaired runs the floor and nlkit's two forms once
// each per op, back to back in a rotating order (see BenchmarkPaired), and
// reports each form's time over the floor's (VARIANT/floor) and, robust to
// a machine short of CPU, its CPU time (user and system, of the whole
// process, so garbage collection counts) over the floor's
// (VARIANT-cpu/floor).
func BenchmarkRouteRoutesPaired(b *testing.B) {
	env := routesNS(b)
	r, err := dialRaw(env.ns, 32<<10, recvPlain)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.close)
	w := wire(routeDumpRequest(), 1)
	c, err := route.Dial(&core.Config{NetNS: env.ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	vs := []pairedVariant{
		{"raw", func() error {
			n, err := r.exchange(w, endDone, nil)
			if err == nil && n != env.msgs {
				b.Fatalf("raw: %d messages, want %d", n, env.msgs)
			}
			return err
		}},
	}
	for _, v := range []struct {
		name    string
		iterate bool
	}{{"nlkit-iter", true}, {"nlkit-list", false}} {
		vs = append(vs, pairedVariant{v.name, func() error {
			_, err := nlkitRouteDump(ctx, c, v.iterate)
			return err
		}})
	}
	spent := make([]time.Duration, len(vs))
	cpu := make([]time.Duration, len(vs))
	i := 0
	for b.Loop() {
		for k := range vs {
			j := (i + k) % len(vs)
			s0, u0 := cpuTimes(unix.RUSAGE_SELF)
			start := time.Now()
			if err := vs[j].run(); err != nil {
				b.Fatalf("%s: %v", vs[j].name, err)
			}
			spent[j] += time.Since(start)
			s1, u1 := cpuTimes(unix.RUSAGE_SELF)
			cpu[j] += s1 - s0 + u1 - u0
		}
		i++
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "floor-ns/op")
	for j := 1; j < len(vs); j++ {
		b.ReportMetric(float64(spent[j])/float64(spent[0]), vs[j].name+"/floor")
		b.ReportMetric(float64(cpu[j])/float64(cpu[0]), vs[j].name+"-cpu/floor")
	}
}
