package conntrack

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/core"
)

// Batch holds many ctnetlink requests encoded into one reused buffer, for
// Conn.ExecBatch or Conn.SendBatch. After Reset the buffers are kept: a
// Batch refilled with the same number of requests allocates nothing.
//
//	var b conntrack.Batch
//	for i := range flows {
//		if err := b.Create(&flows[i]); err != nil { ... }
//	}
//	err := c.ExecBatch(ctx, &b)
type Batch struct {
	enc  core.AttrEncoder
	reqs []batchReq
	msgs []core.Message
	errs []error
}

type batchReq struct {
	typ   uint16
	flags core.HeaderFlags
	start int
	end   int
}

// Len is the number of requests in the batch.
func (b *Batch) Len() int { return len(b.reqs) }

// Reset empties the batch, keeping its buffers.
func (b *Batch) Reset() {
	b.enc.Reset()
	b.reqs = b.reqs[:0]
}

// truncate drops what a failed encode appended.
func (b *Batch) truncate(n int) {
	full := b.enc.Bytes()
	b.enc.Reset()
	b.enc.Raw(full[:n])
}

// Create adds a create request for f (as Conn.Create sends it).
func (b *Batch) Create(f *Flow) error {
	start := b.enc.Len()
	if err := f.encode(&b.enc, ^Field(0), true); err != nil {
		b.truncate(start)
		return err
	}
	b.reqs = append(b.reqs, batchReq{typ: ctType(msgCTNew), flags: core.FlagCreate | core.FlagExcl, start: start, end: b.enc.Len()})
	return nil
}

// Update adds an update request for the fields named of f (as
// Conn.Update sends it).
func (b *Batch) Update(f *Flow, fields Field) error {
	start := b.enc.Len()
	if err := f.encode(&b.enc, fields, false); err != nil {
		b.truncate(start)
		return err
	}
	if f.Zone != 0 {
		b.enc.Uint16BE(ctaZone, f.Zone)
	}
	b.reqs = append(b.reqs, batchReq{typ: ctType(msgCTNew), start: start, end: b.enc.Len()})
	return nil
}

// Delete adds a delete request for f (as Conn.Delete sends it).
func (b *Batch) Delete(f *Flow) error {
	start := b.enc.Len()
	if err := f.encode(&b.enc, 0, false); err != nil {
		b.truncate(start)
		return err
	}
	if f.Zone != 0 {
		b.enc.Uint16BE(ctaZone, f.Zone)
	}
	b.reqs = append(b.reqs, batchReq{typ: ctType(msgCTDelete), start: start, end: b.enc.Len()})
	return nil
}

// Err returns the kernel's answer to request i of the last ExecBatch or
// SendBatch (nil: done).
func (b *Batch) Err(i int) error {
	if i < 0 || i >= len(b.errs) || i >= len(b.reqs) {
		return nil
	}
	return b.errs[i]
}

// prepare lays the requests out as messages (no NLM_F_ACK, no sequence
// number yet) and clears the answers of a previous run.
func (b *Batch) prepare() {
	n := len(b.reqs)
	if cap(b.msgs) < n {
		b.msgs = make([]core.Message, n)
		b.errs = make([]error, n)
	}
	b.msgs, b.errs = b.msgs[:n], b.errs[:n]
	buf := b.enc.Bytes()
	for i, r := range b.reqs {
		b.msgs[i] = core.Message{
			Header: core.Header{Type: core.MessageType(r.typ), Flags: core.FlagRequest | r.flags},
			Data:   buf[r.start:r.end:r.end],
		}
		b.errs[i] = nil
	}
}

const (
	// ctExecGroup is how many requests ExecBatch sends, in one write, for
	// one answer when all succeed (Config.BatchSize overrides it).
	ctExecGroup = 64
	// ctSendGroup is how many requests SendBatch sends, in one write,
	// for one answer: few enough that their errors, were every one
	// refused, fit a default receive queue.
	ctSendGroup = 128
	// ctWriteBytes caps a write, well under a default send buffer.
	ctWriteBytes = 64 << 10
	// ctDrainWait is how long a batch reads after an overrun before it
	// takes the queue for empty.
	ctDrainWait = 20 * time.Millisecond
)

// ExecBatch sends the batch's requests and reports on each: the returned
// error is a transport failure, or a *BatchError for the first request
// the kernel refused (Batch.Err tells about each). The batch is not
// reset.
//
// The requests go Config.BatchSize (default 64) to a write, and only the
// last of each write asks for an ACK: the kernel handles a socket's
// requests in order inside sendmsg and always answers a refused one, so
// the answer to the last request (its ACK or its error) comes after the
// errors of the others, and a request without an error before it is
// done. That is one sendmsg and, when all succeed, one recvmsg a write,
// not one recvmsg a request; the next write goes once its answer is in,
// so the answers waiting never outnumber a write (a queue too small for
// them all the same gives core.ErrOverrun, as in SendBatch). It
// allocates nothing per request but the errors.
//
// The whole batch is one exchange (core.Conn.Hold): other calls on the
// same Conn wait for it, so none can take its answers.
func (c *Conn) ExecBatch(ctx context.Context, b *Batch) error {
	group := c.batch
	if group <= 0 {
		group = ctExecGroup
	}
	return c.ctBatchRun(ctx, b, group, group)
}

// SendBatch is ExecBatch with more requests for each answer: 128 to a
// write, whatever Config.BatchSize says, and only the last asks for an
// ACK, so the kernel answers only those it refuses and then that one. It
// is the call for bulk creation: half the answers of ExecBatch, and as
// many errors as refused flows. Failed requests are reported as by
// ExecBatch (a *BatchError for the first, Batch.Err for each). Should the
// receive queue overflow all the same (a small Config.ReadBuffer), the
// result is core.ErrOverrun and requests whose errors were lost read as
// done: check with a dump. Like ExecBatch it is one exchange.
func (c *Conn) SendBatch(ctx context.Context, b *Batch) error {
	return c.ctBatchRun(ctx, b, ctSendGroup, ctSendGroup)
}

// ctBatchRun sends b's requests in writes of at most perWrite requests
// (and ctWriteBytes bytes); the last request of each group of perGroup
// carries NLM_F_ACK, and the answers up to its own are read before the
// next group goes.
func (c *Conn) ctBatchRun(ctx context.Context, b *Batch, perWrite, perGroup int) error {
	n := len(b.reqs)
	if n == 0 {
		return nil
	}
	b.prepare()
	var overrun error
	err := c.c.Hold(ctx, func(h *core.Held) error {
		for gs := 0; gs < n; {
			ge := min(gs+perGroup, n)
			b.msgs[ge-1].Header.Flags |= core.FlagAck
			for s := gs; s < ge; {
				e, size := s+1, b.msgs[s].Len()
				for e < ge && e-s < perWrite && size+core.Align(b.msgs[e].Len()) <= ctWriteBytes {
					size += core.Align(b.msgs[e].Len())
					e++
				}
				if err := h.SendBatch(b.msgs[s:e]); err != nil {
					return err
				}
				s = e
			}
			if err := ctBatchWait(ctx, h, b, gs, ge, &overrun); err != nil {
				return err
			}
			gs = ge
		}
		return nil
	})
	if err != nil {
		return core.WithOp(err, "conntrack batch")
	}
	if overrun != nil {
		return overrun
	}
	for i, err := range b.errs {
		if err != nil {
			return &BatchError{Index: i, Err: err}
		}
	}
	return nil
}

// ctBatchAnswers records the answers to requests start to end of a
// batch, read in place, until the answer to the last of them or to a
// no-op sent after it (sequence numbers first to last).
type ctBatchAnswers struct {
	b           *Batch
	start, end  int
	base        uint32
	first, last uint32
	done        bool
}

func (w *ctBatchAnswers) take(m core.Message) error {
	if m.Header.Type != core.TypeError {
		return nil
	}
	seq := m.Header.Sequence
	if d := seq - w.base; d < uint32(w.end-w.start) {
		i := w.start + int(d)
		if w.b.msgs[i].Header.Sequence == seq {
			kerr, perr := core.ParseErrorMessage(m.Header, m.Data, nil)
			switch {
			case perr != nil:
				w.b.errs[i] = perr
			case kerr != nil:
				kerr.Op = "conntrack batch request " + strconv.Itoa(i)
				w.b.errs[i] = kerr
			}
		}
	}
	if seq-w.first <= w.last-w.first {
		w.done = true
	}
	return nil
}

// ctBatchWait reads the answers to requests start to end, whose last
// asked for an ACK. After an overrun that answer may be lost: it sends a
// no-op with NLM_F_ACK, whose ACK comes after anything left of theirs,
// and waits for either.
func ctBatchWait(ctx context.Context, h *core.Held, b *Batch, start, end int, overrun *error) error {
	w := ctBatchAnswers{
		b: b, start: start, end: end,
		base:  b.msgs[start].Header.Sequence,
		first: b.msgs[end-1].Header.Sequence,
	}
	w.last = w.first
	drain := false
	for !w.done {
		var err error
		if drain {
			// After an overrun the kernel drops what it sends until
			// the queue is empty, without a second ENOBUFS: read until
			// nothing comes, then ask again.
			err = h.ReceiveFuncUntil(time.Now().Add(ctDrainWait), w.take)
		} else {
			err = h.ReceiveFunc(w.take)
		}
		switch {
		case err == nil:
		case errors.Is(err, core.ErrOverrun):
			*overrun, drain = err, true
		case drain && errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil:
			drain = false
			noop := core.Message{Header: core.Header{Type: core.TypeNoop, Flags: core.FlagRequest | core.FlagAck}}
			if w.last, err = h.Send(noop); err != nil {
				return err
			}
		default:
			return err
		}
	}
	return nil
}
