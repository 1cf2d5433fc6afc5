package bench

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"golang.org/x/sys/unix"
)

// BenchmarkExecute measures one request/reply round trip: RTM_GETLINK for
// lo by index, in a namespace of its own. core.Conn.Execute always asks
// for an ACK (the reply, then the ACK: two datagrams), so the floor does
// too; raw-noack and mdlayher (whose Execute reads one datagram for a
// non-multipart reply, so cannot ask for an ACK) get the reply alone.
func BenchmarkExecute(b *testing.B) {
	nstest.Require(b)
	ns, err := core.NewNetNS()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ns.Close() })
	req := getLinkRequest(loIndex)
	checkLo := func(b *testing.B, typ uint16, payload []byte) {
		if typ != unix.RTM_NEWLINK || len(payload) < unix.SizeofIfInfomsg ||
			int32(binary.NativeEndian.Uint32(payload[4:8])) != loIndex {
			b.Fatalf("reply type %d (%d bytes) is not lo's RTM_NEWLINK", typ, len(payload))
		}
	}

	for _, v := range []struct {
		name  string
		mode  recvMode
		end   replyEnd
		floor bool
	}{
		{"raw", recvPlain, endAck, true},
		{"raw-peek", recvPeek, endAck, false},
		{"raw-spill", recvSpill, endAck, false},
		{"raw-noack", recvPlain, endFirst, false},
	} {
		b.Run(v.name, func(b *testing.B) {
			r, err := dialRaw(ns, 32<<10, v.mode)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(r.close)
			m := req
			if v.end == endFirst {
				m.Header.Flags &^= core.FlagAck
			}
			w := wire(m, 1)
			check := func(typ uint16, payload []byte) { checkLo(b, typ, payload) }
			mt := newMeter(b, "execute", v.floor)
			for b.Loop() {
				n, err := r.exchange(w, v.end, check)
				executeOneReply(b, n, err)
			}
			mt.done()
		})
	}

	b.Run("core", func(b *testing.B) {
		c := benchDialCore(b, unix.NETLINK_ROUTE, ns)
		ctx := context.Background()
		mt := newMeter(b, "execute", false)
		for b.Loop() {
			msgs, err := c.Execute(ctx, req)
			executeOneReply(b, len(msgs), err)
			checkLo(b, uint16(msgs[0].Header.Type), msgs[0].Data)
		}
		mt.done()
	})

	// core-func: Conn.ExecuteFunc, the in-place form a family decoder
	// uses (no copy of the reply).
	b.Run("core-func", func(b *testing.B) {
		c := benchDialCore(b, unix.NETLINK_ROUTE, ns)
		ctx := context.Background()
		n := 0
		check := func(m core.Message) error {
			checkLo(b, uint16(m.Header.Type), m.Data)
			n++
			return nil
		}
		mt := newMeter(b, "execute", false)
		for b.Loop() {
			n = 0
			err := c.ExecuteFunc(ctx, req, check)
			executeOneReply(b, n, err)
		}
		mt.done()
	})

	b.Run("mdlayher", func(b *testing.B) {
		c, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: ns.FD(), Strict: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		m := netlink.Message{
			Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request},
			Data:   req.Data,
		}
		mt := newMeter(b, "execute", false)
		for b.Loop() {
			msgs, err := c.Execute(m)
			executeOneReply(b, len(msgs), err)
			checkLo(b, uint16(msgs[0].Header.Type), msgs[0].Data)
		}
		mt.done()
	})
}

// executeOneReply fails b on err, or unless there was one reply (n).
func executeOneReply(b *testing.B, n int, err error) {
	if err != nil {
		b.Fatal(err)
	}
	if n != 1 {
		b.Fatalf("%d replies, want 1", n)
	}
}
