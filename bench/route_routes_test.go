package bench

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/nlkit/nlkit/route"
	vnl "github.com/vishvananda/netlink"
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
	dc := routeDumpCase(env, routesGroup)
	b.Run("raw-32KiB", func(b *testing.B) { benchDumpRaw(b, dc, 32<<10, recvPlain, true) })
	b.Run("nlkit-iter", func(b *testing.B) {
		benchRouteObjNlkit(b, env.ns, routesGroup, "routes", env.msgs, true, nlkitRouteDump)
	})
	b.Run("nlkit-list", func(b *testing.B) {
		benchRouteObjNlkit(b, env.ns, routesGroup, "routes", env.msgs, false, nlkitRouteDump)
	})
	b.Run("vishvananda-list", func(b *testing.B) { benchRouteVishvananda(b, env, false) })
	b.Run("vishvananda-iter", func(b *testing.B) { benchRouteVishvananda(b, env, true) })
	b.Run("jsimonetti-list", func(b *testing.B) { benchRouteJsimonetti(b, env) })
}

// routeFilterV4 asks for what routeDumpRequest asks: IPv4, every table.
var routeFilterV4 = &route.RouteFilter{Family: route.FamilyInet}

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
	h := routeObjVishvananda(b, env.ns)
	routeObjLoop(b, routesGroup, func() (int, error) {
		n := 0
		var err error
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
		return env.msgs, routeAtLeastBulk(n, err) // the kernel sent them all; the main table's are kept
	})
}

func benchRouteJsimonetti(b *testing.B, env *routesEnv) {
	c := routeObjJsimonetti(b, env.ns)
	routeObjLoop(b, routesGroup, func() (int, error) {
		rs, err := c.Route.List()
		return len(rs), routeAtLeastBulk(len(rs), err)
	})
}

// routeAtLeastBulk passes on err, or says so when n routes are fewer than
// the bulk routes.
func routeAtLeastBulk(n int, err error) error {
	if err == nil && n < bulkRoutes {
		err = fmt.Errorf("%d routes, want at least %d", n, bulkRoutes)
	}
	return err
}

// BenchmarkRouteRoutesPaired runs the floor and nlkit's two forms once
// each per op, back to back in a rotating order (see BenchmarkPaired), and
// reports each form's time over the floor's (VARIANT/floor) and, robust to
// a machine short of CPU, its CPU time (user and system, of the whole
// process, so garbage collection counts) over the floor's
// (VARIANT-cpu/floor).
func BenchmarkRouteRoutesPaired(b *testing.B) {
	env := routesNS(b)
	benchPairedWith(b, routeObjPairedVariants(b, env.ns, routeDumpRequest(), env.msgs, nlkitRouteDump), false, true)
}
