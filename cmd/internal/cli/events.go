package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/nlkit/nlkit/core"
)

// PrintEvents prints the events seq yields as they come, the way every
// watching verb does: print writes one event to env.Out, which is
// flushed after each. It returns nil when ctx ends (an interrupt is the
// normal end of a watch) or once count events (0: no limit) were
// printed, and the first other error seq yields. An overrun
// (core.ErrOverrun) prints a line saying events were lost, "[OVERRUN]
// ..." or {"event":"overrun"} under -j, and the watch goes on.
func PrintEvents[T any](ctx context.Context, env *Env, seq iter.Seq2[T, error], count int, print func(v T) error) error {
	n := 0
	for v, err := range seq {
		switch {
		case errors.Is(err, core.ErrOverrun):
			if env.JSON {
				env.Out.WriteString(`{"event":"overrun"}` + "\n")
			} else {
				env.Out.WriteString("[OVERRUN] the receive queue overflowed: events were lost\n")
			}
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		default:
			if err := print(v); err != nil {
				return err
			}
			n++
		}
		if err := env.Out.Flush(); err != nil {
			return err
		}
		if count > 0 && n >= count {
			return nil
		}
	}
	return nil
}

// JSONLine prints v as JSON on one line: one event of a stream.
func (o *Output) JSONLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = o.Write(append(b, '\n'))
	return err
}

// PrintEvent prints one event as its String line, or as JSON on one line
// under -j.
func PrintEvent(env *Env, ev fmt.Stringer) error {
	if env.JSON {
		return env.Out.JSONLine(ev)
	}
	_, err := env.Out.WriteString(ev.String() + "\n")
	return err
}
