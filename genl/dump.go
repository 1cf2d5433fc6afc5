package genl

import (
	"context"
	"iter"

	"github.com/nlkit/nlkit/core"
)

// Dump sends command cmd of family as a dump request (NLM_F_DUMP) with
// attrs (the payload after genlmsghdr, family header first when the family
// has one) and streams the replies from one reused buffer: a Message is
// valid until the loop moves on. A kernel error ends the stream as the
// last pair. When the request is refused before any reply because the
// family's ID went stale, the name is resolved again and the dump sent
// once more.
func (c *Conn) Dump(ctx context.Context, family string, cmd uint8, attrs []byte) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		f, err := c.Family(ctx, family)
		if err != nil {
			yield(Message{}, err)
			return
		}
		yielded, err := c.dumpFamily(ctx, f, cmd, attrs, yield)
		if err == nil {
			return
		}
		if !yielded && c.stale(err) {
			f2, rerr := c.refresh(ctx, f)
			if rerr != nil {
				yield(Message{}, rerr)
				return
			}
			if f2 != nil {
				_, err = c.dumpFamily(ctx, f2, cmd, attrs, yield)
				if err == nil {
					return
				}
			}
		}
		yield(Message{}, err)
	}
}

// DumpFamily is Dump for a family already resolved: no lookup, no retry.
func (c *Conn) DumpFamily(ctx context.Context, f *Family, cmd uint8, attrs []byte) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		if _, err := c.dumpFamily(ctx, f, cmd, attrs, yield); err != nil {
			yield(Message{}, err)
		}
	}
}

// dumpFamily runs the dump, yielding each message. It returns whether
// anything was yielded and the error that ended the dump, which it has
// not yielded; nil also when the loop body broke out.
func (c *Conn) dumpFamily(ctx context.Context, f *Family, cmd uint8, attrs []byte, yield func(Message, error) bool) (bool, error) {
	bp := c.request(cmd, f.Version, attrs)
	defer c.release(bp)
	req := core.Message{Header: core.Header{Type: core.MessageType(f.ID)}, Data: *bp}
	yielded := false
	for m, err := range c.c.Dump(ctx, req) {
		if err != nil {
			return yielded, opError(err, f.Name, cmd)
		}
		gm, err := parseMessage(m, f.HeaderSize)
		if err != nil {
			return yielded, err
		}
		yielded = true
		if !yield(gm, nil) {
			return true, nil
		}
	}
	return yielded, nil
}
