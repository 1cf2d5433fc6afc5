package core_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Hold keeps the Conn for its whole exchange: an Execute from another
// goroutine goes only after it, and the held exchange reads its own
// answers.
func TestHoldIsOneExchange(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_GENERIC)
	k.Handle(0x20, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	c := k.Dial(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	other := make(chan error, 1)
	var order []string
	err := c.Hold(ctx, func(h *core.Held) error {
		go func() {
			_, err := c.Execute(ctx, core.Message{Header: core.Header{Type: 0x20}})
			other <- err
		}()
		for round := range 3 {
			ms := []core.Message{
				{Header: core.Header{Type: 0x20, Flags: core.FlagRequest}},
				{Header: core.Header{Type: 0x20, Flags: core.FlagRequest | core.FlagAck}},
			}
			require.NoError(t, h.SendBatch(ms))
			acks := 0
			for acks < 2 {
				require.NoError(t, h.ReceiveFunc(func(m core.Message) error {
					require.Equal(t, core.TypeError, m.Header.Type)
					require.True(t, m.Header.Sequence == ms[0].Header.Sequence || m.Header.Sequence == ms[1].Header.Sequence)
					acks++
					return nil
				}))
			}
			order = append(order, "held")
			if round == 0 {
				// Give the other Execute time to try its luck.
				time.Sleep(20 * time.Millisecond)
			}
			select {
			case <-other:
				t.Fatal("Execute ran while the Conn was held")
			default:
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, <-other)
	require.Equal(t, []string{"held", "held", "held"}, order)
}

// ReceiveFuncUntil gives up at its time without spoiling the Conn; a
// cancelled context ends a waiting ReceiveFunc.
func TestHoldReceiveDeadlines(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_GENERIC)
	k.Handle(0x20, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	c := k.Dial(nil)
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Hold(ctx, func(h *core.Held) error {
		start := time.Now()
		err := h.ReceiveFuncUntil(time.Now().Add(50*time.Millisecond), func(core.Message) error { return nil })
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)

		// The Conn still answers inside the hold.
		seq, err := h.Send(core.Message{Header: core.Header{Type: 0x20, Flags: core.FlagRequest | core.FlagAck}})
		require.NoError(t, err)
		got := false
		require.NoError(t, h.ReceiveFunc(func(m core.Message) error {
			got = m.Header.Sequence == seq
			return nil
		}))
		require.True(t, got)

		go func() {
			for k.Blocked() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		return h.ReceiveFunc(func(core.Message) error { return nil })
	})
	require.ErrorIs(t, err, context.Canceled)
	// After the hold, the Conn works as before.
	_, err = c.Execute(context.Background(), core.Message{Header: core.Header{Type: 0x20}})
	require.NoError(t, err)
}
