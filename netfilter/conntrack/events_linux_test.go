package conntrack

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// Events arrive for flows that traffic makes and for flows deleted.
func TestEvents(t *testing.T) {
	t.Parallel()
	p := ctTestPair(t)
	l, err := Listen(&core.Config{NetNS: p.a}, GroupNew, GroupDestroy)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	type seen struct {
		typ  EventType
		orig Tuple
		text string
	}
	got := make(chan seen, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev, err := range l.Events(ctx) {
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				t.Errorf("event error: %v", err)
				continue
			}
			got <- seen{ev.Type, ev.Flow.Orig, ev.String()}
		}
	}()
	time.Sleep(50 * time.Millisecond) // the listener is in Listen before traffic
	ctUDPExchange(t, p, p.a4, p.b4, 40100, 5100)
	want := Tuple{Src: p.a4, Dst: p.b4, Proto: ProtoUDP, SrcPort: 40100, DstPort: 5100}
	wait := func(typ EventType) seen {
		t.Helper()
		for {
			select {
			case s := <-got:
				if s.orig == want && s.typ == typ {
					return s
				}
			case <-ctx.Done():
				t.Fatalf("no %v event for %v", typ, want)
			}
		}
	}
	s := wait(EventNew)
	require.Contains(t, s.text, "[NEW] udp      17 30 src=192.0.2.1 dst=192.0.2.2 sport=40100 dport=5100 [UNREPLIED]")

	require.NoError(t, p.conn.Delete(ctx, &Flow{Orig: want}))
	s = wait(EventDestroy)
	require.Contains(t, s.text, "src=192.0.2.1 dst=192.0.2.2 sport=40100 dport=5100 src=192.0.2.2")
	require.Contains(t, s.text, "[DESTROY] udp      17 ")
	cancel()
	<-done
}

// An event queue that overflows yields core.ErrOverrun and the stream
// goes on.
func TestEventsOverrun(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	l, err := Listen(&core.Config{NetNS: ns, ReadBuffer: 4096}, GroupNew)
	require.NoError(t, err)
	defer l.Close()
	ctx := ctCtx(t)

	var b Batch
	base := netip.MustParseAddr("198.18.0.0").As4()
	for i := range 2000 {
		a := base
		a[2], a[3] = byte(i>>8), byte(i)
		f := Flow{Orig: Tuple{Src: netip.AddrFrom4(a), Dst: netip.MustParseAddr("198.19.0.1"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: time.Minute}
		require.NoError(t, b.Create(&f))
	}
	require.NoError(t, c.ExecBatch(ctx, &b))
	last := Flow{Orig: Tuple{Src: netip.MustParseAddr("203.0.113.1"), Dst: netip.MustParseAddr("203.0.113.2"), Proto: ProtoUDP, SrcPort: 7, DstPort: 7}, Timeout: time.Minute}

	overrun, after := false, false
	created := make(chan error, 1)
	for ev, err := range l.Events(ctx) {
		if errors.Is(err, core.ErrOverrun) {
			if !overrun {
				// Events after the overrun still arrive: make one once
				// the loop has drained the queue.
				go func() {
					time.Sleep(200 * time.Millisecond)
					created <- c.Create(ctx, &last)
				}()
			}
			overrun = true
			continue
		}
		require.NoError(t, err)
		if overrun && ev.Flow.Orig == last.Orig {
			after = true
			break
		}
	}
	require.True(t, overrun)
	require.True(t, after)
	require.NoError(t, <-created)
}
