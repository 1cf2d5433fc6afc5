package route

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ipNtable is one entry of `ip -j ntable`.
type ipNtable struct {
	Family        string  `json:"family"`
	Name          string  `json:"name"`
	Dev           string  `json:"dev"`
	Thresh1       *uint32 `json:"thresh1"`
	Thresh3       *uint32 `json:"thresh3"`
	GCInterval    *int64  `json:"gc_interval"`
	BaseReachable int64   `json:"base_reachable"`
	Retrans       int64   `json:"retrans"`
	GCStale       int64   `json:"gc_stale"`
	DelayProbe    int64   `json:"delay_probe"`
	Queue         uint32  `json:"queue"`
	AppProbes     uint32  `json:"app_probes"`
	UcastProbes   uint32  `json:"ucast_probes"`
	McastProbes   uint32  `json:"mcast_probes"`
	AnycastDelay  int64   `json:"anycast_delay"`
	ProxyDelay    int64   `json:"proxy_delay"`
	ProxyQueue    uint32  `json:"proxy_queue"`
	Locktime      int64   `json:"locktime"`
}

func neightblCheck(t *testing.T, names map[int32]string, w ipNtable, g *Neightbl) {
	t.Helper()
	msg := g.String()
	require.Equal(t, w.Family, g.Family.String(), msg)
	require.Equal(t, w.Name, g.Name, msg)
	require.NotNil(t, g.Parms, msg)
	require.Equal(t, w.Dev, names[g.Parms.Ifindex], msg)
	if w.Thresh1 != nil {
		require.Equal(t, *w.Thresh1, g.Thresh1, msg)
		require.Equal(t, *w.Thresh3, g.Thresh3, msg)
		require.Equal(t, time.Duration(*w.GCInterval)*time.Millisecond, g.GCInterval, msg)
		require.NotNil(t, g.Config, msg)
		require.NotNil(t, g.Stats, msg)
	}
	p := g.Parms
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	require.Equal(t, ms(w.BaseReachable), p.BaseReachableTime, msg)
	require.Equal(t, ms(w.Retrans), p.RetransTime, msg)
	require.Equal(t, ms(w.GCStale), p.GCStaleTime, msg)
	require.Equal(t, ms(w.DelayProbe), p.DelayProbeTime, msg)
	require.Equal(t, w.Queue, p.QueueLen, msg)
	require.Equal(t, w.AppProbes, p.AppProbes, msg)
	require.Equal(t, w.UcastProbes, p.UcastProbes, msg)
	require.Equal(t, w.McastProbes, p.McastProbes, msg)
	require.Equal(t, ms(w.AnycastDelay), p.AnycastDelay, msg)
	require.Equal(t, ms(w.ProxyDelay), p.ProxyDelay, msg)
	require.Equal(t, w.ProxyQueue, p.ProxyQueueLen, msg)
	require.Equal(t, ms(w.Locktime), p.Locktime, msg)
}

func TestNeightblListAndSet(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	names := map[int32]string{}
	for _, n := range []string{"lo", "veth0", "veth1", "br0"} {
		names[roTestIfindex(t, ns, n)] = n
	}

	// What ip changed, nlkit reads.
	nstest.Cmd(t, ns, "ip", "ntable", "change", "name", "arp_cache", "dev", "veth0", "ucast_probes", "7", "queue", "55")

	var want []ipNtable
	roTestJSON(t, ns, &want, "ip", "-4", "-j", "ntable", "show")
	got, err := c.Neightbls(ctx, FamilyInet)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		neightblCheck(t, names, want[i], &got[i])
	}
	var n int
	for tb, err := range c.NeightblIter(ctx, FamilyUnspec) {
		require.NoError(t, err)
		if tb.Name == "arp_cache" && tb.Parms.Ifindex == veth0 {
			require.Equal(t, uint32(7), tb.Parms.UcastProbes)
			require.Equal(t, uint32(55), tb.Parms.QueueLen)
			require.True(t, strings.HasPrefix(tb.String(), "inet arp_cache dev if"+roItoa(veth0)+" base_reachable 30000"), tb.String())
		}
		n++
	}
	require.Greater(t, n, len(got), "inet6 tables too")

	// What nlkit changes, ip and /proc show.
	five, probe := uint32(5), 2500*time.Millisecond
	base := 20 * time.Second
	require.NoError(t, c.NeightblSet(ctx, &NeightblChange{Family: FamilyInet, Name: "arp_cache", Ifindex: veth0,
		UcastProbes: &five, BaseReachableTime: &base, DelayProbeTime: &probe}))
	require.Equal(t, "5\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv4/neigh/veth0/ucast_solicit"))
	require.Equal(t, "20000\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv4/neigh/veth0/base_reachable_time_ms"))
	require.Equal(t, "2\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv4/neigh/veth0/delay_first_probe_time"))
	roTestJSON(t, ns, &want, "ip", "-4", "-j", "ntable", "show", "dev", "veth0")
	require.Len(t, want, 1)
	require.Equal(t, uint32(5), want[0].UcastProbes)
	require.Equal(t, int64(20000), want[0].BaseReachable)

	// IPv6.
	three := uint32(3)
	require.NoError(t, c.NeightblSet(ctx, &NeightblChange{Family: FamilyInet6, Name: "ndisc_cache", Ifindex: veth0, AppProbes: &three}))
	require.Equal(t, "3\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv6/neigh/veth0/app_solicit"))
	// The table's defaults (no link) belong to the initial namespace too.
	err = c.NeightblSet(ctx, &NeightblChange{Family: FamilyInet6, Name: "ndisc_cache", AppProbes: &three})
	require.ErrorIs(t, err, fs.ErrNotExist)

	// A round trip: a decoded per-link value set back changes nothing.
	list, err := c.Neightbls(ctx, FamilyInet)
	require.NoError(t, err)
	var before *Neightbl
	for i := range list {
		if list[i].Parms.Ifindex == veth0 {
			before = &list[i]
		}
	}
	require.NotNil(t, before)
	data, err := before.Marshal(nil)
	require.NoError(t, err)
	require.NoError(t, roExec(ctx, c, request(unix.RTM_SETNEIGHTBL, 0, data), "set"))
	after, err := c.Neightbls(ctx, FamilyInet)
	require.NoError(t, err)
	for i := range after {
		if after[i].Parms.Ifindex == veth0 {
			require.True(t, before.Equal(&after[i]), "%v", before.Diff(&after[i]))
		}
	}

	// Thresholds belong to the initial namespace.
	th := uint32(256)
	err = c.NeightblSet(ctx, &NeightblChange{Family: FamilyInet, Name: "arp_cache", Thresh1: &th})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "neightbl change arp_cache")
	err = c.NeightblSet(ctx, &NeightblChange{Family: FamilyInet, Name: "no_such_cache", AppProbes: &three})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, c.NeightblSet(ctx, &NeightblChange{}), errNeightblName)
}
