package route

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// eventWant is one expected event: its kind and type and, when the event
// is decoded, text its one-line form contains.
type eventWant struct {
	kind string
	typ  EventType
	text string
}

func (w eventWant) String() string { return fmt.Sprintf("[%s] %s %q", w.kind, w.typ, w.text) }

// eventMatch reports whether ev is w.
func eventMatch(ev *Event, w eventWant) bool {
	if ev.Kind() != w.kind || ev.Type != w.typ {
		return false
	}
	return ev.Object == nil || strings.Contains(ev.String(), w.text)
}

// TestEventSequence: creating, changing and deleting a veth, an address,
// a route, a neighbour, a rule and a nexthop produce their events, in
// order, each decoded into its object.
func TestEventSequence(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := Watch(&core.Config{NetNS: ns}) // DefaultGroups
	require.NoError(t, err)
	defer w.Close()
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()

	ip := func(args ...string) { nstest.Cmd(t, ns, "ip", args...) }
	ip("link", "add", "v0", "type", "veth", "peer", "name", "v1")
	ip("link", "set", "v0", "mtu", "1400")
	ip("link", "set", "v1", "up") // a carrier for v0, which the nexthop needs
	idx := addrTestIndex(t, ns, "v0")
	addr := &Addr{Index: idx, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	require.NoError(t, c.AddrAdd(ctx, addr))
	ip("link", "set", "v0", "up")
	ip("route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "v0")
	ip("neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent")
	ip("rule", "add", "pref", "100", "from", "203.0.113.0/24", "table", "100")
	ip("nexthop", "add", "id", "7", "via", "192.0.2.3", "dev", "v0")
	other := nstest.New(t)
	ip("netns", "set", other.Name(), "5")
	ip("-6", "addr", "add", "2001:db8::1/64", "dev", "v0", "nodad")
	ip("route", "del", "198.51.100.0/24")
	ip("rule", "del", "pref", "100")
	ip("nexthop", "del", "id", "7")
	ip("neigh", "del", "192.0.2.2", "dev", "v0")
	require.NoError(t, c.AddrDel(ctx, addr))
	ip("link", "del", "v0")

	want := []eventWant{
		{"NETCONF", EventNew, "inet"},
		{"LINK", EventNew, "v0"},
		{"LINK", EventNew, "1400"},
		{"ADDR", EventNew, "192.0.2.1/24"},
		{"ROUTE", EventNew, "198.51.100.0/24"},
		{"NEIGH", EventNew, "192.0.2.2"},
		{"RULE", EventNew, "203.0.113.0/24"},
		{"NEXTHOP", EventNew, "id 7 via 192.0.2.3"},
		{"NSID", EventNew, "nsid 5"},
		{"ADDR", EventNew, "2001:db8::1/64"},
		{"ROUTE", EventDel, "198.51.100.0/24"},
		{"RULE", EventDel, "203.0.113.0/24"},
		{"NEXTHOP", EventDel, "id 7 via 192.0.2.3"},
		{"NEIGH", EventDel, "192.0.2.2"},
		{"ADDR", EventDel, "192.0.2.1/24"},
		{"NETCONF", EventDel, "inet"},
		{"LINK", EventDel, "v0"},
	}
	// The loop reads the socket itself, to keep each message's bytes
	// beside its decode (for the capture); Events is DecodeEvent over
	// Listen, as TestEventOverrun and TestSubscribe use it.
	var got []Event
	var raws [][]byte
	next := 0
	for m, err := range w.Core().Listen(ctx) {
		require.NoError(t, err)
		raw, err := m.MarshalBinary()
		require.NoError(t, err)
		raws = append(raws, raw)
		ev, err := DecodeEvent(m)
		require.NoError(t, err)
		got = append(got, ev)
		if eventObjectFor(ev.MsgType) != nil {
			require.NotNil(t, ev.Object, "%s not decoded", ev.Kind())
		}
		if eventMatch(&ev, want[next]) {
			next++
			if next == len(want) {
				break
			}
		}
	}
	var lines []string
	for i := range got {
		lines = append(lines, got[i].String())
	}
	require.Equal(t, len(want), next, "missing %v; saw:\n%s", want[min(next, len(want)-1)], strings.Join(lines, "\n"))
	t.Logf("events:\n%s", strings.Join(lines, "\n"))

	// The groups the events came on.
	for _, ev := range got {
		switch ev.Kind() {
		case "ADDR":
			require.Contains(t, []Group{GroupIPv4Addr, GroupIPv6Addr}, ev.Group)
		case "LINK":
			require.Equal(t, GroupLink, ev.Group)
		case "NEXTHOP":
			require.Equal(t, GroupNexthop, ev.Group)
		case "NSID":
			require.Equal(t, GroupNSID, ev.Group)
		}
	}
	// The address events carry the whole address.
	for _, ev := range got {
		if a, ok := ev.Object.(*Addr); ok && a.Prefix == addr.Prefix {
			require.Equal(t, idx, a.Index)
			require.Equal(t, "v0", a.Label)
		}
	}
	if os.Getenv("NLKIT_CAPTURE") == "1" {
		eventCapture(t, raws)
	}
}

// eventCapture writes the event messages to testdata/addr_events.hex:
// seeds for the dispatcher's fuzz target.
func eventCapture(t *testing.T, raws [][]byte) {
	lines := []string{
		"# addr_events: the notifications of TestEventSequence (link, address, route, neighbour, rule, nexthop",
		"# created and deleted in a fresh namespace) from " + addrTestUname() + ".",
		"# One whole netlink message a line, in hex. Recorded by NLKIT_CAPTURE=1 go test -run TestEventSequence.",
	}
	for _, raw := range raws {
		lines = append(lines, fmt.Sprintf("%x", raw))
	}
	require.NoError(t, os.WriteFile("testdata/addr_events.hex", []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// TestEventOverrun: a watcher that falls behind gets core.ErrOverrun, and
// the stream goes on with the events that follow.
func TestEventOverrun(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := Watch(&core.Config{NetNS: ns, ReadBuffer: 4096}, GroupIPv4Addr, GroupIPv4Route)
	require.NoError(t, err)
	defer w.Close()
	for i := range 200 {
		a := Addr{Index: idx, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i), 1}), 24)}
		require.NoError(t, c.AddrAdd(ctx, &a))
	}
	last := &Addr{Index: idx, Prefix: netip.MustParsePrefix("203.0.113.1/24")}
	overruns, before := 0, 0
	added := make(chan error, 1)
	for ev, err := range w.Events(ctx) {
		if errors.Is(err, core.ErrOverrun) {
			require.ErrorIs(t, err, unix.ENOBUFS)
			if overruns == 0 {
				// What a mirror does: dump again.
				addrs, err := c.Addrs(ctx, &AddrFilter{Index: idx})
				require.NoError(t, err)
				require.Len(t, addrs, 200)
				// And something changes later, once the loop has
				// drained the events still queued: the stream shows it.
				go func() {
					time.Sleep(100 * time.Millisecond)
					added <- c.AddrAdd(ctx, last)
				}()
			}
			overruns++
			continue
		}
		require.NoError(t, err)
		if overruns == 0 {
			before++
		}
		if a, ok := ev.Object.(*Addr); ok && a.Prefix == last.Prefix {
			break
		}
	}
	require.NoError(t, <-added)
	require.Positive(t, overruns)
	require.Less(t, before, 600, "every event arrived: the queue never overflowed")
}

// TestSubscribe: the one-call form sees events and ends with its context.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	c, ns, idx := addrTestSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started := make(chan struct{})
	go func() {
		<-started
		// Subscribe opens its socket when the loop starts: add until
		// one is seen.
		for i := range 50 {
			a := Addr{Index: idx, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), 24)}
			if c.AddrAdd(ctx, &a) != nil || ctx.Err() != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	close(started)
	var seen *Addr
	for ev, err := range Subscribe(ctx, &core.Config{NetNS: ns}, GroupIPv4Addr) {
		require.NoError(t, err)
		if a, ok := ev.Object.(*Addr); ok {
			seen = a
			break
		}
	}
	require.NotNil(t, seen)
	require.Equal(t, idx, seen.Index)

	// A context that ends ends the stream with its error.
	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	var last error
	for _, err := range Subscribe(short, &core.Config{NetNS: ns}, GroupNSID) {
		last = err
	}
	require.ErrorIs(t, last, context.DeadlineExceeded)
}
