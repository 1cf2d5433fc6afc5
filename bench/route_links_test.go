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
	dc := dumpCase{group: linksGroup, ns: env.ns, req: linkDumpRequest(), msgs: env.msgs,
		typ: unix.RTM_NEWLINK, hdrLen: unix.SizeofIfInfomsg, nests: linkNests}
	b.Run("raw-32KiB", func(b *testing.B) { benchDumpRaw(b, dc, 32<<10, recvPlain, true) })
	b.Run("nlkit-iter", func(b *testing.B) { benchLinkNlkit(b, env, true) })
	b.Run("nlkit-list", func(b *testing.B) { benchLinkNlkit(b, env, false) })
	b.Run("vishvananda-list", func(b *testing.B) { benchLinkVishvananda(b, env) })
	b.Run("jsimonetti-list", func(b *testing.B) { benchLinkJsimonetti(b, env) })
}

func benchLinkNlkit(b *testing.B, env *linksEnv, iterate bool) {
	c, err := route.Dial(&core.Config{NetNS: env.ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	ctx := context.Background()
	m := newMeter(b, linksGroup, false)
	for b.Loop() {
		n, err := nlkitLinkDump(ctx, c, iterate)
		if err != nil {
			b.Fatal(err)
		}
		if n != env.msgs {
			b.Fatalf("%d links, want %d", n, env.msgs)
		}
		m.add(n)
	}
	m.done()
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
	h, err := vnl.NewHandleAt(netns.NsHandle(env.ns.FD()), unix.NETLINK_ROUTE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	m := newMeter(b, linksGroup, false)
	for b.Loop() {
		ls, err := h.LinkList()
		if err != nil {
			b.Fatal(err)
		}
		if len(ls) != env.msgs {
			b.Fatalf("%d links, want %d", len(ls), env.msgs)
		}
		m.add(len(ls))
	}
	m.done()
}

func benchLinkJsimonetti(b *testing.B, env *linksEnv) {
	c, err := rtnetlink.Dial(&netlink.Config{NetNS: env.ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	m := newMeter(b, linksGroup, false)
	for b.Loop() {
		ls, err := c.Link.List()
		if err != nil {
			b.Fatal(err)
		}
		if len(ls) != env.msgs {
			b.Fatalf("%d links, want %d", len(ls), env.msgs)
		}
		m.add(len(ls))
	}
	m.done()
}

// BenchmarkRouteLinksPaired runs the floor, nlkit's two forms and the two
// peers once each per op, back to back in a rotating order (see
// BenchmarkPaired), and reports each one's time over the floor's.
func BenchmarkRouteLinksPaired(b *testing.B) {
	env := linksNS(b)
	r, err := dialRaw(env.ns, 32<<10, recvPlain)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.close)
	w := wire(linkDumpRequest(), 1)
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
			_, err := nlkitLinkDump(ctx, c, v.iterate)
			return err
		}})
	}
	h, err := vnl.NewHandleAt(netns.NsHandle(env.ns.FD()), unix.NETLINK_ROUTE)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	vs = append(vs, pairedVariant{"vishvananda-list", func() error {
		ls, err := h.LinkList()
		if err == nil && len(ls) != env.msgs {
			b.Fatalf("vishvananda: %d links, want %d", len(ls), env.msgs)
		}
		return err
	}})
	jc, err := rtnetlink.Dial(&netlink.Config{NetNS: env.ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { jc.Close() })
	vs = append(vs, pairedVariant{"jsimonetti-list", func() error {
		ls, err := jc.Link.List()
		if err == nil && len(ls) != env.msgs {
			b.Fatalf("jsimonetti: %d links, want %d", len(ls), env.msgs)
		}
		return err
	}})
	benchPaired(b, vs)
}
