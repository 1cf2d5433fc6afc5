package conntrack

import (
	"context"
	"errors"
	"iter"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
)

func expectOp(verb string, x *Expect) string {
	return "conntrack expect " + verb + " " + ProtoName(x.Tuple.Proto) + " " + x.Tuple.String()
}

// ExpectIter dumps the expectations of family (0: all) as an iterator,
// decoding each into one reused Expect, valid only inside the loop body.
func (c *Conn) ExpectIter(ctx context.Context, family uint8) iter.Seq2[*Expect, error] {
	return func(yield func(*Expect, error) bool) {
		req := ctRequest(expType(msgExpGet), core.FlagDump, netfilter.AppendHeader(nil, netfilter.Header{Family: family}))
		var x Expect
		for m, err := range c.c.Dump(ctx, req) {
			if err != nil {
				yield(nil, core.WithOp(err, "conntrack expect list"))
				return
			}
			if err := x.Unmarshal(m.Data); err != nil {
				yield(nil, err)
				return
			}
			if !yield(&x, nil) {
				return
			}
		}
	}
}

// Expects dumps the expectations of family (0: all) into a list.
func (c *Conn) Expects(ctx context.Context, family uint8) ([]Expect, error) {
	var out []Expect
	for x, err := range c.ExpectIter(ctx, family) {
		if err != nil {
			return out, err
		}
		out = append(out, *x)
	}
	return out, nil
}

// GetExpect asks for the expectation whose tuple (and ID when not 0) is
// x's and decodes it into x. A missing one matches fs.ErrNotExist.
func (c *Conn) GetExpect(ctx context.Context, x *Expect) error {
	var e core.AttrEncoder
	if err := x.encode(&e, false); err != nil {
		return err
	}
	op := expectOp("get", x)
	got := false
	err := c.c.ExecuteFunc(ctx, ctRequest(expType(msgExpGet), 0, e.Bytes()), func(m core.Message) error {
		if got || m.Header.Type != core.MessageType(expType(msgExpNew)) {
			return nil
		}
		got = true
		return x.Unmarshal(m.Data)
	})
	if err != nil {
		return core.WithOp(err, op)
	}
	if !got {
		return &core.OpError{Op: op, Err: errors.New("no expectation in the reply")}
	}
	return nil
}

// CreateExpect adds x. Its master flow must exist; a master without a
// helper takes a userspace expectation, which needs a Timeout.
func (c *Conn) CreateExpect(ctx context.Context, x *Expect) error {
	var e core.AttrEncoder
	if err := x.encode(&e, true); err != nil {
		return err
	}
	_, err := c.c.Execute(ctx, ctRequest(expType(msgExpNew), core.FlagCreate|core.FlagExcl, e.Bytes()))
	return core.WithOp(err, expectOp("create", x))
}

// DeleteExpect removes the expectation whose tuple (and ID when not 0)
// is x's. A missing one matches fs.ErrNotExist.
func (c *Conn) DeleteExpect(ctx context.Context, x *Expect) error {
	var e core.AttrEncoder
	if err := x.encode(&e, false); err != nil {
		return err
	}
	_, err := c.c.Execute(ctx, ctRequest(expType(msgExpDelete), 0, e.Bytes()))
	return core.WithOp(err, expectOp("delete", x))
}

// FlushExpects removes the expectations of family (0: all) or, when
// helper is not "", those of that helper.
func (c *Conn) FlushExpects(ctx context.Context, family uint8, helper string) error {
	var e core.AttrEncoder
	var hdr [netfilter.HeaderLen]byte
	e.Raw(netfilter.AppendHeader(hdr[:0], netfilter.Header{Family: family}))
	if helper != "" {
		e.String(ctaExpectHelpName, helper)
	}
	_, err := c.c.Execute(ctx, ctRequest(expType(msgExpDelete), 0, e.Bytes()))
	return core.WithOp(err, "conntrack expect flush")
}
