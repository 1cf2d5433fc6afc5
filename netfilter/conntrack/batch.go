package conntrack

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/core"
)

// Batch holds many ctnetlink requests encoded into one reused buffer, for
// Conn.ExecBatch to send 64 to a write (core.Config.BatchSize). After
// Reset the buffers are kept: a Batch refilled with the same number of
// requests allocates nothing.
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

// Err returns the kernel's answer to request i of the last ExecBatch
// (nil: done).
func (b *Batch) Err(i int) error {
	if i < 0 || i >= len(b.errs) || i >= len(b.reqs) {
		return nil
	}
	return b.errs[i]
}

// ExecBatch sends the batch's requests, Config.BatchSize (default 64) to
// a write, and reads every answer. Each request succeeds or fails on its
// own: the returned error is a transport failure, or a *BatchError for
// the first request the kernel refused (Batch.Err tells about each).
// The batch is not reset.
func (c *Conn) ExecBatch(ctx context.Context, b *Batch) error {
	n := len(b.reqs)
	if n == 0 {
		return nil
	}
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
	if err := c.c.ExecuteBatch(ctx, b.msgs, b.errs); err != nil {
		return core.WithOp(err, "conntrack batch")
	}
	for i, err := range b.errs {
		if err != nil {
			return &BatchError{Index: i, Err: err}
		}
	}
	return nil
}

// ctSendChunk is how many requests SendBatch puts in one write, and
// ctSendGroup how many it sends before it waits for the kernel to be
// through them: few enough that their errors, were all of them refused,
// fit a default receive queue.
const (
	ctSendChunk = 64
	ctSendGroup = 128
	ctDrainWait = 20 * time.Millisecond
)

// SendBatch is ExecBatch without an ACK per request: the requests go 64
// to a write with NLM_F_ACK off, so the kernel answers only those it
// refuses; every 128 requests a no-op request with NLM_F_ACK marks how
// far the kernel got. There is no reply to read per success, which makes
// it faster than ExecBatch for large batches. Failed requests are
// reported as by ExecBatch (a *BatchError for the first, Batch.Err for
// each). Should the receive queue overflow all the same (a small
// Config.ReadBuffer), the result is core.ErrOverrun and requests whose
// errors were lost read as done: check with a dump. Do not use the Conn
// from another goroutine meanwhile: the answers are matched by sequence
// number, assigned in order.
func (c *Conn) SendBatch(ctx context.Context, b *Batch) error {
	n := len(b.reqs)
	if n == 0 {
		return nil
	}
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
	var overrun error
	for start := 0; start < n; start += ctSendGroup {
		end := min(start+ctSendGroup, n)
		for s := start; s < end; s += ctSendChunk {
			if err := c.c.SendBatch(ctx, b.msgs[s:min(s+ctSendChunk, end)]); err != nil {
				return core.WithOp(err, "conntrack batch")
			}
		}
		if err := c.ctBarrier(ctx, b, start, end, &overrun); err != nil {
			return err
		}
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

// ctBarrier sends a no-op with NLM_F_ACK and reads until its ACK,
// recording the errors of requests start to end. After an overrun the
// ACK may be lost: it sends another and waits for either.
func (c *Conn) ctBarrier(ctx context.Context, b *Batch, start, end int, overrun *error) error {
	barrier := core.Message{Header: core.Header{Type: core.TypeNoop, Flags: core.FlagRequest | core.FlagAck}}
	first, err := c.c.Send(ctx, barrier)
	if err != nil {
		return core.WithOp(err, "conntrack batch")
	}
	last := first
	base := b.msgs[start].Header.Sequence
	drain := false
	for {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if drain {
			// After an overrun the kernel drops what it sends until
			// the queue is empty, without a second ENOBUFS: read until
			// nothing comes, then ask again.
			rctx, cancel = context.WithTimeout(ctx, ctDrainWait)
		}
		msgs, err := c.c.Receive(rctx)
		cancel()
		if errors.Is(err, core.ErrOverrun) {
			*overrun, drain = err, true
			continue
		}
		if drain && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			drain = false
			if last, err = c.c.Send(ctx, barrier); err != nil {
				return core.WithOp(err, "conntrack batch")
			}
			continue
		}
		if err != nil {
			return core.WithOp(err, "conntrack batch")
		}
		for _, m := range msgs {
			if m.Header.Type != core.TypeError {
				continue
			}
			if m.Header.Sequence-first <= last-first {
				return nil // a barrier's ACK: the kernel is through
			}
			i := start + int(m.Header.Sequence-base)
			if i < start || i >= end || b.msgs[i].Header.Sequence != m.Header.Sequence {
				continue
			}
			kerr, perr := core.ParseErrorMessage(m.Header, m.Data, nil)
			switch {
			case perr != nil:
				b.errs[i] = perr
			case kerr != nil:
				kerr.Op = "conntrack batch request " + strconv.Itoa(i)
				b.errs[i] = kerr
			}
		}
	}
}
