package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
	fd, err := rawSocketIn(ns, unix.NETLINK_GENERIC)
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
	c := genlDialNlkit(b, ns)
	defer c.Close()
	fams, err := c.Families(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return len(fams)
}

// genlDialNlkit opens a genl.Conn in ns, closed when b ends.
func genlDialNlkit(b *testing.B, ns *core.NetNS) *genl.Conn {
	b.Helper()
	c, err := genl.Dial(&core.Config{NetNS: ns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// genlDialMdlayher opens a genetlink.Conn in ns, closed when b ends.
func genlDialMdlayher(b *testing.B, ns *core.NetNS) *genetlink.Conn {
	b.Helper()
	c, err := genetlink.Dial(&netlink.Config{NetNS: ns.FD(), Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// genlLoopFamilies runs list, which returns how many families it got,
// once per op, checks it got want, and reports as a genl-families variant
// (not the floor).
func genlLoopFamilies(b *testing.B, want int, list func() (int, error)) {
	mt := newMeter(b, "genl-families", false)
	for b.Loop() {
		n, err := list()
		if err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("%d families, want %d", n, want)
		}
		mt.add(n)
	}
	mt.done()
}

// genlLoopResolve runs resolve, which returns the name of the family it
// got, once per op, checks it is ethtool, and reports as a genl-resolve
// variant (not the floor).
func genlLoopResolve(b *testing.B, resolve func() (string, error)) {
	mt := newMeter(b, "genl-resolve", false)
	for b.Loop() {
		if err := genlCheckEthtool(resolve()); err != nil {
			b.Fatal(err)
		}
	}
	mt.done()
}

// genlFamilyName is f's name, or err.
func genlFamilyName(f *genl.Family, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return f.Name, nil
}

// genlCheckEthtool passes on err, or says so when name is not ethtool.
func genlCheckEthtool(name string, err error) error {
	if err == nil && name != "ethtool" {
		return fmt.Errorf("family %q", name)
	}
	return err
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
		c := genlDialNlkit(b, ns)
		ctx := context.Background()
		genlLoopFamilies(b, want, func() (int, error) {
			n := 0
			for f, err := range c.FamilyIter(ctx) {
				if err != nil {
					return n, err
				}
				if f.ID == 0 {
					return n, errors.New("family without ID")
				}
				n++
			}
			return n, nil
		})
	})

	b.Run("nlkit", func(b *testing.B) {
		c := genlDialNlkit(b, ns)
		ctx := context.Background()
		genlLoopFamilies(b, want, func() (int, error) {
			fams, err := c.Families(ctx)
			return len(fams), err
		})
	})

	b.Run("mdlayher", func(b *testing.B) {
		c := genlDialMdlayher(b, ns)
		genlLoopFamilies(b, want, func() (int, error) {
			fams, err := c.ListFamilies()
			return len(fams), err
		})
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
		c := genlDialNlkit(b, ns)
		ctx := context.Background()
		genlLoopResolve(b, func() (string, error) {
			return genlFamilyName(c.GetFamily(ctx, "ethtool"))
		})
	})

	b.Run("nlkit-cached", func(b *testing.B) {
		c := genlDialNlkit(b, ns)
		ctx := context.Background()
		if _, err := c.Family(ctx, "ethtool"); err != nil {
			b.Fatal(err)
		}
		genlLoopResolve(b, func() (string, error) {
			return genlFamilyName(c.Family(ctx, "ethtool"))
		})
	})

	b.Run("mdlayher", func(b *testing.B) {
		c := genlDialMdlayher(b, ns)
		genlLoopResolve(b, func() (string, error) {
			f, err := c.GetFamily("ethtool")
			return f.Name, err
		})
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
		benchPairedWith(b, genlFamilyVariants(b, ns, genlCountFamilies(b, ns)), true, false)
	})
	b.Run("resolve", func(b *testing.B) {
		benchPairedWith(b, genlResolveVariants(b, genlNS(b)), true, false)
	})
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
	cc, gc, mc := benchDialCore(b, unix.NETLINK_GENERIC, ns), genlDialNlkit(b, ns), genlDialMdlayher(b, ns)
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
	cc, gc, mc := benchDialCore(b, unix.NETLINK_GENERIC, ns), genlDialNlkit(b, ns), genlDialMdlayher(b, ns)
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
			return genlCheckEthtool(genlFamilyName(gc.GetFamily(ctx, "ethtool")))
		}},
		{"mdlayher", func() error {
			f, err := mc.GetFamily("ethtool")
			return genlCheckEthtool(f.Name, err)
		}},
	}
}
