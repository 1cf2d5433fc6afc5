package core

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
)

// Receiving: the receive loop every call runs, and Receive and Listen.

// expect is what the receive loop waits for.
type expect struct {
	seq   uint32 // first sequence number awaited; 0: none (events)
	n     int    // how many requests, from seq on
	dump  bool   // stop at NLMSG_DONE
	batch bool   // n requests, each ending at its ACK or error
	errs  []error
	first error
	done  int
}

func (e *expect) match(seq uint32) (int, bool) {
	if e.seq == 0 {
		return 0, true
	}
	i := int(seq - e.seq)
	return i, seq-e.seq < uint32(e.n)
}

// settle records the answer (nil: an ACK) to request idx of a batch and
// reports whether every request of the batch has been answered.
func (e *expect) settle(idx int, err error) bool {
	if e.errs != nil {
		e.errs[idx] = err
	} else if e.first == nil {
		e.first = err
	}
	e.done++
	return e.done == e.n
}

// receive is the receive loop (nl_recvmsgs): it reads datagrams, drops
// foreign senders and strangers, runs the callbacks, and hands data
// messages to deliver (nil: none) until the exchange ends. After deliver
// returns false, it keeps reading to the end of the exchange but delivers
// nothing more.
func (c *Conn) receive(ctx context.Context, exp *expect, deliver func(Message) bool) error {
	cb := c.cfg.Callbacks
	if cb == nil {
		cb = &noCallbacks
	}
	interrupted := false
	for {
		n, from, err := c.t.Receive(&c.rbuf)
		if err != nil {
			return c.ioErr(ctx, "netlink receive", err)
		}
		if from.Port != 0 && !c.cfg.AcceptNonKernel {
			c.foreign.Add(1)
			continue
		}
		dgram := c.rbuf[:n]
		if c.trace != nil {
			c.fmt.Trace(c.trace, "recv", dgram)
		}
		// The header walk is MessageScanner's, inlined: one Message
		// value reused for the whole datagram, no per-message copies.
		m := Message{From: from}
		var perr error
		for off := 0; off < len(dgram); {
			rest := dgram[off:]
			if len(rest) < HeaderLen {
				perr = &ParseError{What: "netlink header", Offset: off, Len: len(rest), Want: HeaderLen}
				break
			}
			l := int(binary.NativeEndian.Uint32(rest))
			if l < HeaderLen || l > len(rest) {
				perr = &ParseError{What: "netlink message length", Offset: off, Len: len(rest), Want: l}
				break
			}
			m.Header = Header{
				Length:   uint32(l),
				Type:     MessageType(binary.NativeEndian.Uint16(rest[4:])),
				Flags:    HeaderFlags(binary.NativeEndian.Uint16(rest[6:])),
				Sequence: binary.NativeEndian.Uint32(rest[8:]),
				PID:      binary.NativeEndian.Uint32(rest[12:]),
			}
			m.Data = rest[HeaderLen:l:l]
			off += Align(l)
			switch call(cb.MsgIn, m) {
			case Skip:
				continue
			case Stop:
				return nil
			}
			idx, ok := exp.match(m.Header.Sequence)
			if !ok {
				a := Skip
				if cb.SeqCheck != nil {
					a = cb.SeqCheck(m)
				}
				if a == Stop {
					return nil
				}
				if a != Continue {
					c.unexpected.Add(1)
					continue
				}
			}
			if m.Header.Flags&FlagDumpIntr != 0 {
				switch a := call(cb.DumpInterrupted, m); a {
				case Skip:
					continue
				case Stop:
					return nil
				}
				interrupted = true
			}
			if m.Header.Flags&FlagAck != 0 && cb.SendAck != nil {
				if a := cb.SendAck(m); a == Stop {
					return nil
				} else if a == Skip {
					continue
				}
			}
			switch m.Header.Type {
			case TypeNoop:
				if call(cb.Skipped, m) == Stop {
					return nil
				}
				continue
			case TypeOverrun:
				switch call(cb.Overrun, m) {
				case Skip:
					continue
				case Stop:
					return nil
				}
				c.overruns.Add(1)
				return ErrOverrun
			case TypeDone:
				if e := parseDoneError(m, c.requestBytes(idx)); e != nil {
					c.nameOffset(e, idx)
					switch errCall(cb.Error, m, e) {
					case Skip:
						continue
					case Stop:
						return nil
					}
					return e
				}
				switch call(cb.Finish, m) {
				case Skip:
					continue
				case Stop:
					return nil
				}
				if exp.seq != 0 && !exp.batch {
					if interrupted {
						return ErrDumpInterrupted
					}
					return nil
				}
				continue
			case TypeError:
				e, perr := ParseErrorMessage(m.Header, m.Data, c.requestBytes(idx))
				c.nameOffset(e, idx)
				if perr != nil {
					switch invalid(cb.Invalid, m, perr) {
					case Skip:
						continue
					case Stop:
						return nil
					}
					return perr
				}
				if e == nil {
					switch call(cb.Ack, m) {
					case Skip:
						continue
					case Stop:
						return nil
					}
					if exp.batch {
						if ok && exp.settle(idx, nil) {
							return nil
						}
						continue
					}
					if interrupted {
						return ErrDumpInterrupted
					}
					return nil
				}
				switch errCall(cb.Error, m, e) {
				case Skip:
					continue
				case Stop:
					return nil
				}
				if exp.batch {
					if ok && exp.settle(idx, e) {
						return nil
					}
					continue
				}
				return e
			}
			switch call(cb.Valid, m) {
			case Skip:
				continue
			case Stop:
				return nil
			}
			if exp.batch {
				continue
			}
			if deliver != nil && !deliver(m) {
				deliver = nil
			}
			// A dump ends at NLMSG_DONE (or an error), not at a
			// message without NLM_F_MULTI: some families (genl
			// netdev) leave the flag off their dump replies.
		}
		if err := perr; err != nil {
			switch invalid(cb.Invalid, Message{From: from}, err) {
			case Skip:
				continue
			case Stop:
				return nil
			}
			return &OpError{Op: "netlink receive", Err: err}
		}
		if exp.seq == 0 {
			return nil
		}
	}
}

var noCallbacks Callbacks

func call(fn func(Message) Action, m Message) Action {
	if fn == nil {
		return Continue
	}
	return fn(m)
}

func errCall(fn func(Message, *Error) Action, m Message, e *Error) Action {
	if fn == nil {
		return Continue
	}
	return fn(m, e)
}

func invalid(fn func(Message, error) Action, m Message, err error) Action {
	if fn == nil {
		return Continue
	}
	return fn(m, err)
}

// requestBytes returns request i of the last datagram sent.
func (c *Conn) requestBytes(i int) []byte {
	if i < 0 || i >= len(c.sb.offs) {
		return nil
	}
	end := len(c.sb.b)
	if i+1 < len(c.sb.offs) {
		end = c.sb.offs[i+1]
	}
	return c.sb.b[c.sb.offs[i]:end]
}

// parseDoneError reads the error a strict dump may put in NLMSG_DONE.
func parseDoneError(m Message, req []byte) *Error {
	if len(m.Data) < 4 || binary.NativeEndian.Uint32(m.Data) == 0 {
		return nil
	}
	h := m.Header
	// An NLMSG_DONE carries an int error and, with NLM_F_ACK_TLVS, the
	// extended-ACK attributes right after it (no request echo).
	fake := make([]byte, 0, 4+HeaderLen+len(m.Data)-4)
	fake = append(fake, m.Data[:4]...)
	fake = AppendMessage(fake, Message{Header: Header{Type: h.Type}})
	fake = append(fake, m.Data[4:]...)
	h.Flags |= FlagCapped
	e, err := ParseErrorMessage(h, fake, req)
	if err != nil || e == nil {
		return nil
	}
	e.Request = Header{}
	return e
}

// Receive reads one datagram from the kernel or, with AcceptNonKernel, any
// sender, and returns copies of its messages with their sender in From.
// Datagrams from senders not accepted are dropped and counted.
func (c *Conn) Receive(ctx context.Context) ([]Message, error) {
	var msgs []Message
	err := c.ReceiveFunc(ctx, func(m Message) error {
		msgs = append(msgs, m.Clone())
		return nil
	})
	return msgs, err
}

// ReceiveFunc is Receive without the copies: it reads one datagram and
// calls fn with each of its messages in place (valid only during the
// call), stopping at fn's first error, which it returns.
func (c *Conn) ReceiveFunc(ctx context.Context, fn func(Message) error) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	return c.receiveOne(ctx, fn)
}

// receiveOne reads one accepted datagram and hands its messages to fn.
// The caller holds the Conn.
func (c *Conn) receiveOne(ctx context.Context, fn func(Message) error) error {
	for {
		n, from, err := c.t.Receive(&c.rbuf)
		if err != nil {
			return c.ioErr(ctx, "netlink receive", err)
		}
		if from.Port != 0 && !c.cfg.AcceptNonKernel {
			c.foreign.Add(1)
			continue
		}
		if c.trace != nil {
			c.fmt.Trace(c.trace, "recv", c.rbuf[:n])
		}
		s := ScanMessages(c.rbuf[:n])
		for s.Next() {
			m := s.Message()
			m.From = from
			if err := fn(m); err != nil {
				return err
			}
		}
		if err := s.Err(); err != nil {
			return &OpError{Op: "netlink receive", Err: err}
		}
		return nil
	}
}

// Listen streams messages as they arrive (events on a Conn that joined
// groups, or a userspace peer's messages) until ctx ends or the loop
// breaks, from one reused buffer. A receive-queue overflow is yielded as
// ErrOverrun and the stream goes on: a caller mirroring kernel state
// should then dump again. When ctx ends, the last pair carries its error.
// Listen holds the Conn for as long as it runs.
func (c *Conn) Listen(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		if err := c.lock(ctx); err != nil {
			yield(Message{}, err)
			return
		}
		defer c.unlock()
		w := c.watch(ctx)
		defer c.unwatch(w)
		stop := false
		deliver := func(m Message) bool {
			if !yield(m, nil) {
				stop = true
				return false
			}
			return true
		}
		for !stop {
			exp := expect{}
			err := c.receive(ctx, &exp, deliver)
			if stop {
				return
			}
			if err != nil {
				if !yield(Message{}, err) {
					return
				}
				if !errors.Is(err, ErrOverrun) {
					if _, ok := err.(*Error); !ok {
						return
					}
				}
			}
		}
	}
}

// nameOffset names the request attribute an extended-ACK offset points at,
// through the Conn's Formatter (which knows the family header and, when a
// family set AttrName, the attribute names).
func (c *Conn) nameOffset(e *Error, idx int) {
	if e == nil || !e.HasOffset {
		return
	}
	if d := c.fmt.DescribeOffset(c.requestBytes(idx), int(e.Offset)); d != "" {
		e.Attr = d
	}
}
