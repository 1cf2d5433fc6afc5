package route

import (
	"context"
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
// The whole batch is one exchange (core.Conn.Hold): other calls on the
// same Conn wait for it, so none can take its answers.
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
	if errs != nil {
		clear(errs[:len(routes)])
	}
	err := c.c.Hold(ctx, func(h *core.Held) error {
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
			msgs[len(msgs)-1].Header.Flags |= core.FlagAck
			if err := h.SendBatch(msgs); err != nil {
				return err
			}
			lo, last := msgs[0].Header.Sequence, msgs[len(msgs)-1].Header.Sequence
			done := false
			take := func(m core.Message) error {
				if m.Header.Type != core.TypeError {
					return nil
				}
				s := m.Header.Sequence
				if s-lo > last-lo {
					return nil // not ours
				}
				kerr, perr := core.ParseErrorMessage(m.Header, m.Data, nil)
				switch {
				case perr != nil:
					record(idx[s-lo], perr)
				case kerr != nil:
					record(idx[s-lo], kerr)
				case s == last:
					record(idx[s-lo], nil)
				}
				if s == last {
					done = true
				}
				return nil
			}
			for !done {
				if err := h.ReceiveFunc(take); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return core.WithOp(err, verb+" batch")
	}
	return first
}
