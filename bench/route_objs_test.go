package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	vnl "github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// What the route-object benchmarks (BenchmarkRouteLinks, BenchmarkRouteRoutes
// and their Paired forms) share: the dials, the metered loop and the
// paired variants.

// routeObjDump lists objects with nlkit's iterator (iterate) or list form
// and checks what it decoded: nlkitLinkDump, nlkitRouteDump.
type routeObjDump func(ctx context.Context, c *route.Conn, iterate bool) (int, error)

// routeObjDial opens a route.Conn in ns, closed when b ends.
func routeObjDial(b *testing.B, ns *core.NetNS) *route.Conn {
	b.Helper()
	c, err := route.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// routeObjVishvananda opens a vishvananda/netlink handle in ns, closed
// when b ends.
func routeObjVishvananda(b *testing.B, ns *core.NetNS) *vnl.Handle {
	b.Helper()
	h, err := vnl.NewHandleAt(netns.NsHandle(ns.FD()), unix.NETLINK_ROUTE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

// routeObjJsimonetti opens a jsimonetti/rtnetlink Conn in ns, closed when
// b ends.
func routeObjJsimonetti(b *testing.B, ns *core.NetNS) *rtnetlink.Conn {
	b.Helper()
	c, err := rtnetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// routeObjLoop runs op once per op of b and meters it in group (not the
// floor): op returns how many messages the kernel sent.
func routeObjLoop(b *testing.B, group string, op func() (int, error)) {
	m := newMeter(b, group, false)
	for b.Loop() {
		n, err := op()
		if err != nil {
			b.Fatal(err)
		}
		m.add(n)
	}
	m.done()
}

// routeObjCount passes on n and err, or, when err is nil and n is not
// want, an error saying so (what names the objects).
func routeObjCount(n int, err error, want int, what string) (int, error) {
	if err == nil && n != want {
		err = fmt.Errorf("%d %s, want %d", n, what, want)
	}
	return n, err
}

// benchRouteObjNlkit meters dump on a route.Conn in ns, checking it lists
// want objects.
func benchRouteObjNlkit(b *testing.B, ns *core.NetNS, group, what string, want int, iterate bool, dump routeObjDump) {
	c := routeObjDial(b, ns)
	ctx := context.Background()
	routeObjLoop(b, group, func() (int, error) {
		n, err := dump(ctx, c, iterate)
		return routeObjCount(n, err, want, what)
	})
}

// routeObjPairedVariants are the variants the route-object Paired
// benchmarks share: the raw floor dumping req (want messages, headers
// only) and nlkit's iterator and list forms, through dump (which checks
// what it decoded) on a route.Conn in ns.
func routeObjPairedVariants(b *testing.B, ns *core.NetNS, req core.Message, want int,
	dump routeObjDump) []pairedVariant {
	r, err := dialRaw(ns, 32<<10, recvPlain)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.close)
	w := wire(req, 1)
	c := routeObjDial(b, ns)
	ctx := context.Background()
	vs := []pairedVariant{
		{"raw", func() error {
			n, err := r.exchange(w, endDone, nil)
			if err == nil && n != want {
				b.Fatalf("raw: %d messages, want %d", n, want)
			}
			return err
		}},
	}
	for _, v := range []struct {
		name    string
		iterate bool
	}{{"nlkit-iter", true}, {"nlkit-list", false}} {
		vs = append(vs, pairedVariant{v.name, func() error {
			_, err := dump(ctx, c, v.iterate)
			return err
		}})
	}
	return vs
}
