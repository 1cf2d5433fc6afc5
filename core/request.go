package core

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// Sending: sequence numbers, encoding, and the request/answer calls.

func (c *Conn) nextSeq() uint32 {
	for {
		s := c.seq.Add(1)
		if s != 0 {
			return s
		}
	}
}

// sendBuf is a datagram being built: its bytes and where each message
// starts.
type sendBuf struct {
	b    []byte
	offs []int
}

func (sb *sendBuf) reset() { sb.b, sb.offs = sb.b[:0], sb.offs[:0] }

// encode appends m to sb, assigning a sequence number when it has none,
// and returns it as sent.
func (c *Conn) encode(sb *sendBuf, m Message) Message {
	if m.Header.Sequence == 0 {
		m.Header.Sequence = c.nextSeq()
	}
	if m.Header.PID == 0 {
		m.Header.PID = c.t.PortID()
	}
	m.Header.Length = uint32(m.Len())
	sb.offs = append(sb.offs, len(sb.b))
	sb.b = AppendMessage(sb.b, m)
	return m
}

// flush sends the datagram in sb to port/group, calling MsgOut and the
// trace first.
func (c *Conn) flush(ctx context.Context, sb *sendBuf, port, group uint32) error {
	if cb := c.cfg.Callbacks; cb != nil && cb.MsgOut != nil {
		s := ScanMessages(sb.b)
		for s.Next() {
			if a := cb.MsgOut(s.Message()); a != Continue {
				return &OpError{Op: "netlink send", Err: errors.New("cancelled by the MsgOut callback")}
			}
		}
	}
	if c.trace != nil {
		c.fmt.Trace(c.trace, "send", sb.b)
	}
	c.tmu.Lock()
	err := c.t.Send(sb.b, port, group)
	c.tmu.Unlock()
	if err != nil {
		return c.ioErr(ctx, "netlink send", err)
	}
	return nil
}

// Send sends one message to the kernel and returns the sequence number it
// carried (assigned when m had none). Flags are sent as given.
func (c *Conn) Send(ctx context.Context, m Message) (uint32, error) {
	return c.SendTo(ctx, m, 0, 0)
}

// SendTo sends one message to a userspace port or a multicast group (port
// 0 and group 0: the kernel). Like Send, it does not wait for a running
// exchange or Listen.
func (c *Conn) SendTo(ctx context.Context, m Message, port, group uint32) (uint32, error) {
	if err := c.sendLock(ctx); err != nil {
		return 0, err
	}
	defer c.smu.Unlock()
	c.ob.reset()
	m = c.encode(&c.ob, m)
	return m.Header.Sequence, c.flush(ctx, &c.ob, port, group)
}

// sendLock takes the send-only lock. A send never blocks on the socket
// (a full peer gives EAGAIN), so ctx is only checked, not watched.
func (c *Conn) sendLock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &OpError{Op: "netlink send", Err: err}
	}
	c.smu.Lock()
	if c.closed.Load() {
		c.smu.Unlock()
		return ErrClosed
	}
	return nil
}

// SendBatch sends ms to the kernel in one datagram (one sendmsg), assigning
// sequence numbers to those without one (written back into ms). It does
// not wait for replies: use ExecuteBatch for that.
func (c *Conn) SendBatch(ctx context.Context, ms []Message) error {
	if err := c.sendLock(ctx); err != nil {
		return err
	}
	defer c.smu.Unlock()
	c.ob.reset()
	for i := range ms {
		ms[i] = c.encode(&c.ob, ms[i])
	}
	return c.flush(ctx, &c.ob, 0, 0)
}

// Execute sends req and waits for its answer (libnl's nl_send_sync and
// friends): the reply messages, copied, then the ACK. NLM_F_REQUEST and
// NLM_F_ACK are added. The answer ends at the ACK, a kernel error
// (returned as *Error), or NLMSG_DONE, which is how a request the kernel
// treats as a dump ends (the kernel does not ACK dumps); Dump streams a
// dump without the copies.
func (c *Conn) Execute(ctx context.Context, req Message) ([]Message, error) {
	var out []Message
	err := c.do(ctx, req, func(m Message) bool {
		out = append(out, m.Clone())
		return true
	})
	return out, err
}

// ExecuteFunc is Execute without the copies: fn sees each reply in place
// (valid only during the call), which is how a family decodes a reply
// straight into its object. When fn returns an error, the rest of the
// answer is read and dropped, and that error is returned.
func (c *Conn) ExecuteFunc(ctx context.Context, req Message, fn func(Message) error) error {
	var ferr error
	err := c.do(ctx, req, func(m Message) bool {
		ferr = fn(m)
		return ferr == nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// Run sends req and runs the receive loop with cb for this call on top of
// Config.Callbacks (cb's hooks win), like libnl's nl_send_auto followed by
// nl_recvmsgs. Data messages reach cb.Valid; the loop ends at the ACK,
// NLMSG_DONE for a dump, an error, or a Stop.
func (c *Conn) Run(ctx context.Context, req Message, cb *Callbacks) error {
	if cb == nil {
		return c.do(ctx, req, nil)
	}
	saved := c.cfg.Callbacks
	merged := mergeCallbacks(saved, cb)
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	c.cfg.Callbacks = merged
	defer func() { c.cfg.Callbacks = saved }()
	return c.doLocked(ctx, req, nil, false)
}

func (c *Conn) do(ctx context.Context, req Message, deliver func(Message) bool) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	return c.doLocked(ctx, req, deliver, false)
}

// doLocked sends req and receives its answer. A dump (from Dump) ends at
// NLMSG_DONE and asks for no ACK. Anything else asks for the ACK and ends
// at it, at an error, or at NLMSG_DONE: the flag bits alone cannot tell a
// dump (ROOT|MATCH) from a new request with REPLACE|EXCL, so a request
// that the kernel treats as a dump (and so does not ACK) also ends.
func (c *Conn) doLocked(ctx context.Context, req Message, deliver func(Message) bool, dump bool) error {
	w := c.watch(ctx)
	defer c.unwatch(w)
	req.Header.Flags |= FlagRequest
	if dump {
		req.Header.Flags |= FlagDump
	} else {
		req.Header.Flags |= FlagAck
	}
	c.sb.reset()
	req = c.encode(&c.sb, req)
	if err := c.flush(ctx, &c.sb, 0, 0); err != nil {
		return err
	}
	exp := expect{seq: req.Header.Sequence, n: 1, dump: dump}
	return c.receive(ctx, &exp, deliver)
}

// Dump sends a dump request (NLM_F_REQUEST|NLM_F_DUMP are added) and
// streams the reply messages from one reused buffer. A Message is valid
// until the loop moves on. A kernel error ends the stream as the last
// pair; a dump the kernel flagged NLM_F_DUMP_INTR ends, after all its data,
// with ErrDumpInterrupted. Breaking out of the loop early is allowed: the
// rest of the dump is read and dropped so the Conn stays in step.
func (c *Conn) Dump(ctx context.Context, req Message) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		if err := c.lock(ctx); err != nil {
			yield(Message{}, err)
			return
		}
		defer c.unlock()
		broke := false
		err := c.doLocked(ctx, req, func(m Message) bool {
			if !yield(m, nil) {
				broke = true
				return false
			}
			return true
		}, true)
		if err != nil && !broke {
			yield(Message{}, err)
		}
	}
}

// DumpAll runs a dump and returns copies of its messages. When the kernel
// interrupts the dump (ErrDumpInterrupted), it starts again, up to retries
// more times, and returns the last attempt's messages with the error if
// every attempt was interrupted.
func (c *Conn) DumpAll(ctx context.Context, req Message, retries int) ([]Message, error) {
	for attempt := 0; ; attempt++ {
		var out []Message
		var err error
		for m, e := range c.Dump(ctx, req) {
			if e != nil {
				err = e
				break
			}
			out = append(out, m.Clone())
		}
		if errors.Is(err, ErrDumpInterrupted) && attempt < retries {
			continue
		}
		return out, err
	}
}

// ExecuteBatch sends ms in datagrams of Config.BatchSize messages (one
// sendmsg each) with NLM_F_REQUEST|NLM_F_ACK, and reads every ACK. Replies
// other than ACKs are dropped. When errs is not nil (len(errs) >=
// len(ms)), errs[i] receives message i's kernel error or nil, and the
// returned error is only a transport failure; with errs nil the first
// kernel error is returned after the whole batch is done.
func (c *Conn) ExecuteBatch(ctx context.Context, ms []Message, errs []error) error {
	if errs != nil && len(errs) < len(ms) {
		return &OpError{Op: "netlink batch", Err: fmt.Errorf("errs holds %d entries for %d messages", len(errs), len(ms))}
	}
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	size := c.cfg.BatchSize
	if size <= 0 {
		size = defaultBatchSize
	}
	var first error
	for start := 0; start < len(ms); {
		c.sb.reset()
		end := start
		base := c.nextSeq()
		for end < len(ms) && end-start < size {
			m := ms[end]
			m.Header.Flags |= FlagRequest | FlagAck
			m.Header.Sequence = base + uint32(end-start)
			if end > start && c.maxDatagram > 0 && len(c.sb.b)+Align(m.Len()) > c.maxDatagram {
				break
			}
			c.encode(&c.sb, m)
			end++
		}
		c.seq.Store(base + uint32(end-start-1))
		if err := c.flush(ctx, &c.sb, 0, 0); err != nil {
			return err
		}
		exp := expect{seq: base, n: end - start, batch: true}
		if errs != nil {
			exp.errs = errs[start:end]
		}
		if err := c.receive(ctx, &exp, nil); err != nil {
			return err
		}
		if first == nil {
			first = exp.first
		}
		start = end
	}
	return first
}
