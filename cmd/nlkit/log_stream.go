package main

import (
	"context"
	"fmt"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
)

// Helpers the log and queue verbs share: the packet loop and the
// printing of one record.

// logStream runs the packet loop of the log and queue verbs over seq.
// A receive error is printed on stderr ("nlkit VERB: ...") and the loop
// goes on, until ctx ends. handle prints one packet and reports whether
// it was the last of the kernel's batch; then flush (if not nil: queue's
// verdicts) and the output are flushed. The loop ends after count
// packets (0: when ctx ends), flushing both once more.
func logStream[P any](ctx context.Context, env *cli.Env, verb string, seq iter.Seq2[P, error], count int,
	handle func(p P) (batchEnd bool, err error), flush func() error) error {
	flushAll := func() error {
		if flush != nil {
			if err := flush(); err != nil {
				return err
			}
		}
		return env.Out.Flush()
	}
	n := 0
	for p, err := range seq {
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintln(env.Err, "nlkit "+verb+":", err)
			continue
		}
		end, err := handle(p)
		if err != nil {
			return err
		}
		n++
		if count > 0 && n >= count {
			break
		}
		if end {
			if err := flushAll(); err != nil {
				return err
			}
		}
	}
	return flushAll()
}

// logEmit prints one record: JSON on one line under -j, else its text.
func logEmit(env *cli.Env, r any, text func() string) error {
	if env.JSON {
		return env.Out.JSONLine(r)
	}
	env.Out.Printf("%s\n", text())
	return nil
}

// logOptional is v when the packet has the field, else nil (left out).
func logOptional(has bool, v *uint32) *uint32 {
	if has {
		return v
	}
	return nil
}

// logLine builds the text line of a record: " KEY=VALUE" for each field
// the packet has.
type logLine struct{ b []byte }

// str adds key (with its '=') and v unless v is empty.
func (l *logLine) str(key, v string) {
	if v != "" {
		l.b = append(append(append(l.b, ' '), key...), v...)
	}
}

// num adds key and *v in base (10, or 16 with 0x) unless v is nil.
func (l *logLine) num(key string, v *uint32, base int) {
	if v == nil {
		return
	}
	l.b = append(append(l.b, ' '), key...)
	if base == 16 {
		l.b = append(l.b, "0x"...)
	}
	l.b = strconv.AppendUint(l.b, uint64(*v), base)
}

// payload adds the payload's length and its summary.
func (l *logLine) payload(n int, summary string) {
	l.b = strconv.AppendInt(append(l.b, " LEN="...), int64(n), 10)
	if summary != "" {
		l.b = append(append(l.b, ' '), summary...)
	}
}
