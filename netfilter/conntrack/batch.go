package conntrack

import (
	"context"
	"errors"
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
	rctx ctDeadlineOnly // the context answers are read with, in a run
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
	// ctSendWrite is how many requests SendBatch puts in one write, and
	// ctSendGroup how many it sends for one answer: few enough that their
	// errors, were every one refused, fit a default receive queue.
	ctSendWrite = 64
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
// so the answers waiting never outnumber a write. It allocates nothing
// per request but the errors.
//
// The answers are read between writes, not in one exchange: while a
// batch runs, other calls on the same Conn from other goroutines could
// take its answers (batches on one Conn wait for each other). Use a Conn
// of its own for batches that run beside other calls.
func (c *Conn) ExecBatch(ctx context.Context, b *Batch) error {
	group := c.batch
	if group <= 0 {
		group = ctExecGroup
	}
	return c.ctBatchRun(ctx, b, group, group)
}

// SendBatch is ExecBatch with more requests for each answer: 64 to a
// write, and only the last of every 128 asks for an ACK, so the kernel
// answers only those it refuses and then that one. It is the call for
// bulk creation when only refused requests matter. Failed requests are
// reported as by ExecBatch (a *BatchError for the first, Batch.Err for
// each). Should the receive queue overflow all the same (a small
// Config.ReadBuffer), the result is core.ErrOverrun and requests whose
// errors were lost read as done: check with a dump. The same caution
// about other goroutines holds as for ExecBatch.
func (c *Conn) SendBatch(ctx context.Context, b *Batch) error {
	return c.ctBatchRun(ctx, b, ctSendWrite, ctSendGroup)
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
	c.bmu.Lock()
	defer c.bmu.Unlock()
	// Reads honour ctx's deadline through the socket's; a cancellation
	// is seen between reads (see ctDeadlineOnly).
	rctx := ctx
	if ctx.Done() != nil {
		b.rctx.Context = ctx
		rctx = &b.rctx
		defer func() { b.rctx.Context = nil }()
	}
	var overrun error
	for gs := 0; gs < n; {
		ge := min(gs+perGroup, n)
		b.msgs[ge-1].Header.Flags |= core.FlagAck
		for s := gs; s < ge; {
			e, size := s+1, b.msgs[s].Len()
			for e < ge && e-s < perWrite && size+core.Align(b.msgs[e].Len()) <= ctWriteBytes {
				size += core.Align(b.msgs[e].Len())
				e++
			}
			if err := c.c.SendBatch(ctx, b.msgs[s:e]); err != nil {
				return core.WithOp(err, "conntrack batch")
			}
			s = e
		}
		if err := c.ctBatchWait(ctx, rctx, b, gs, ge, &overrun); err != nil {
			return err
		}
		gs = ge
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

// ctDeadlineOnly is a context with its parent's deadline, values and
// error but no Done channel. core.Conn.ReceiveFunc watches a context
// that can be cancelled with a context.AfterFunc, three allocations a
// read; one without Done costs only the socket deadline. The kernel
// answers a request inside the sendmsg that carries it, so the answers
// a batch waits for are queued before it reads them and a read does not
// block: a cancellation is seen before each read, the deadline during
// it.
type ctDeadlineOnly struct {
	context.Context
}

// Done returns nil: the context is not watched for cancellation.
func (*ctDeadlineOnly) Done() <-chan struct{} { return nil }

// ctBatchWait reads the answers to requests start to end, whose last
// asked for an ACK, reading with rctx (ctx or its ctDeadlineOnly). After
// an overrun that answer may be lost: it sends a no-op with NLM_F_ACK,
// whose ACK comes after anything left of theirs, and waits for either.
func (c *Conn) ctBatchWait(ctx, rctx context.Context, b *Batch, start, end int, overrun *error) error {
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
			rctx, cancel := context.WithTimeout(ctx, ctDrainWait)
			err = c.c.ReceiveFunc(rctx, w.take)
			cancel()
		} else if err = ctx.Err(); err == nil {
			err = c.c.ReceiveFunc(rctx, w.take)
		}
		switch {
		case err == nil:
		case errors.Is(err, core.ErrOverrun):
			*overrun, drain = err, true
		case drain && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			drain = false
			noop := core.Message{Header: core.Header{Type: core.TypeNoop, Flags: core.FlagRequest | core.FlagAck}}
			if w.last, err = c.c.Send(ctx, noop); err != nil {
				return core.WithOp(err, "conntrack batch")
			}
		default:
			return core.WithOp(err, "conntrack batch")
		}
	}
	return nil
}
