package route

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"time"

	"github.com/nlkit/nlkit/core"
)

// Helpers shared by the neighbour, rule, nexthop, neighbour-table, netconf
// and NSID files (prefix ro: route objects).

// roDiffer collects the names of fields that differ.
type roDiffer []string

// add records name when differ is true.
func (d *roDiffer) add(name string, differ bool) {
	if differ {
		*d = append(*d, name)
	}
}

// roUnmarshaler is a pointer to an object that decodes a message payload.
type roUnmarshaler[T any] interface {
	*T
	Unmarshal(data []byte) error
}

// roDumpRetries is how many times a list call starts a dump again when
// the kernel marks it interrupted (NLM_F_DUMP_INTR).
const roDumpRetries = 3

// roIter runs the dump req and yields each message of type typ decoded
// into one reused value; keep, when not nil, drops values it refuses (a
// filter the kernel did not apply). Errors are wrapped with op.
func roIter[T any, P roUnmarshaler[T]](ctx context.Context, c *Conn, req core.Message, typ uint16, op string, keep func(*T) bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		var v T
		for m, err := range c.c.Dump(ctx, req) {
			if err != nil {
				yield(nil, core.WithOp(err, op))
				return
			}
			if uint16(m.Header.Type) != typ {
				continue
			}
			if err := P(&v).Unmarshal(m.Data); err != nil {
				yield(nil, core.WithOp(err, op))
				return
			}
			if keep != nil && !keep(&v) {
				continue
			}
			if !yield(&v, nil) {
				return
			}
		}
	}
}

// roList runs the dump req and returns each message of type typ decoded
// into its own value. An interrupted dump is run again, up to
// roDumpRetries times.
func roList[T any, P roUnmarshaler[T]](ctx context.Context, c *Conn, req core.Message, typ uint16, op string, keep func(*T) bool) ([]T, error) {
	for attempt := 0; ; attempt++ {
		var out []T
		var derr error
		for m, err := range c.c.Dump(ctx, req) {
			if err != nil {
				derr = err
				break
			}
			if uint16(m.Header.Type) != typ {
				continue
			}
			var zero T
			out = append(out, zero)
			p := P(&out[len(out)-1])
			if err := p.Unmarshal(m.Data); err != nil {
				return nil, core.WithOp(err, op)
			}
			if keep != nil && !keep(&out[len(out)-1]) {
				out = out[:len(out)-1]
			}
		}
		if errors.Is(derr, core.ErrDumpInterrupted) && attempt < roDumpRetries {
			continue
		}
		return out, core.WithOp(derr, op)
	}
}

// roExec sends req, waits for the ACK and wraps an error with op.
func roExec(ctx context.Context, c *Conn, req core.Message, op string) error {
	err := c.c.ExecuteFunc(ctx, req, func(core.Message) error { return nil })
	return core.WithOp(err, op)
}

// roGet sends req and decodes the first reply of type typ into v.
func roGet[T any, P roUnmarshaler[T]](ctx context.Context, c *Conn, req core.Message, typ uint16, op string, v *T) error {
	found := false
	err := c.c.ExecuteFunc(ctx, req, func(m core.Message) error {
		if found || uint16(m.Header.Type) != typ {
			return nil
		}
		found = true
		return P(v).Unmarshal(m.Data)
	})
	if err == nil && !found {
		err = errors.New("no reply from the kernel")
	}
	return core.WithOp(err, op)
}

// roShort is the error for a payload shorter than its family header.
func roShort(what string, have, want int) error {
	return &core.ParseError{What: what, Len: have, Want: want}
}

// roU16 and roU32 read host-order integers from a fixed header.
func roU16(b []byte) uint16 { return binary.NativeEndian.Uint16(b) }
func roU32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

// roTicks converts the kernel's clock ticks (USER_HZ, 100 a second) to a
// duration; roToTicks converts back.
func roTicks(v uint32) time.Duration { return time.Duration(v) * 10 * time.Millisecond }

func roToTicks(d time.Duration) uint32 { return uint32(d / (10 * time.Millisecond)) }
