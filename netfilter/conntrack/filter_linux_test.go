package conntrack

import (
	"errors"
	"io/fs"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ctFilterFlows is the table the filter tests use: by name, so the
// expected sets read plainly.
func ctFilterFlows() map[string]Flow {
	mk := func(src, dst string, proto uint8, sport, dport uint16, mark uint32, st Status) Flow {
		return Flow{
			Orig:    Tuple{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: proto, SrcPort: sport, DstPort: dport},
			Timeout: time.Hour, Mark: mark, Status: st,
		}
	}
	icmp := Flow{Orig: Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.9"), Proto: ProtoICMP, ICMPType: 8, ICMPID: 5}, Timeout: time.Hour, Mark: 2}
	return map[string]Flow{
		"udp4-a": mk("192.0.2.1", "192.0.2.2", ProtoUDP, 1000, 53, 1, 0),
		"udp4-b": mk("192.0.2.1", "192.0.2.3", ProtoUDP, 1001, 53, 0x101, StatusSeenReply),
		"tcp4":   mk("192.0.2.4", "192.0.2.2", ProtoTCP, 2000, 80, 2, StatusSeenReply|StatusAssured),
		"udp6":   mk("2001:db8::1", "2001:db8::2", ProtoUDP, 1000, 53, 1, 0),
		"tcp6":   mk("2001:db8::3", "2001:db8::2", ProtoTCP, 3000, 443, 3, StatusSeenReply),
		"icmp4":  icmp,
	}
}

func ctNames(t *testing.T, c *Conn, want map[string]Flow, f *Filter) []string {
	t.Helper()
	var names []string
	for got, err := range c.FlowIter(ctCtx(t), f) {
		require.NoError(t, err)
		found := false
		for n, w := range want {
			if w.Orig == got.Orig {
				names = append(names, n)
				found = true
			}
		}
		require.True(t, found, "unknown flow %v", got)
	}
	sort.Strings(names)
	return names
}

// Kernel-side filters return exactly the flows that match.
func TestFilters(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	ctx := ctCtx(t)
	flows := ctFilterFlows()
	var b Batch
	for _, f := range flows {
		require.NoError(t, b.Create(&f))
	}
	require.NoError(t, c.ExecBatch(ctx, &b))

	a4, a6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::2")
	for _, tc := range []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"all", Filter{}, []string{"icmp4", "tcp4", "tcp6", "udp4-a", "udp4-b", "udp6"}},
		{"ipv4", Filter{Family: unix.AF_INET}, []string{"icmp4", "tcp4", "udp4-a", "udp4-b"}},
		{"ipv6", Filter{Family: unix.AF_INET6}, []string{"tcp6", "udp6"}},
		{"mark 1", Filter{Mark: 1, MarkMask: 0xffffffff}, []string{"udp4-a", "udp6"}},
		{"mark low byte 1", Filter{Mark: 1, MarkMask: 0xff}, []string{"udp4-a", "udp4-b", "udp6"}},
		{"assured", Filter{Status: StatusAssured, StatusMask: StatusAssured}, []string{"tcp4"}},
		{"unreplied", Filter{Status: 0, StatusMask: StatusSeenReply}, []string{"icmp4", "udp4-a", "udp6"}},
		{"src 192.0.2.1", Filter{Orig: Tuple{Src: a4}}, []string{"icmp4", "udp4-a", "udp4-b"}},
		{"udp", Filter{Family: unix.AF_INET, Orig: Tuple{Proto: ProtoUDP}}, []string{"udp4-a", "udp4-b"}},
		{"dport 53", Filter{Family: unix.AF_INET, Orig: Tuple{Proto: ProtoUDP, DstPort: 53}}, []string{"udp4-a", "udp4-b"}},
		{"sport 1001", Filter{Orig: Tuple{Src: a4, Proto: ProtoUDP, SrcPort: 1001}}, []string{"udp4-b"}},
		{"reply src v6", Filter{Reply: Tuple{Src: a6}}, []string{"tcp6", "udp6"}},
		{"reply dst v4", Filter{Reply: Tuple{Dst: a4}}, []string{"icmp4", "udp4-a", "udp4-b"}},
		{"orig src v6", Filter{Orig: Tuple{Src: netip.MustParseAddr("2001:db8::3")}}, []string{"tcp6"}},
		{"icmp id", Filter{Family: unix.AF_INET, Orig: Tuple{Proto: ProtoICMP, ICMPID: 5}}, []string{"icmp4"}},
		{"mark and proto", Filter{Family: unix.AF_INET6, Mark: 3, MarkMask: 0xffffffff, Orig: Tuple{Proto: ProtoTCP}}, []string{"tcp6"}},
	} {
		assert.Equal(t, tc.want, ctNames(t, c, flows, &tc.filter), tc.name)
	}

	// A zone filter: one flow in zone 7.
	z := Flow{Orig: Tuple{Src: netip.MustParseAddr("203.0.113.1"), Dst: netip.MustParseAddr("203.0.113.2"), Proto: ProtoUDP, SrcPort: 1, DstPort: 2}, Timeout: time.Hour, Zone: 7}
	require.NoError(t, c.Create(ctx, &z))
	flows["zone7"] = z
	require.Equal(t, []string{"zone7"}, ctNames(t, c, flows, &Filter{Zone: 7, HasZone: true}))
	got := Flow{Orig: z.Orig, Zone: 7}
	require.NoError(t, c.Get(ctx, &got))
	require.Equal(t, uint16(7), got.Zone)
	require.Contains(t, got.String(), " zone=7 ")

	// Bad filters are refused before anything is sent.
	_, err = c.Flows(ctx, &Filter{Orig: Tuple{DstPort: 53}})
	require.ErrorContains(t, err, "needs the protocol")
	_, err = c.Flows(ctx, &Filter{Family: unix.AF_INET6, Orig: Tuple{Src: a4}})
	require.ErrorContains(t, err, "does not match")

	// Flush by mark, then by family, then all.
	require.NoError(t, c.Flush(ctx, &Filter{Mark: 1, MarkMask: 0xffffffff}))
	require.Equal(t, []string{"icmp4", "tcp4", "tcp6", "udp4-b", "zone7"}, ctNames(t, c, flows, nil))
	require.NoError(t, c.Flush(ctx, &Filter{Family: unix.AF_INET, Orig: Tuple{Proto: ProtoICMP}}))
	require.Equal(t, []string{"tcp4", "tcp6", "udp4-b", "zone7"}, ctNames(t, c, flows, nil))
	require.NoError(t, c.Flush(ctx, &Filter{Orig: Tuple{Src: netip.MustParseAddr("2001:db8::99")}}))
	require.Equal(t, []string{"tcp4", "tcp6", "udp4-b", "zone7"}, ctNames(t, c, flows, nil))
	require.NoError(t, c.Flush(ctx, &Filter{Family: unix.AF_INET}))
	require.Equal(t, []string{"tcp6"}, ctNames(t, c, flows, nil))
	n, err := c.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(1), n)
	require.NoError(t, c.Flush(ctx, &Filter{Orig: Tuple{Src: netip.MustParseAddr("2001:db8::3")}}))
	require.Empty(t, ctNames(t, c, flows, nil))
	require.NoError(t, c.Create(ctx, &z))
	require.NoError(t, c.Flush(ctx, nil))
	require.Empty(t, ctNames(t, c, flows, nil))
	require.Empty(t, ctToolLines(t, ns))
}

// Statistics: one entry per CPU, the count and the table's limit.
func TestStats(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	ctx := ctCtx(t)
	f := ctUDPFlow("192.0.2.1", "192.0.2.2", 1, 2)
	require.NoError(t, c.Create(ctx, &f))

	cpus, err := c.CPUStats(ctx)
	require.NoError(t, err)
	tool := nstest.Cmd(t, ns, "conntrack", "-S")
	require.NotEmpty(t, cpus)
	for i := range cpus {
		require.Contains(t, tool, "cpu="+strconvU(uint64(cpus[i].CPU)))
	}
	g, err := c.GlobalStats(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(1), g.Entries)
	require.Contains(t, nstest.Cmd(t, ns, "conntrack", "-C"), "1")
	max, err := c.Max(ctx)
	require.NoError(t, err)
	want := nstest.Cmd(t, ns, "cat", "/proc/sys/net/netfilter/nf_conntrack_max")
	require.Equal(t, want, strconvU(uint64(max))+"\n")
	es, err := c.ExpectCPUStats(ctx)
	require.NoError(t, err)
	require.Len(t, es, len(cpus))
}

// A batch creates flows 64 to a write; a failed request is named by its
// index and the others are done.
func TestBatch(t *testing.T) {
	// Not parallel: it counts allocations.
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	ctx := ctCtx(t)
	var b Batch
	base := netip.MustParseAddr("198.18.0.0").As4()
	for i := range 1000 {
		a := base
		a[2], a[3] = byte(i>>8), byte(i)
		f := Flow{Orig: Tuple{Src: netip.AddrFrom4(a), Dst: netip.MustParseAddr("198.19.0.1"), Proto: ProtoUDP, SrcPort: 1000, DstPort: 53}, Timeout: time.Minute}
		require.NoError(t, b.Create(&f))
	}
	require.Equal(t, 1000, b.Len())
	require.NoError(t, c.ExecBatch(ctx, &b))
	n, err := c.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(1000), n)
	require.Len(t, ctToolLines(t, ns), 1000)

	// The iterator decodes into one reused Flow: no allocation per flow.
	count := func() {
		n := 0
		for _, err := range c.FlowIter(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1000 {
			t.Fatalf("%d flows", n)
		}
	}
	count()
	require.Less(t, testing.AllocsPerRun(5, count), 20.0, "allocations for a dump of 1000 flows")

	// The list is one allocation for a whole-table dump.
	flows, err := c.Flows(ctx, nil)
	require.NoError(t, err)
	require.Len(t, flows, 1000)
	// Re-created from a dump, a flow is the same flow.
	require.NoError(t, c.Delete(ctx, &flows[0]))
	require.NoError(t, c.Create(ctx, &flows[0]))
	again := Flow{Orig: flows[0].Orig}
	require.NoError(t, c.Get(ctx, &again))
	require.Equal(t, flows[0].Reply, again.Reply)
	require.Equal(t, flows[0].Status, again.Status)

	// Again: every one exists now.
	err = c.ExecBatch(ctx, &b)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 0, be.Index)
	require.ErrorIs(t, err, unix.EEXIST)
	require.ErrorIs(t, b.Err(999), unix.EEXIST)

	// SendBatch: no ACK per request, only the refused ones answer.
	require.NoError(t, c.Flush(ctx, nil))
	require.NoError(t, c.SendBatch(ctx, &b))
	n, err = c.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, uint32(1000), n)
	err = c.SendBatch(ctx, &b)
	require.ErrorAs(t, err, &be)
	require.Equal(t, 0, be.Index)
	require.ErrorIs(t, err, unix.EEXIST)
	for i := range 1000 {
		require.ErrorIs(t, b.Err(i), fs.ErrExist)
	}
	require.Contains(t, b.Err(999).Error(), "conntrack batch request 999: file exists")

	// With a receive queue too small for the errors: an overrun, no hang.
	small, err := Dial(&core.Config{NetNS: ns, ReadBuffer: 2048})
	require.NoError(t, err)
	defer small.Close()
	err = small.SendBatch(ctx, &b)
	require.Error(t, err)
	if !errors.Is(err, core.ErrOverrun) {
		require.ErrorIs(t, err, unix.EEXIST)
	}

	// A bad one in the middle of good ones.
	b.Reset()
	for i := range 3 {
		f := ctUDPFlow("203.0.113.1", "203.0.113.2", uint16(100+i), 1)
		if i == 1 {
			f.Timeout = 0 // the kernel needs a timeout to create
		}
		require.NoError(t, b.Create(&f))
	}
	// A flow that cannot be encoded is refused and leaves the batch as it was.
	require.Error(t, b.Create(&Flow{Orig: Tuple{Proto: ProtoUDP}}))
	require.Equal(t, 3, b.Len())
	err = c.ExecBatch(ctx, &b)
	require.ErrorAs(t, err, &be)
	require.Equal(t, 1, be.Index)
	require.ErrorIs(t, err, unix.EINVAL)
	require.NoError(t, b.Err(0))
	require.NoError(t, b.Err(2))
	// The same through SendBatch, after deleting the two made.
	require.NoError(t, c.Flush(ctx, &Filter{Orig: Tuple{Src: netip.MustParseAddr("203.0.113.1")}}))
	err = c.SendBatch(ctx, &b)
	require.ErrorAs(t, err, &be)
	require.Equal(t, 1, be.Index)
	require.ErrorIs(t, err, unix.EINVAL)
	require.NoError(t, b.Err(0))
	require.NoError(t, b.Err(2))
	require.Len(t, ctToolLines(t, ns, "-s", "203.0.113.1"), 2)
}
