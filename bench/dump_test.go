package bench

import (
	"context"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// dumpCase is one dump measured every way: which namespace, the request,
// how many data messages the kernel answers with, the message type they
// carry, the family header length and the nests a decoder walks.
type dumpCase struct {
	group  string
	ns     *core.NetNS
	req    core.Message
	msgs   int
	typ    uint16
	hdrLen int
	nests  nestRule
}

// benchDump runs the dump of dc with the raw floor, the core and
// mdlayher/netlink, as sub-benchmarks of b. Every op checks it saw the
// number of messages the kernel answered with at setup.
func benchDump(b *testing.B, dc dumpCase) {
	for _, v := range []struct {
		name  string
		size  int
		mode  recvMode
		floor bool
	}{
		{"raw-32KiB", 32 << 10, recvPlain, true},
		{"raw-1MiB", 1 << 20, recvPlain, false},
		{"raw-peek-32KiB", 32 << 10, recvPeek, false},
		{"raw-spill-32KiB", 32 << 10, recvSpill, false},
	} {
		b.Run(v.name, func(b *testing.B) { benchDumpRaw(b, dc, v.size, v.mode, v.floor) })
	}
	b.Run("core", func(b *testing.B) { benchDumpCore(b, dc, false) })
	b.Run("core-attrs", func(b *testing.B) { benchDumpCore(b, dc, true) })
	b.Run("mdlayher", func(b *testing.B) { benchDumpMdlayher(b, dc, 0, false) })
	b.Run("mdlayher-32KiB", func(b *testing.B) { benchDumpMdlayher(b, dc, 32<<10, false) })
	b.Run("mdlayher-iter-32KiB", func(b *testing.B) { benchDumpMdlayher(b, dc, 32<<10, true) })
}

func (dc dumpCase) check(b *testing.B, got int) {
	if got != dc.msgs {
		b.Fatalf("dump returned %d messages, want %d", got, dc.msgs)
	}
}

func benchDumpRaw(b *testing.B, dc dumpCase, size int, mode recvMode, floor bool) {
	r, err := dialRaw(dc.ns, size, mode)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.close)
	req := wire(dc.req, 1)
	m := newMeter(b, dc.group, floor)
	for b.Loop() {
		n, err := r.exchange(req, endDone, nil)
		if err != nil {
			b.Fatal(err)
		}
		dc.check(b, n)
		m.add(n)
	}
	m.done()
}

func benchDumpCore(b *testing.B, dc dumpCase, attrs bool) {
	c := benchDialCore(b, unix.NETLINK_ROUTE, dc.ns)
	ctx := context.Background()
	var w attrWalk
	m := newMeter(b, dc.group, false)
	for b.Loop() {
		n := 0
		for msg, err := range c.Dump(ctx, dc.req) {
			if err != nil {
				b.Fatal(err)
			}
			if uint16(msg.Header.Type) != dc.typ {
				b.Fatalf("message type %d, want %d", msg.Header.Type, dc.typ)
			}
			if attrs {
				if err := w.walkMessage(msg.Data, dc.hdrLen, dc.nests); err != nil {
					b.Fatal(err)
				}
			}
			n++
		}
		dc.check(b, n)
		m.add(n)
	}
	m.done()
	if attrs && w.n > 0 {
		b.ReportMetric(float64(w.n)/float64(m.msgs), "attrs/msg")
	}
}

func benchDumpMdlayher(b *testing.B, dc dumpCase, bufSize int, iterate bool) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: dc.ns.FD(), Strict: true, MessageBufferSize: bufSize})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	req := netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(dc.req.Header.Type), Flags: netlink.Request | netlink.Dump},
		Data:   dc.req.Data,
	}
	m := newMeter(b, dc.group, false)
	for b.Loop() {
		n := 0
		if iterate {
			if _, err := c.Send(req); err != nil {
				b.Fatal(err)
			}
			for msg, err := range c.ReceiveIter() {
				if err != nil {
					b.Fatal(err)
				}
				if uint16(msg.Header.Type) != dc.typ {
					b.Fatalf("message type %d, want %d", msg.Header.Type, dc.typ)
				}
				n++
			}
		} else {
			msgs, err := c.Execute(req)
			if err != nil {
				b.Fatal(err)
			}
			for _, msg := range msgs {
				if uint16(msg.Header.Type) != dc.typ {
					b.Fatalf("message type %d, want %d", msg.Header.Type, dc.typ)
				}
				n++
			}
		}
		dc.check(b, n)
		m.add(n)
	}
	m.done()
}

// linkDumpCase is the dump of the links namespace, metered in group.
func linkDumpCase(env *linksEnv, group string) dumpCase {
	return dumpCase{group: group, ns: env.ns, req: linkDumpRequest(), msgs: env.msgs,
		typ: unix.RTM_NEWLINK, hdrLen: unix.SizeofIfInfomsg, nests: linkNests}
}

// routeDumpCase is the dump of the routes namespace, metered in group.
func routeDumpCase(env *routesEnv, group string) dumpCase {
	return dumpCase{group: group, ns: env.ns, req: routeDumpRequest(), msgs: env.msgs,
		typ: unix.RTM_NEWROUTE, hdrLen: unix.SizeofRtMsg, nests: routeNests}
}
