package core

import (
	"context"
	"time"
)

// Hold runs fn with the Conn held for one long exchange: the sends and
// receives fn makes through h take no lock and cannot be interleaved with
// another caller's Execute, Dump, Receive or Listen on the same Conn, so
// an exchange of its own design (many writes, each answered, as a bulk
// create does) stays one exchange. ctx bounds the whole of it; it is
// watched once, not on every call. h is valid only during fn. fn must not
// call the Conn's other exchange methods (they would wait for Hold to
// end); Send, SendTo and SendBatch may still come from other goroutines.
func (c *Conn) Hold(ctx context.Context, fn func(h *Held) error) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	h := Held{c: c, ctx: ctx}
	return fn(&h)
}

// Held is a Conn held by Hold.
type Held struct {
	c   *Conn
	ctx context.Context
}

// SendBatch sends ms in one datagram, assigning sequence numbers to those
// without one (written back into ms).
func (h *Held) SendBatch(ms []Message) error {
	if err := h.ctx.Err(); err != nil {
		return &OpError{Op: "netlink send", Err: err}
	}
	c := h.c
	c.sb.reset()
	for i := range ms {
		ms[i] = c.encode(&c.sb, ms[i])
	}
	return c.flush(h.ctx, &c.sb, 0, 0)
}

// Send sends one message and returns its sequence number.
func (h *Held) Send(m Message) (uint32, error) {
	ms := [1]Message{m}
	err := h.SendBatch(ms[:])
	return ms[0].Header.Sequence, err
}

// ReceiveFunc reads one datagram and calls fn with each of its messages
// in place (valid only during the call), stopping at fn's first error.
// It waits as long as Hold's context allows.
func (h *Held) ReceiveFunc(fn func(Message) error) error {
	if err := h.ctx.Err(); err != nil {
		return &OpError{Op: "netlink receive", Err: err}
	}
	return h.c.receiveOne(h.ctx, fn)
}

// ReceiveFuncUntil is ReceiveFunc that gives up at t (or at the context's
// deadline, if sooner) with an error matching os.ErrDeadlineExceeded.
func (h *Held) ReceiveFuncUntil(t time.Time, fn func(Message) error) error {
	if err := h.ctx.Err(); err != nil {
		return &OpError{Op: "netlink receive", Err: err}
	}
	c := h.c
	if d, ok := h.ctx.Deadline(); ok && d.Before(t) {
		t = d
	}
	c.wmu.Lock()
	c.t.SetReadDeadline(t)
	c.wmu.Unlock()
	err := c.receiveOne(h.ctx, fn)
	c.wmu.Lock()
	switch d, ok := h.ctx.Deadline(); {
	case h.ctx.Err() != nil:
		c.t.SetReadDeadline(longAgo)
	case ok && (c.deadline.IsZero() || d.Before(c.deadline)):
		c.t.SetReadDeadline(d)
	default:
		c.t.SetReadDeadline(c.deadline)
	}
	c.wmu.Unlock()
	return err
}
