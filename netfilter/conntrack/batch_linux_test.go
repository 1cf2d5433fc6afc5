package conntrack

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// batchTestFlow is flow i of a batch test: unique sources in
// 198.18.0.0/15; bad ones have no timeout, which the kernel refuses.
func batchTestFlow(i int, bad bool) Flow {
	f := Flow{
		Orig: Tuple{
			Src:   netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}),
			Dst:   netip.MustParseAddr("198.19.0.1"),
			Proto: ProtoUDP, SrcPort: 1000, DstPort: 53,
		},
		Timeout: time.Minute,
	}
	if bad {
		f.Timeout = 0
	}
	return f
}

// Only the last request of a write asks for an ACK: refused requests at
// the edges of writes and groups, the last one included, are each
// reported under their own index, with the others done; through
// ExecBatch with the default and an odd BatchSize, and SendBatch.
func TestBatchAnswers(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx := ctCtx(t)
	bad := map[int]bool{0: true, 62: true, 63: true, 64: true, 127: true, 128: true, 200: true, 299: true}
	var b Batch
	for i := range 300 {
		f := batchTestFlow(i, bad[i])
		require.NoError(t, b.Create(&f))
	}
	check := func(name string, err error) {
		t.Helper()
		var be *BatchError
		require.ErrorAs(t, err, &be, name)
		require.Equal(t, 0, be.Index, name)
		require.ErrorIs(t, err, unix.EINVAL, name)
		for i := range 300 {
			if bad[i] {
				require.ErrorIs(t, b.Err(i), unix.EINVAL, "%s: request %d", name, i)
			} else {
				require.NoError(t, b.Err(i), "%s: request %d", name, i)
			}
		}
		c, err := Dial(&core.Config{NetNS: ns})
		require.NoError(t, err)
		defer c.Close()
		n, err := c.Count(ctx)
		require.NoError(t, err)
		require.Equal(t, uint32(300-len(bad)), n, name)
		require.NoError(t, c.Flush(ctx, nil))
	}
	for _, size := range []int{0, 7, 1000} {
		c, err := Dial(&core.Config{NetNS: ns, BatchSize: size})
		require.NoError(t, err)
		check("ExecBatch", c.ExecBatch(ctx, &b))
		check("SendBatch", c.SendBatch(ctx, &b))
		require.NoError(t, c.Close())
	}

	// Run again on flows that exist: every one refused, the good ones
	// with EEXIST.
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	require.Error(t, c.ExecBatch(ctx, &b))
	err = c.ExecBatch(ctx, &b)
	require.Error(t, err)
	for i := range 300 {
		if bad[i] {
			require.ErrorIs(t, b.Err(i), unix.EINVAL)
		} else {
			require.ErrorIs(t, b.Err(i), fs.ErrExist)
		}
	}
}

// Batches from two goroutines on one Conn wait for each other, and each
// gets its own answers.
func TestBatchConcurrent(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx := ctCtx(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	batches := make([]Batch, 4)
	for g := range 4 {
		for i := range 200 {
			f := batchTestFlow(g*200+i, i == 150)
			require.NoError(t, batches[g].Create(&f))
		}
		wg.Go(func() {
			if g%2 == 0 {
				errs[g] = c.ExecBatch(ctx, &batches[g])
			} else {
				errs[g] = c.SendBatch(ctx, &batches[g])
			}
		})
	}
	wg.Wait()
	for g := range 4 {
		var be *BatchError
		require.ErrorAs(t, errs[g], &be)
		require.Equal(t, 150, be.Index)
		for i := range 200 {
			if i != 150 {
				require.NoError(t, batches[g].Err(i))
			}
		}
	}
	n, err := c.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(4*199), n)
}

// With a receive queue too small for a write's answers, ExecBatch
// reports an overrun (or the errors it did read) and does not hang.
func TestBatchOverrun(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx := ctCtx(t)
	var b Batch
	for i := range 1000 {
		f := batchTestFlow(i, false)
		require.NoError(t, b.Create(&f))
	}
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.ExecBatch(ctx, &b))
	small, err := Dial(&core.Config{NetNS: ns, ReadBuffer: 2048, BatchSize: 1000})
	require.NoError(t, err)
	defer small.Close()
	err = small.ExecBatch(ctx, &b)
	require.Error(t, err)
	if !errors.Is(err, core.ErrOverrun) {
		require.ErrorIs(t, err, unix.EEXIST)
	}
	// The Conn is in step afterwards.
	n, err := small.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(1000), n)
}

// A refilled batch allocates nothing per flow, through either call.
func TestBatchAllocs(t *testing.T) {
	// Not parallel: it counts allocations.
	ns := nstest.New(t)
	ctx := ctCtx(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	var b Batch
	round := 0
	for _, send := range []bool{false, true} {
		run := func() {
			b.Reset()
			for i := range 640 {
				f := batchTestFlow(round*640+i, false)
				if err := b.Create(&f); err != nil {
					t.Fatal(err)
				}
			}
			round++
			var err error
			if send {
				err = c.SendBatch(ctx, &b)
			} else {
				err = c.ExecBatch(ctx, &b)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		run()
		// 640 flows are 10 writes and 5 or 10 answers: an allocation a
		// write or an answer would show. What a call may allocate is
		// the hold on the Conn and its context watch, once a call.
		require.LessOrEqual(t, testing.AllocsPerRun(5, run), 4.0, "SendBatch %v", send)
	}
}

// A batch honours its context: cancelled before it starts, nothing is
// sent; a deadline that has passed ends it with DeadlineExceeded.
func TestBatchContext(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	var b Batch
	for i := range 200 {
		f := batchTestFlow(i, false)
		require.NoError(t, b.Create(&f))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, c.ExecBatch(ctx, &b), context.Canceled)
	require.ErrorIs(t, c.SendBatch(ctx, &b), context.Canceled)
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	require.ErrorIs(t, c.ExecBatch(dctx, &b), context.DeadlineExceeded)
	n, err := c.Count(ctCtx(t))
	require.NoError(t, err)
	require.Zero(t, n)
	// With a live deadline it works, and the Conn is in step.
	require.NoError(t, c.ExecBatch(ctCtx(t), &b))
	n, err = c.Count(ctCtx(t))
	require.NoError(t, err)
	require.Equal(t, uint32(200), n)
}
