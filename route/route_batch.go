package route

import (
	"context"
	"errors"
	"fmt"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Batches: many route requests per write, and no ACK for each. The kernel
// runs the requests of a datagram one after the other inside the write
// (rtnetlink is synchronous), answering only failures; the last request
// of each datagram asks for an ACK, so once it is answered every error of
// the datagram has arrived, in order, and maps to its request by sequence
// number. Skipping the 99% of ACKs that say "fine" halves the kernel's
// work (each ACK is a datagram of its own to allocate, queue and read).

const (
	// routeBatchMsgs bounds the requests in one datagram: their errors
	// (up to one each, about 1 KiB of receive buffer apiece) must fit in
	// the default receive buffer (208 KiB) until they are read.
	routeBatchMsgs = 128
	// routeBatchBytes bounds the datagram, well under the default send
	// buffer.
	routeBatchBytes = 64 << 10
)

// RouteAddBatch adds many routes with few writes: up to 128 requests per
// datagram, and an ACK asked only of the last one of each (see RouteAdd
// for the defaults of zero fields). It is the way to program tens of
// thousands of routes; here it adds 100,000 in about the kernel's own
// time.
//
// When errs is not nil it must have room for len(routes) entries: errs[i]
// receives route i's error (nil when added; a route Marshal refuses is
// never sent), and the returned error is only a failure of the socket or
// the context. With errs nil, the first route error is returned after the
// whole batch has been tried. Errors name the route ("route add
// 198.51.100.0/24: file exists").
//
// The errors of a datagram are read after it is written: another
// goroutine's call on the same Conn in between would drop them as
// strangers, so give a batch a Conn of its own while it runs.
func (c *Conn) RouteAddBatch(ctx context.Context, routes []Route, errs []error) error {
	return c.routeBatch(ctx, "route add", unix.RTM_NEWROUTE, core.FlagCreate|core.FlagExcl, routes, errs)
}

// RouteReplaceBatch is RouteAddBatch with replace semantics (RouteReplace).
func (c *Conn) RouteReplaceBatch(ctx context.Context, routes []Route, errs []error) error {
	return c.routeBatch(ctx, "route replace", unix.RTM_NEWROUTE, core.FlagCreate|core.FlagReplace, routes, errs)
}

// RouteDelBatch deletes many routes as RouteAddBatch adds them (see
// RouteDel for how zero fields match).
func (c *Conn) RouteDelBatch(ctx context.Context, routes []Route, errs []error) error {
	return c.routeBatch(ctx, "route del", unix.RTM_DELROUTE, 0, routes, errs)
}

func (c *Conn) routeBatch(ctx context.Context, verb string, typ uint16, flags core.HeaderFlags, routes []Route, errs []error) error {
	if errs != nil && len(errs) < len(routes) {
		return fmt.Errorf("%s batch: errs holds %d entries for %d routes", verb, len(errs), len(routes))
	}
	var first error
	record := func(i int, err error) {
		if err != nil {
			err = core.WithOp(err, routeOpName(verb, &routes[i]))
		}
		if errs != nil {
			errs[i] = err
		} else if first == nil && err != nil {
			first = err
		}
	}
	var (
		arena []byte
		offs  []int
		idx   []int // route index of each message
		msgs  []core.Message
	)
	// The receive-loop hooks of a datagram: errors of the requests sent
	// without an ACK (sequence numbers lo..hi) are taken and recorded; the
	// last request's answer ends the exchange as usual.
	var lo, hi, last uint32
	acked := false
	cb := &core.Callbacks{
		SeqCheck: func(m core.Message) core.Action {
			if s := m.Header.Sequence; s-lo <= hi-lo && hi != 0 {
				return core.Continue
			}
			return core.Skip
		},
		Error: func(m core.Message, e *core.Error) core.Action {
			s := m.Header.Sequence
			switch {
			case s == last:
				record(idx[len(idx)-1], e)
				return core.Continue
			case hi != 0 && s-lo <= hi-lo:
				record(idx[s-lo], e)
			}
			return core.Skip
		},
		Ack: func(m core.Message) core.Action {
			if m.Header.Sequence == last {
				acked = true
			}
			return core.Continue
		},
		MsgOut: func(m core.Message) core.Action {
			last = m.Header.Sequence
			return core.Continue
		},
	}
	if errs != nil {
		clear(errs[:len(routes)])
	}
	for start := 0; start < len(routes); {
		arena, offs, idx, msgs = arena[:0], offs[:0], idx[:0], msgs[:0]
		i := start
		for ; i < len(routes) && len(idx) < routeBatchMsgs && len(arena) < routeBatchBytes; i++ {
			n := len(arena)
			var err error
			arena, err = routeRequestData(arena, typ, &routes[i])
			if err != nil {
				arena = arena[:n]
				record(i, err)
				continue
			}
			offs = append(offs, n)
			idx = append(idx, i)
		}
		start = i
		if len(idx) == 0 {
			continue
		}
		offs = append(offs, len(arena))
		for k := range idx {
			msgs = append(msgs, core.Message{
				Header: core.Header{Type: core.MessageType(typ), Flags: core.FlagRequest | flags},
				Data:   arena[offs[k]:offs[k+1]:offs[k+1]],
			})
		}
		lo, hi = 0, 0
		if n := len(msgs) - 1; n > 0 {
			if err := c.c.SendBatch(ctx, msgs[:n]); err != nil {
				return core.WithOp(err, verb+" batch")
			}
			lo, hi = msgs[0].Header.Sequence, msgs[n-1].Header.Sequence
		}
		tail := msgs[len(msgs)-1]
		tail.Header.Sequence = 0
		acked = false
		err := c.c.Run(ctx, tail, cb)
		var ke *core.Error
		switch {
		case err == nil && acked:
			record(idx[len(idx)-1], nil)
		case err == nil:
			return fmt.Errorf("%s batch: the exchange ended without an answer to the last request", verb)
		case errors.As(err, &ke):
			// Recorded by the Error hook.
		default:
			return core.WithOp(err, verb+" batch")
		}
	}
	return first
}
