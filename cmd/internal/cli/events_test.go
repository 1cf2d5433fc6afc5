package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
)

type eventsTestEvent int

func (e eventsTestEvent) String() string { return fmt.Sprintf("event %d", int(e)) }

func eventsTestSeq(errs map[int]error, n int) func(yield func(eventsTestEvent, error) bool) {
	return func(yield func(eventsTestEvent, error) bool) {
		for i := range n {
			if !yield(eventsTestEvent(i), errs[i]) {
				return
			}
		}
	}
}

func TestPrintEvents(t *testing.T) {
	run := func(ctx context.Context, json bool, errs map[int]error, n, count int) (string, error) {
		var out bytes.Buffer
		env := NewEnv(&out, &bytes.Buffer{})
		env.JSON = json
		err := PrintEvents(ctx, env, eventsTestSeq(errs, n), count, func(e eventsTestEvent) error { return PrintEvent(env, e) })
		require.NoError(t, env.Out.Flush())
		return out.String(), err
	}
	ctx := context.Background()

	out, err := run(ctx, false, map[int]error{1: core.ErrOverrun}, 4, 0)
	require.NoError(t, err)
	require.Equal(t, "event 0\n[OVERRUN] the receive queue overflowed: events were lost\nevent 2\nevent 3\n", out)

	out, err = run(ctx, true, map[int]error{0: core.ErrOverrun}, 3, 1)
	require.NoError(t, err)
	require.Equal(t, "{\"event\":\"overrun\"}\n1\n", out, "count stops after one event; overruns do not count")

	boom := errors.New("boom")
	out, err = run(ctx, false, map[int]error{1: boom}, 3, 0)
	require.ErrorIs(t, err, boom)
	require.Equal(t, "event 0\n", out)

	done, cancel := context.WithCancel(ctx)
	cancel()
	_, err = run(done, false, map[int]error{0: boom}, 3, 0)
	require.NoError(t, err, "an error after the context ended is the normal end")
}

func TestPrintEventsFlushesEach(t *testing.T) {
	var out bytes.Buffer
	env := NewEnv(&out, &bytes.Buffer{})
	seen := []string{}
	err := PrintEvents(context.Background(), env, eventsTestSeq(nil, 2), 0, func(e eventsTestEvent) error {
		seen = append(seen, out.String())
		return PrintEvent(env, e)
	})
	require.NoError(t, err)
	require.Equal(t, []string{"", "event 0\n"}, seen)
}
