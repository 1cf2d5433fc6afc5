package conntrack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"golang.org/x/sys/unix"
)

// Conn is a ctnetlink client over one NETLINK_NETFILTER socket. It is
// safe for concurrent use under core.Conn's model: each exchange holds
// the socket, so do not call the Conn from inside its own FlowIter or
// ExpectIter loop (collect with Flows first, or use a second Conn).
type Conn struct {
	c     *core.Conn
	batch int // Config.BatchSize: requests a write in ExecBatch
}

// Dial opens a NETLINK_NETFILTER socket configured by cfg (nil for the
// defaults: the current namespace, extended ACK on).
func Dial(cfg *core.Config) (*Conn, error) {
	c, err := netfilter.Dial(cfg)
	if err != nil {
		return nil, err
	}
	cc := &Conn{c: c}
	if cfg != nil {
		cc.batch = cfg.BatchSize
	}
	return cc, nil
}

// NewConn wraps an open core.Conn speaking NETLINK_NETFILTER (a fake
// kernel from core/nltest, for instance). Closing the Conn closes c.
func NewConn(c *core.Conn) *Conn { return &Conn{c: c} }

// Core returns the underlying core.Conn.
func (c *Conn) Core() *core.Conn { return c.c }

// Close closes the socket.
func (c *Conn) Close() error { return c.c.Close() }

// ctRequest makes a ctnetlink request of type typ with data (nfgenmsg
// and attributes, already encoded).
func ctRequest(typ uint16, flags core.HeaderFlags, data []byte) core.Message {
	return core.Message{
		Header: core.Header{Type: core.MessageType(typ), Flags: core.FlagRequest | flags},
		Data:   data,
	}
}

// Filter selects flows in the kernel, for dumps and flushes. The zero
// Filter selects every flow.
type Filter struct {
	// Family is unix.AF_INET or unix.AF_INET6; 0 is both (taken from the
	// tuples' addresses when they are set).
	Family uint8
	// Mark and MarkMask: flows whose mark&MarkMask == Mark. Applied when
	// MarkMask is not 0.
	Mark, MarkMask uint32
	// Status and StatusMask: flows whose status&StatusMask == Status.
	// Applied when StatusMask is not 0.
	Status, StatusMask Status
	// Zone: flows in this zone, when HasZone.
	Zone    uint16
	HasZone bool
	// Orig and Reply: the tuple fields that are set (addresses, protocol,
	// ports, ICMP type/code/id, zone) must match (CTA_FILTER). Ports and
	// ICMP fields need Proto.
	Orig, Reply Tuple
}

// family is the filter's family, from Family or the tuples.
func (f *Filter) family() (uint8, error) {
	fam := f.Family
	for _, t := range []*Tuple{&f.Orig, &f.Reply} {
		tf := t.Family()
		if tf == 0 {
			continue
		}
		if fam != 0 && fam != tf {
			return 0, &familyError{fam, tf}
		}
		fam = tf
	}
	return fam, nil
}

// tupleFlags are the CTA_FILTER flags for the fields of t that are set.
func tupleFlags(t *Tuple) uint32 {
	var fl uint32
	if t.Src.IsValid() {
		fl |= ctFilterIPSrc
	}
	if t.Dst.IsValid() {
		fl |= ctFilterIPDst
	}
	if t.HasZone {
		fl |= ctFilterTupleZone
	}
	if t.Proto != 0 {
		fl |= ctFilterProtoNum
	}
	switch t.Proto {
	case ProtoICMP:
		if t.ICMPType != 0 {
			fl |= ctFilterICMPType
		}
		if t.ICMPCode != 0 {
			fl |= ctFilterICMPCode
		}
		if t.ICMPID != 0 {
			fl |= ctFilterICMPID
		}
	case ProtoICMPv6:
		if t.ICMPType != 0 {
			fl |= ctFilterICMPv6Type
		}
		if t.ICMPCode != 0 {
			fl |= ctFilterICMPv6Code
		}
		if t.ICMPID != 0 {
			fl |= ctFilterICMPv6ID
		}
	default:
		if t.SrcPort != 0 {
			fl |= ctFilterSrcPort
		}
		if t.DstPort != 0 {
			fl |= ctFilterDstPort
		}
	}
	return fl
}

// encode appends the filter's nfgenmsg (with version) and attributes.
func (f *Filter) encode(e *core.AttrEncoder, version uint8) error {
	fam, err := f.family()
	if err != nil {
		return err
	}
	var hdr [netfilter.HeaderLen]byte
	e.Raw(netfilter.AppendHeader(hdr[:0], netfilter.Header{Family: fam, Version: version}))
	if f.MarkMask != 0 {
		e.Uint32BE(ctaMark, f.Mark)
		e.Uint32BE(ctaMarkMask, f.MarkMask)
	}
	if f.StatusMask != 0 {
		e.Uint32BE(ctaStatus, uint32(f.Status))
		e.Uint32BE(ctaStatusMask, uint32(f.StatusMask))
	}
	if f.HasZone {
		e.Uint16BE(ctaZone, f.Zone)
	}
	of, rf := tupleFlags(&f.Orig), tupleFlags(&f.Reply)
	if fam == unix.AF_INET6 {
		// Linux (seen on 6.18) inverts IPv6 address matches in CTA_FILTER
		// (it keeps the flows whose address differs): those fields are
		// compared here instead, see local.
		of &^= ctFilterIPSrc | ctFilterIPDst
		rf &^= ctFilterIPSrc | ctFilterIPDst
	}
	if of|rf == 0 {
		return nil
	}
	for _, t := range []*Tuple{&f.Orig, &f.Reply} {
		if t.Proto == 0 && (t.SrcPort|t.DstPort|t.ICMPID != 0 || t.ICMPType|t.ICMPCode != 0) {
			return errors.New("conntrack: a filter on ports or ICMP fields needs the protocol")
		}
	}
	n := ctNest(e, ctaFilter)
	e.Uint32(ctaFilterOrigFlags, of)
	e.Uint32(ctaFilterReplyFlags, rf)
	e.NestEnd(n)
	if of != 0 {
		n := ctNest(e, ctaTupleOrig)
		f.Orig.marshalFilter(e)
		e.NestEnd(n)
	}
	if rf != 0 {
		n := ctNest(e, ctaTupleReply)
		f.Reply.marshalFilter(e)
		e.NestEnd(n)
	}
	return nil
}

// local reports whether the filter compares IPv6 addresses, which the
// kernel gets wrong and so are compared in match.
func (f *Filter) local() bool {
	for _, a := range []netip.Addr{f.Orig.Src, f.Orig.Dst, f.Reply.Src, f.Reply.Dst} {
		if a.IsValid() && !a.Is4() {
			return true
		}
	}
	return false
}

// match applies the IPv6 address fields to a flow the kernel returned.
func (f *Filter) match(fl *Flow) bool {
	eq := func(want, got netip.Addr) bool { return !want.IsValid() || want.Is4() || want == got }
	return eq(f.Orig.Src, fl.Orig.Src) && eq(f.Orig.Dst, fl.Orig.Dst) &&
		eq(f.Reply.Src, fl.Reply.Src) && eq(f.Reply.Dst, fl.Reply.Dst)
}

// marshalFilter appends the set fields of a filter tuple.
func (t *Tuple) marshalFilter(e *core.AttrEncoder) {
	if t.Src.IsValid() || t.Dst.IsValid() {
		ip := ctNest(e, ctaTupleIP)
		if t.Src.IsValid() {
			ctEncodeAddr(e, true, t.Src)
		}
		if t.Dst.IsValid() {
			ctEncodeAddr(e, false, t.Dst)
		}
		e.NestEnd(ip)
	}
	if t.Proto != 0 {
		p := ctNest(e, ctaTupleProto)
		e.Uint8(ctaProtoNum, t.Proto)
		switch {
		case isICMP(t.Proto):
			id, typ, code := uint16(ctaProtoICMPID), uint16(ctaProtoICMPType), uint16(ctaProtoICMPCode)
			if t.Proto == ProtoICMPv6 {
				id, typ, code = ctaProtoICMPv6ID, ctaProtoICMPv6Type, ctaProtoICMPv6Code
			}
			if t.ICMPID != 0 {
				e.Uint16BE(id, t.ICMPID)
			}
			if t.ICMPType != 0 {
				e.Uint8(typ, t.ICMPType)
			}
			if t.ICMPCode != 0 {
				e.Uint8(code, t.ICMPCode)
			}
		default:
			if t.SrcPort != 0 {
				e.Uint16BE(ctaProtoSrcPort, t.SrcPort)
			}
			if t.DstPort != 0 {
				e.Uint16BE(ctaProtoDstPort, t.DstPort)
			}
		}
		e.NestEnd(p)
	}
	if t.HasZone {
		e.Uint16BE(ctaTupleZone, t.Zone)
	}
}

func dumpRequest(f *Filter) (core.Message, error) {
	var e core.AttrEncoder
	if f == nil {
		f = &Filter{}
	}
	if err := f.encode(&e, 0); err != nil {
		return core.Message{}, err
	}
	return ctRequest(ctType(msgCTGet), core.FlagDump, e.Bytes()), nil
}

// FlowIter dumps the flows filter selects (nil: all) as an iterator. It
// decodes every flow into one reused Flow, valid only inside the loop
// body (copy it to keep it), and allocates nothing per flow. A kernel
// error, a malformed message or an interrupted dump
// (core.ErrDumpInterrupted) ends the stream as the last pair.
func (c *Conn) FlowIter(ctx context.Context, filter *Filter) iter.Seq2[*Flow, error] {
	return func(yield func(*Flow, error) bool) {
		req, err := dumpRequest(filter)
		if err != nil {
			yield(nil, err)
			return
		}
		local := filter != nil && filter.local()
		var f Flow
		for m, err := range c.c.Dump(ctx, req) {
			if err != nil {
				yield(nil, core.WithOp(err, "conntrack list"))
				return
			}
			if err := f.Unmarshal(m.Data); err != nil {
				yield(nil, err)
				return
			}
			if local && !filter.match(&f) {
				continue
			}
			if !yield(&f, nil) {
				return
			}
		}
	}
}

// Flows dumps the flows filter selects (nil: all) into a list. An
// interrupted dump is run again, up to 3 times. For a whole-table dump the
// list is sized from the table's count first, so it is one allocation.
func (c *Conn) Flows(ctx context.Context, filter *Filter) ([]Flow, error) {
	hint := 0
	if filter == nil || *filter == (Filter{}) {
		if n, err := c.Count(ctx); err == nil {
			hint = int(n) + int(n)/16 + 16
		}
	}
	req, err := dumpRequest(filter)
	if err != nil {
		return nil, err
	}
	local := filter != nil && filter.local()
	for attempt := 0; ; attempt++ {
		out := make([]Flow, 0, hint)
		var err error
		for m, e := range c.c.Dump(ctx, req) {
			if e != nil {
				err = core.WithOp(e, "conntrack list")
				break
			}
			// Decode straight into the list: no copy of the Flow.
			out = append(out, Flow{})
			f := &out[len(out)-1]
			if e := f.Unmarshal(m.Data); e != nil {
				return out[:len(out)-1], e
			}
			if local && !filter.match(f) {
				out = out[:len(out)-1]
			}
		}
		if errors.Is(err, core.ErrDumpInterrupted) && attempt < 3 {
			continue
		}
		return out, err
	}
}

// flowOp names a flow in errors: "conntrack create udp 192.0.2.1:1000 ...".
func flowOp(verb string, f *Flow) string {
	return "conntrack " + verb + " " + ProtoName(f.Orig.Proto) + " " + f.Orig.String()
}

// Get asks the kernel for the flow whose original tuple (and zone, and
// ID when not 0) is f's, and decodes it into f. A missing flow is an
// error matching fs.ErrNotExist.
func (c *Conn) Get(ctx context.Context, f *Flow) error {
	var e core.AttrEncoder
	q := Flow{Family: f.Family, Orig: f.Orig, ID: f.ID}
	if err := q.encode(&e, 0, false); err != nil {
		return err
	}
	if f.Zone != 0 {
		e.Uint16BE(ctaZone, f.Zone)
	}
	got := false
	err := c.c.ExecuteFunc(ctx, ctRequest(ctType(msgCTGet), 0, e.Bytes()), func(m core.Message) error {
		if got || m.Header.Type != core.MessageType(ctType(msgCTNew)) {
			return nil
		}
		got = true
		return f.Unmarshal(m.Data)
	})
	if err != nil {
		return core.WithOp(err, flowOp("get", &q))
	}
	if !got {
		return &core.OpError{Op: flowOp("get", &q), Err: errors.New("no flow in the reply")}
	}
	return nil
}

// Create adds f to the table (IPCTNL_MSG_CT_NEW with NLM_F_CREATE and
// NLM_F_EXCL). It needs the original tuple and a Timeout; the reply tuple
// is derived when unset. A flow that exists is an error matching
// fs.ErrExist.
func (c *Conn) Create(ctx context.Context, f *Flow) error {
	var e core.AttrEncoder
	if err := f.encode(&e, ^Field(0), true); err != nil {
		return err
	}
	_, err := c.c.Execute(ctx, ctRequest(ctType(msgCTNew), core.FlagCreate|core.FlagExcl, e.Bytes()))
	return core.WithOp(err, flowOp("create", f))
}

// Update changes the fields named (FieldMark, FieldTimeout, FieldLabels,
// FieldStatus, FieldProtoInfo, FieldSeqAdj) of the flow whose original
// tuple is f's. A missing flow is an error matching fs.ErrNotExist.
func (c *Conn) Update(ctx context.Context, f *Flow, fields Field) error {
	var e core.AttrEncoder
	if err := f.encode(&e, fields, false); err != nil {
		return err
	}
	if f.Zone != 0 {
		e.Uint16BE(ctaZone, f.Zone)
	}
	_, err := c.c.Execute(ctx, ctRequest(ctType(msgCTNew), 0, e.Bytes()))
	return core.WithOp(err, flowOp("update", f))
}

// Delete removes the flow whose original tuple (zone, and ID when not 0)
// is f's. A missing flow is an error matching fs.ErrNotExist.
func (c *Conn) Delete(ctx context.Context, f *Flow) error {
	var e core.AttrEncoder
	if err := f.encode(&e, 0, false); err != nil {
		return err
	}
	if f.Zone != 0 {
		e.Uint16BE(ctaZone, f.Zone)
	}
	_, err := c.c.Execute(ctx, ctRequest(ctType(msgCTDelete), 0, e.Bytes()))
	return core.WithOp(err, flowOp("delete", f))
}

// Flush removes the flows filter selects (nil: all). The kernel filters a
// flush by family, mark, status and zone and by tuple fields.
func (c *Conn) Flush(ctx context.Context, filter *Filter) error {
	var e core.AttrEncoder
	if filter == nil {
		filter = &Filter{}
	}
	if filter.local() {
		return c.flushEach(ctx, filter)
	}
	// Version 1 asks the kernel to honour the family in a flush (older
	// ones flush every family whatever nfgenmsg says).
	if err := filter.encode(&e, 1); err != nil {
		return err
	}
	_, err := c.c.Execute(ctx, ctRequest(ctType(msgCTDelete), 0, e.Bytes()))
	return core.WithOp(err, "conntrack flush")
}

// BatchError is the first failure of a batch: which request (its index
// in the Batch) and the kernel's error.
type BatchError struct {
	Index int
	Err   error
}

// Error prints "conntrack batch request N: ...".
func (e *BatchError) Error() string {
	return fmt.Sprintf("conntrack batch request %d: %v", e.Index, e.Err)
}

// Unwrap returns the kernel's error.
func (e *BatchError) Unwrap() error { return e.Err }

// flushEach deletes the flows filter selects one by one (in batches):
// the way to flush by IPv6 address, which the kernel cannot filter.
func (c *Conn) flushEach(ctx context.Context, filter *Filter) error {
	flows, err := c.Flows(ctx, filter)
	if err != nil {
		return core.WithOp(err, "conntrack flush")
	}
	var b Batch
	for i := range flows {
		if err := b.Delete(&flows[i]); err != nil {
			return err
		}
	}
	err = c.ExecBatch(ctx, &b)
	for i := range b.Len() {
		// A flow that went away meanwhile is flushed all the same.
		if e := b.Err(i); e != nil && !errors.Is(e, fs.ErrNotExist) {
			return core.WithOp(e, "conntrack flush")
		}
	}
	var be *BatchError
	if errors.As(err, &be) {
		return nil
	}
	return err
}
