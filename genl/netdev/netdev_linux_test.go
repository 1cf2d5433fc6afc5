package netdev

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// vethClient makes a namespace with a veth pair veth0/veth1 of 4 queues
// each, both up, and a Client in it. It returns veth0's ifindex.
func vethClient(t *testing.T) (*core.NetNS, *Client, uint32) {
	t.Helper()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "numtxqueues", "4", "numrxqueues", "4",
		"type", "veth", "peer", "veth1", "numtxqueues", "4", "numrxqueues", "4")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "up")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth1", "up")
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return ns, c, ifindex(t, ns, "veth0")
}

// ipLinks returns `ip -j link show` in ns: ifindex by name.
func ipLinks(t *testing.T, ns *core.NetNS) map[string]uint32 {
	t.Helper()
	var links []struct {
		Ifindex uint32 `json:"ifindex"`
		Ifname  string `json:"ifname"`
	}
	out := nstest.Cmd(t, ns, "ip", "-j", "link", "show")
	require.NoError(t, json.Unmarshal([]byte(out), &links), out)
	m := map[string]uint32{}
	for _, l := range links {
		m[l.Ifname] = l.Ifindex
	}
	return m
}

func ifindex(t *testing.T, ns *core.NetNS, name string) uint32 {
	t.Helper()
	i, ok := ipLinks(t, ns)[name]
	require.True(t, ok, name)
	return i
}

// TestDevicesMatchIP: the devices netdev lists are the links ip(8) lists,
// and veth's XDP features are what its driver declares.
func TestDevicesMatchIP(t *testing.T) {
	t.Parallel()
	ns, c, veth0 := vethClient(t)
	ctx := context.Background()
	devs, err := c.Devices(ctx)
	require.NoError(t, err)
	var got []uint32
	for _, d := range devs {
		got = append(got, d.Ifindex)
	}
	var want []uint32
	for _, i := range ipLinks(t, ns) {
		want = append(want, i)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got)

	d, err := c.Device(ctx, veth0)
	require.NoError(t, err)
	require.Equal(t, veth0, d.Ifindex)
	for _, f := range []XDPFeatures{XDPBasic, XDPRedirect, XDPRXSG} {
		require.NotZero(t, d.XDPFeatures&f, "veth has %s", f)
	}
	require.Zero(t, d.XDPFeatures&XDPHWOffload)
	require.Contains(t, d.XDPRXMetadata.List(), "hash")
	i := slices.IndexFunc(devs, func(x Device) bool { return x.Ifindex == veth0 })
	require.True(t, d.Equal(&devs[i]), "dump and get agree: %v", d.Diff(&devs[i]))

	// veth takes redirected frames (ndo-xmit) once its peer has GRO on.
	require.Zero(t, d.XDPFeatures&XDPNDOXmit)
	nstest.Cmd(t, ns, "ethtool", "-K", "veth1", "gro", "on")
	d, err = c.Device(ctx, veth0)
	require.NoError(t, err)
	require.NotZero(t, d.XDPFeatures&XDPNDOXmit)

	lo := devs[slices.IndexFunc(devs, func(x Device) bool { return x.Ifindex == 1 })]
	require.Zero(t, lo.XDPFeatures, "lo has no XDP")

	_, err = c.Device(ctx, 9999)
	require.ErrorIs(t, err, unix.ENODEV)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "netdev dev-get ifindex 9999: no such device")
}

// sysfsQueues lists /sys/class/net/dev/queues in ns (ip netns exec mounts
// the namespace's sysfs): "rx-0", "tx-0", ...
func sysfsQueues(t *testing.T, ns *core.NetNS, dev string) []string {
	t.Helper()
	out := nstest.Cmd(t, ns, "ls", "/sys/class/net/"+dev+"/queues")
	q := strings.Fields(out)
	slices.Sort(q)
	return q
}

func queueNames(qs []Queue) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Type.String()+"-"+u32(q.ID))
	}
	slices.Sort(out)
	return out
}

// TestQueuesMatchSysfs: the queues netdev lists are the ones sysfs shows,
// and follow a change of channel count made with ethtool -L.
func TestQueuesMatchSysfs(t *testing.T) {
	t.Parallel()
	ns, c, veth0 := vethClient(t)
	ctx := context.Background()
	qs, err := c.Queues(ctx, veth0)
	require.NoError(t, err)
	require.Len(t, qs, 8)
	require.Equal(t, sysfsQueues(t, ns, "veth0"), queueNames(qs))
	for _, q := range qs {
		require.Equal(t, veth0, q.Ifindex)
	}

	q, err := c.Queue(ctx, veth0, QueueTX, 3)
	require.NoError(t, err)
	require.Equal(t, Queue{ID: 3, Ifindex: veth0, Type: QueueTX}, *q)
	require.Equal(t, "ifindex "+u32(veth0)+" tx-3", q.String())

	nstest.Cmd(t, ns, "ethtool", "-L", "veth0", "rx", "2")
	qs, err = c.Queues(ctx, veth0)
	require.NoError(t, err)
	require.Equal(t, []string{"rx-0", "rx-1", "tx-0", "tx-1", "tx-2", "tx-3"}, queueNames(qs))

	_, err = c.Queue(ctx, veth0, QueueRX, 3)
	require.ErrorIs(t, err, unix.EINVAL, "rx-3 is gone")

	// Every device's queues (lo's and veth1's among them) are sysfs's.
	all, err := c.Queues(ctx, 0)
	require.NoError(t, err)
	for name, idx := range ipLinks(t, ns) {
		var mine []Queue
		for _, q := range all {
			if q.Ifindex == idx {
				mine = append(mine, q)
			}
		}
		require.Equal(t, sysfsQueues(t, ns, name), queueNames(mine), name)
	}

	// Breaking out of the iterator leaves the Client usable.
	for q, err := range c.QueueIter(ctx, 0) {
		require.NoError(t, err)
		require.NotZero(t, q.Ifindex)
		break
	}
	_, err = c.Device(ctx, veth0)
	require.NoError(t, err)
}

// TestNAPI: veth polls its receive queues with NAPI once GRO is on; the
// instances can be read one by one and their settings changed.
func TestNAPI(t *testing.T) {
	t.Parallel()
	ns, c, veth0 := vethClient(t)
	ctx := context.Background()
	ns0, err := c.NAPIs(ctx, veth0)
	require.NoError(t, err)
	require.Empty(t, ns0, "no NAPI before GRO")

	nstest.Cmd(t, ns, "ethtool", "-K", "veth0", "gro", "on")
	napis, err := c.NAPIs(ctx, veth0)
	require.NoError(t, err)
	require.Len(t, napis, 4, "one per receive queue")
	for _, n := range napis {
		require.Equal(t, veth0, n.Ifindex)
		one, err := c.NAPI(ctx, n.ID)
		require.NoError(t, err)
		require.True(t, n.Equal(one), "%v", n.Diff(one))
	}

	n := napis[0]
	n.DeferHardIRQs = 5
	n.GROFlushTimeout = 20 * time.Microsecond
	require.NoError(t, c.SetNAPI(ctx, &n))
	got, err := c.NAPI(ctx, n.ID)
	require.NoError(t, err)
	require.EqualValues(t, 5, got.DeferHardIRQs)
	require.Equal(t, 20*time.Microsecond, got.GROFlushTimeout)
	require.Equal(t, []string{"defer-hard-irqs", "gro-flush-timeout"}, napis[0].Diff(got))
	other, err := c.NAPI(ctx, napis[1].ID)
	require.NoError(t, err)
	require.True(t, napis[1].Equal(other), "the other instances keep their settings")

	_, err = c.NAPI(ctx, 1)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestPagePoolStatsMatchOps: page-pool-stats-get works exactly when the
// controller lists the command (kernels without CONFIG_PAGE_POOL_STATS
// leave it out).
func TestPagePoolStatsMatchOps(t *testing.T) {
	t.Parallel()
	_, c, veth0 := vethClient(t)
	ctx := context.Background()
	f, err := c.Conn().Family(ctx, FamilyName)
	require.NoError(t, err)
	_, has := f.Op(CmdPagePoolStatsGet)
	_, err = c.PagePoolStats(ctx, veth0)
	if has {
		require.NoError(t, err)
	} else {
		require.ErrorIs(t, err, unix.EOPNOTSUPP)
	}
	pools, err := c.PagePools(ctx, 0)
	require.NoError(t, err)
	for _, p := range pools {
		require.NotZero(t, p.ID)
	}
	stats, err := c.Qstats(ctx, 0, true)
	require.NoError(t, err, "veth keeps no queue statistics: an empty list")
	require.Empty(t, stats)
}

// TestMonitorMgmt sees a device appear on the "mgmt" group.
func TestMonitorMgmt(t *testing.T) {
	t.Parallel()
	ns, c, _ := vethClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := make(chan *Event, 32)
	go func() {
		defer close(events)
		for ev, err := range c.Monitor(ctx, GroupMgmt) {
			if err != nil {
				return
			}
			events <- ev
		}
	}()
	// The subscription joins its group on the goroutine: add links until
	// one is seen.
	seen := map[uint32]bool{}
	for i := 0; ; i++ {
		name := "vm" + u32(uint32(i))
		nstest.Cmd(t, ns, "ip", "link", "add", name+"a", "type", "veth", "peer", name+"b")
		select {
		case ev := <-events:
			require.NotNil(t, ev, "stream ended")
			require.Equal(t, "dev-add", ev.Kind)
			seen[ev.Device.Ifindex] = true
		case <-time.After(200 * time.Millisecond):
			continue
		case <-ctx.Done():
			t.Fatal("no dev-add notification")
		}
		links := ipLinks(t, ns)
		for s := range seen {
			require.True(t, slices.Contains(mapsValues(links), s), "event for ifindex %d, a link ip shows", s)
		}
		break
	}
}

func mapsValues(m map[string]uint32) []uint32 {
	var out []uint32
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
