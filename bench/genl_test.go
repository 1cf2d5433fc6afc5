package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/genl"
	"golang.org/x/sys/unix"
)

// Generic netlink: the controller's family dump (CTRL_CMD_GETFAMILY with
// NLM_F_DUMP) and resolving "ethtool" by name, against the raw
// x/sys/unix floor, nlkit's genl package and mdlayher/genetlink.

// genlNS makes a namespace for a genl benchmark (the families are the
// kernel's, the same in every namespace; the sockets live in it).
func genlNS(b *testing.B) *core.NetNS {
	b.Helper()
	nstest.Require(b)
	ns, err := core.NewNetNS()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ns.Close() })
	return ns
}

// genlDialRaw is dialRaw for NETLINK_GENERIC: a blocking socket with
// extended ACK and strict checking, a 32 KiB buffer, plain receives.
func genlDialRaw(b *testing.B, ns *core.NetNS) *rawConn {
	b.Helper()
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	r := &rawConn{fd: fd, buf: make([]byte, 32<<10), seq: 1}
	b.Cleanup(r.close)
	for _, opt := range []int{unix.NETLINK_EXT_ACK, unix.NETLINK_GET_STRICT_CHK} {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, opt, 1); err != nil {
			b.Fatal(err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		b.Fatal(err)
	}
	return r
}

// genlRawFamily is what the raw loop reads of a family: its ID, name,
// and how many ops and groups it has, walking every attribute.
type genlRawFamily struct {
	id          uint16
	name        []byte
	ops, groups int
}

func genlRawDecode(payload []byte, f *genlRawFamily) error {
	*f = genlRawFamily{}
	if len(payload) < unix.GENL_HDRLEN {
		return fmt.Errorf("short genl message (%d bytes)", len(payload))
	}
	s := core.ScanAttrs(payload[unix.GENL_HDRLEN:])
	for s.Next() {
		switch s.Type() {
		case unix.CTRL_ATTR_FAMILY_ID:
			f.id = s.Uint16()
		case unix.CTRL_ATTR_FAMILY_NAME:
			f.name = s.Attr().StringBytes()
		case unix.CTRL_ATTR_OPS, unix.CTRL_ATTR_MCAST_GROUPS:
			n := s.Nested()
			for n.Next() {
				in := n.Nested()
				for in.Next() {
				}
				if s.Type() == unix.CTRL_ATTR_OPS {
					f.ops++
				} else {
					f.groups++
				}
			}
		}
	}
	return s.Err()
}

// genlCountFamilies is how many families the controller lists now.
func genlCountFamilies(b *testing.B, ns *core.NetNS) int {
	c, err := genl.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	fams, err := c.Families(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return len(fams)
}

// BenchmarkGenlFamilies dumps every family (CTRL_CMD_GETFAMILY,
// NLM_F_DUMP): raw (the floor: headers and attributes walked, nothing
// kept), nlkit-iter (genl.Conn.FamilyIter: one reused Family), nlkit
// (genl.Conn.Families: a []Family), mdlayher (genetlink ListFamilies).
func BenchmarkGenlFamilies(b *testing.B) {
	ns := genlNS(b)
	want := genlCountFamilies(b, ns)
	req := wire(core.Message{
		Header: core.Header{Type: unix.GENL_ID_CTRL, Flags: core.FlagRequest | core.FlagDump},
		Data:   []byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0},
	}, 1)

	b.Run("raw", func(b *testing.B) {
		r := genlDialRaw(b, ns)
		var f genlRawFamily
		var derr error
		fn := func(_ uint16, p []byte) {
			if err := genlRawDecode(p, &f); err != nil {
				derr = err
			}
		}
		mt := newMeter(b, "genl-families", true)
		for b.Loop() {
			n, err := r.exchange(req, endDone, fn)
			if err != nil || derr != nil {
				b.Fatal(err, derr)
			}
			if n != want {
				b.Fatalf("%d families, want %d", n, want)
			}
			mt.add(n)
		}
		mt.done()
	})

	b.Run("nlkit-iter", func(b *testing.B) {
		c, err := genl.Dial(&core.Config{NetNS: ns})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		ctx := context.Background()
		mt := newMeter(b, "genl-families", false)
		for b.Loop() {
			n := 0
			for f, err := range c.FamilyIter(ctx) {
				if err != nil {
					b.Fatal(err)
				}
				if f.ID == 0 {
					b.Fatal("family without ID")
				}
				n++
			}
			if n != want {
				b.Fatalf("%d families, want %d", n, want)
			}
			mt.add(n)
		}
		mt.done()
	})

	b.Run("nlkit", func(b *testing.B) {
		c, err := genl.Dial(&core.Config{NetNS: ns})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		ctx := context.Background()
		mt := newMeter(b, "genl-families", false)
		for b.Loop() {
			fams, err := c.Families(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(fams) != want {
				b.Fatalf("%d families, want %d", len(fams), want)
			}
			mt.add(len(fams))
		}
		mt.done()
	})

	b.Run("mdlayher", func(b *testing.B) {
		c, err := genetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		mt := newMeter(b, "genl-families", false)
		for b.Loop() {
			fams, err := c.ListFamilies()
			if err != nil {
				b.Fatal(err)
			}
			if len(fams) != want {
				b.Fatalf("%d families, want %d", len(fams), want)
			}
			mt.add(len(fams))
		}
		mt.done()
	})
}

// BenchmarkGenlResolve resolves "ethtool" by name: raw (the floor:
// GETFAMILY with NLM_F_ACK, the reply and the ACK, as genl.Conn sends it),
// raw-noack (the reply alone, as genetlink asks), nlkit (genl.Conn.GetFamily,
// a round trip each time), nlkit-cached (genl.Conn.Family, from the Conn's
// cache: no round trip), mdlayher (genetlink GetFamily).
func BenchmarkGenlResolve(b *testing.B) {
	ns := genlNS(b)
	var e core.AttrEncoder
	e.Raw([]byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0})
	e.String(unix.CTRL_ATTR_FAMILY_NAME, "ethtool")
	payload := append([]byte(nil), e.Bytes()...)

	for _, v := range []struct {
		name  string
		end   replyEnd
		floor bool
	}{{"raw", endAck, true}, {"raw-noack", endFirst, false}} {
		b.Run(v.name, func(b *testing.B) {
			r := genlDialRaw(b, ns)
			flags := core.FlagRequest | core.FlagAck
			if v.end == endFirst {
				flags = core.FlagRequest
			}
			req := wire(core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL, Flags: flags}, Data: payload}, 1)
			var f genlRawFamily
			var derr error
			ok := false
			fn := func(_ uint16, p []byte) {
				if err := genlRawDecode(p, &f); err != nil {
					derr = err
				}
				ok = string(f.name) == "ethtool" // f.name aliases the buffer the ACK reuses
			}
			mt := newMeter(b, "genl-resolve", v.floor)
			for b.Loop() {
				ok = false
				n, err := r.exchange(req, v.end, fn)
				if err != nil || derr != nil {
					b.Fatal(err, derr)
				}
				if n != 1 || !ok {
					b.Fatalf("%d replies, not ethtool's", n)
				}
			}
			mt.done()
		})
	}

	b.Run("nlkit", func(b *testing.B) {
		c, err := genl.Dial(&core.Config{NetNS: ns})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		ctx := context.Background()
		mt := newMeter(b, "genl-resolve", false)
		for b.Loop() {
			f, err := c.GetFamily(ctx, "ethtool")
			if err != nil {
				b.Fatal(err)
			}
			if f.Name != "ethtool" {
				b.Fatalf("family %q", f.Name)
			}
		}
		mt.done()
	})

	b.Run("nlkit-cached", func(b *testing.B) {
		c, err := genl.Dial(&core.Config{NetNS: ns})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		ctx := context.Background()
		if _, err := c.Family(ctx, "ethtool"); err != nil {
			b.Fatal(err)
		}
		mt := newMeter(b, "genl-resolve", false)
		for b.Loop() {
			f, err := c.Family(ctx, "ethtool")
			if err != nil {
				b.Fatal(err)
			}
			if f.Name != "ethtool" {
				b.Fatalf("family %q", f.Name)
			}
		}
		mt.done()
	})

	b.Run("mdlayher", func(b *testing.B) {
		c, err := genetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		mt := newMeter(b, "genl-resolve", false)
		for b.Loop() {
			f, err := c.GetFamily("ethtool")
			if err != nil {
				b.Fatal(err)
			}
			if f.Name != "ethtool" {
				b.Fatalf("family %q", f.Name)
			}
		}
		mt.done()
	})
}

// BenchmarkGenlPaired runs the variants of the two genl benchmarks once
// each per op, back to back, so their ratios to the floor hold on a loaded
// machine (see BenchmarkPaired). The order is shuffled every op: with a
// fixed rotation each variant always follows the same neighbour, and a
// variant that follows another on the same socket runs warmer than one
// that follows a different socket. core and core-func are core.Conn.Dump
// and core.Conn.ExecuteFunc with the floor's decoding: what core costs
// before the genl layer adds its own.
func BenchmarkGenlPaired(b *testing.B) {
	b.Run("families", func(b *testing.B) {
		ns := genlNS(b)
		genlBenchShuffled(b, genlFamilyVariants(b, ns, genlCountFamilies(b, ns)))
	})
	b.Run("resolve", func(b *testing.B) {
		genlBenchShuffled(b, genlResolveVariants(b, genlNS(b)))
	})
}

// genlBenchShuffled is benchPaired with the variants in a new random order
// every op. It reports the floor's (the first variant's) time per op and
// each other variant's total time over the floor's.
func genlBenchShuffled(b *testing.B, vs []pairedVariant) {
	spent := make([]time.Duration, len(vs))
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	for b.Loop() {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, j := range order {
			start := time.Now()
			if err := vs[j].run(); err != nil {
				b.Fatalf("%s: %v", vs[j].name, err)
			}
			spent[j] += time.Since(start)
		}
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "floor-ns/op")
	for j := 1; j < len(vs); j++ {
		b.ReportMetric(float64(spent[j])/float64(spent[0]), vs[j].name+"/floor")
	}
}

func genlFamilyVariants(b *testing.B, ns *core.NetNS, want int) []pairedVariant {
	ctx := context.Background()
	req := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: []byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0}}
	raw := genlDialRaw(b, ns)
	rreq := req
	rreq.Header.Flags = core.FlagRequest | core.FlagDump
	w := wire(rreq, 1)
	var f genlRawFamily
	fn := func(_ uint16, p []byte) { _ = genlRawDecode(p, &f) }
	cc, err := core.Dial(unix.NETLINK_GENERIC, &core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	gc, err := genl.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gc.Close() })
	mc, err := genetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mc.Close() })
	count := func(n int) error {
		if n != want {
			return fmt.Errorf("%d families, want %d", n, want)
		}
		return nil
	}
	return []pairedVariant{
		{"raw", func() error {
			n, err := raw.exchange(w, endDone, fn)
			if err != nil {
				return err
			}
			return count(n)
		}},
		{"core", func() error {
			n := 0
			for m, err := range cc.Dump(ctx, req) {
				if err != nil {
					return err
				}
				fn(0, m.Data)
				n++
			}
			return count(n)
		}},
		{"nlkit-iter", func() error {
			n := 0
			for _, err := range gc.FamilyIter(ctx) {
				if err != nil {
					return err
				}
				n++
			}
			return count(n)
		}},
		{"nlkit", func() error {
			fams, err := gc.Families(ctx)
			if err != nil {
				return err
			}
			return count(len(fams))
		}},
		{"mdlayher", func() error {
			fams, err := mc.ListFamilies()
			if err != nil {
				return err
			}
			return count(len(fams))
		}},
	}
}

func genlResolveVariants(b *testing.B, ns *core.NetNS) []pairedVariant {
	ctx := context.Background()
	var e core.AttrEncoder
	e.Raw([]byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0})
	e.String(unix.CTRL_ATTR_FAMILY_NAME, "ethtool")
	req := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: append([]byte(nil), e.Bytes()...)}
	raw := genlDialRaw(b, ns)
	rreq := req
	rreq.Header.Flags = core.FlagRequest | core.FlagAck
	w := wire(rreq, 1)
	var f genlRawFamily
	ok := false
	fn := func(_ uint16, p []byte) {
		_ = genlRawDecode(p, &f)
		ok = string(f.name) == "ethtool"
	}
	check := func(n int) error {
		if n != 1 || !ok {
			return fmt.Errorf("%d replies, not ethtool's", n)
		}
		ok = false
		return nil
	}
	cc, err := core.Dial(unix.NETLINK_GENERIC, &core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	gc, err := genl.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gc.Close() })
	mc, err := genetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mc.Close() })
	cfn := func(m core.Message) error { fn(0, m.Data); return nil }
	return []pairedVariant{
		{"raw", func() error {
			n, err := raw.exchange(w, endAck, fn)
			if err != nil {
				return err
			}
			return check(n)
		}},
		{"core-func", func() error {
			if err := cc.ExecuteFunc(ctx, req, cfn); err != nil {
				return err
			}
			return check(1)
		}},
		{"nlkit", func() error {
			f, err := gc.GetFamily(ctx, "ethtool")
			if err != nil {
				return err
			}
			if f.Name != "ethtool" {
				return fmt.Errorf("family %q", f.Name)
			}
			return nil
		}},
		{"mdlayher", func() error {
			f, err := mc.GetFamily("ethtool")
			if err != nil {
				return err
			}
			if f.Name != "ethtool" {
				return fmt.Errorf("family %q", f.Name)
			}
			return nil
		}},
	}
}
