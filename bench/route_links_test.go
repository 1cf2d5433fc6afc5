package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/nlkit/nlkit/route"
)

// linksGroup is the floor group of the link-object benchmarks.
const linksGroup = "link-objects"

// BenchmarkRouteLinks dumps the 4,001 links of the links namespace (lo
// and 2,000 veth pairs) and decodes each into a link object: the raw floor
// (headers only, as BenchmarkDumpLinks), nlkit's LinkIter (one reused
// route.Link) and Links ([]route.Link), vishvananda/netlink's LinkList and
// jsimonetti/rtnetlink's Link.List. Besides ns/op: ns/msg, allocs/msg and
// x-floor.
func BenchmarkRouteLinks(b *testing.B) {
	env := linksNS(b)
	dc := linkDumpCase(env, linksGroup)
	b.Run("raw-32KiB", func(b *testing.B) { benchDumpRaw(b, dc, 32<<10, recvPlain, true) })
	b.Run("nlkit-iter", func(b *testing.B) { benchRouteObjNlkit(b, env.ns, linksGroup, "links", env.msgs, true, nlkitLinkDump) })
	b.Run("nlkit-list", func(b *testing.B) { benchRouteObjNlkit(b, env.ns, linksGroup, "links", env.msgs, false, nlkitLinkDump) })
	b.Run("vishvananda-list", func(b *testing.B) { benchLinkVishvananda(b, env) })
	b.Run("jsimonetti-list", func(b *testing.B) { benchLinkJsimonetti(b, env) })
}

// nlkitLinkDump lists the links with LinkIter or Links and checks that
// the veths decoded (kind, MTU, address, peer, statistics, per-family
// settings).
func nlkitLinkDump(ctx context.Context, c *route.Conn, iterate bool) (int, error) {
	n, veths := 0, 0
	check := func(l *route.Link) {
		n++
		if _, ok := l.Info.(*route.VethInfo); ok && l.MTU == 1500 && len(l.Address) == 6 && l.ParentIndex != 0 &&
			l.Stats != nil && l.Inet6 != nil && len(l.Inet6.Conf) > 0 {
			veths++
		}
	}
	if iterate {
		for l, err := range c.LinkIter(ctx, nil) {
			if err != nil {
				return n, err
			}
			check(l)
		}
	} else {
		ls, err := c.Links(ctx, nil)
		if err != nil {
			return 0, err
		}
		for i := range ls {
			check(&ls[i])
		}
	}
	if veths != 2*vethPairs {
		return n, fmt.Errorf("decoded %d veths, want %d", veths, 2*vethPairs)
	}
	return n, nil
}

func benchLinkVishvananda(b *testing.B, env *linksEnv) {
	h := routeObjVishvananda(b, env.ns)
	routeObjLoop(b, linksGroup, func() (int, error) {
		ls, err := h.LinkList()
		return routeObjCount(len(ls), err, env.msgs, "links")
	})
}

func benchLinkJsimonetti(b *testing.B, env *linksEnv) {
	c := routeObjJsimonetti(b, env.ns)
	routeObjLoop(b, linksGroup, func() (int, error) {
		ls, err := c.Link.List()
		return routeObjCount(len(ls), err, env.msgs, "links")
	})
}

// BenchmarkRouteLinksPaired runs the floor, nlkit's two forms and the two
// peers once each per op, back to back in a rotating order (see
// BenchmarkPaired), and reports each one's time over the floor's.
func BenchmarkRouteLinksPaired(b *testing.B) {
	env := linksNS(b)
	vs := routeObjPairedVariants(b, env.ns, linkDumpRequest(), env.msgs, nlkitLinkDump)
	h := routeObjVishvananda(b, env.ns)
	jc := routeObjJsimonetti(b, env.ns)
	vs = append(vs, pairedVariant{"vishvananda-list", func() error {
		ls, err := h.LinkList()
		_, err = routeObjCount(len(ls), err, env.msgs, "links")
		return err
	}}, pairedVariant{"jsimonetti-list", func() error {
		ls, err := jc.Link.List()
		_, err = routeObjCount(len(ls), err, env.msgs, "links")
		return err
	}})
	benchPaired(b, vs)
}
