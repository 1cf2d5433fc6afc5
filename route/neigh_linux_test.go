package route

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ipNeigh is one entry of `ip -j neigh`.
type ipNeigh struct {
	Dst    string          `json:"dst"`
	Dev    string          `json:"dev"`
	LLAddr string          `json:"lladdr"`
	State  []string        `json:"state"`
	Router json.RawMessage `json:"router"`
	Proxy  json.RawMessage `json:"proxy"`
}

func neighFind(ns []Neigh, dst string) *Neigh {
	for i := range ns {
		if ns[i].Dst.String() == dst {
			return &ns[i]
		}
	}
	return nil
}

func TestNeighReadsWhatIPMade(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	nstest.Cmd(t, ns, "ip", "neigh", "add", "192.0.2.9", "lladdr", "02:00:00:00:00:09", "dev", "veth0", "nud", "permanent")
	nstest.Cmd(t, ns, "ip", "neigh", "add", "2001:db8::9", "lladdr", "02:00:00:00:00:0a", "dev", "veth0", "nud", "stale", "router")
	nstest.Cmd(t, ns, "ip", "neigh", "add", "proxy", "192.0.2.50", "dev", "veth0")

	var want []ipNeigh
	roTestJSON(t, ns, &want, "ip", "-j", "neigh", "show", "dev", "veth0")
	got, err := c.Neighs(ctx, &NeighFilter{Ifindex: veth0})
	require.NoError(t, err)
	require.NotEmpty(t, want)
	for _, w := range want {
		n := neighFind(got, w.Dst)
		require.NotNil(t, n, "nlkit misses %s", w.Dst)
		require.Equal(t, w.LLAddr, n.LLAddr.String(), w.Dst)
		require.Equal(t, w.State, n.State.Names(), w.Dst)
		require.Equal(t, w.Router != nil, n.Flags&NeighFlagRouter != 0, w.Dst)
		require.Equal(t, veth0, n.Ifindex)
	}
	n := neighFind(got, "2001:db8::9")
	require.Equal(t, FamilyInet6, n.Family)
	require.Equal(t, "2001:db8::9 dev if"+roItoa(veth0)+" lladdr 02:00:00:00:00:0a router STALE", n.String())
	require.Nil(t, neighFind(got, "192.0.2.50"), "a proxy entry in the cache dump")

	// The iterator sees the same entries.
	var it []string
	for n, err := range c.NeighIter(ctx, &NeighFilter{Family: FamilyInet6, Ifindex: veth0}) {
		require.NoError(t, err)
		it = append(it, n.Dst.String())
	}
	require.Contains(t, it, "2001:db8::9")
	require.NotContains(t, it, "192.0.2.9")

	// Proxy entries.
	var wantProxy []ipNeigh
	roTestJSON(t, ns, &wantProxy, "ip", "-j", "neigh", "show", "proxy")
	proxies, err := c.Neighs(ctx, &NeighFilter{Proxy: true})
	require.NoError(t, err)
	require.Len(t, proxies, len(wantProxy))
	p := neighFind(proxies, "192.0.2.50")
	require.NotNil(t, p)
	require.NotZero(t, p.Flags&NeighFlagProxy)
	require.Equal(t, "192.0.2.50 dev if"+roItoa(veth0)+" proxy", p.String())
}

func TestNeighFilterByMaster(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	br0 := roTestIfindex(t, ns, "br0")
	veth1 := roTestIfindex(t, ns, "veth1")
	nstest.Cmd(t, ns, "ip", "neigh", "add", "192.0.2.9", "lladdr", "02:00:00:00:00:09", "dev", "veth0")
	nstest.Cmd(t, ns, "ip", "neigh", "add", "192.0.2.77", "lladdr", "02:00:00:00:00:77", "dev", "veth1")
	got, err := c.Neighs(ctx, &NeighFilter{Family: FamilyInet, Master: br0})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, veth1, got[0].Ifindex)
	require.Equal(t, "192.0.2.77", got[0].Dst.String())
}

func TestNeighWriteIPReads(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	mac, _ := net.ParseMAC("02:00:00:00:00:10")
	n := Neigh{Ifindex: veth0, Dst: netip.MustParseAddr("192.0.2.10"), LLAddr: mac, State: NeighReachable}
	require.NoError(t, c.NeighAdd(ctx, &n))

	var got []ipNeigh
	roTestJSON(t, ns, &got, "ip", "-j", "neigh", "show", "192.0.2.10")
	require.Len(t, got, 1)
	require.Equal(t, "veth0", got[0].Dev)
	require.Equal(t, "02:00:00:00:00:10", got[0].LLAddr)
	require.Equal(t, []string{"REACHABLE"}, got[0].State)

	err := c.NeighAdd(ctx, &n)
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorIs(t, err, unix.EEXIST)
	require.Contains(t, err.Error(), "neigh add 192.0.2.10 dev")

	// Replace: new address, permanent, router (IPv6 only knows router).
	n6 := Neigh{Ifindex: veth0, Dst: netip.MustParseAddr("2001:db8::10"), LLAddr: mac, State: NeighStale}
	require.NoError(t, c.NeighReplace(ctx, &n6))
	n6.LLAddr, _ = net.ParseMAC("02:00:00:00:00:11")
	n6.State, n6.Flags = NeighPermanent, NeighFlagRouter
	require.NoError(t, c.NeighReplace(ctx, &n6))
	roTestJSON(t, ns, &got, "ip", "-j", "neigh", "show", "2001:db8::10")
	require.Len(t, got, 1)
	require.Equal(t, "02:00:00:00:00:11", got[0].LLAddr)
	require.Equal(t, []string{"PERMANENT"}, got[0].State)
	require.NotNil(t, got[0].Router)

	// Read back: the object equals what was written, but for the fields
	// the kernel fills in.
	list, err := c.Neighs(ctx, &NeighFilter{Family: FamilyInet6, Ifindex: veth0})
	require.NoError(t, err)
	back := neighFind(list, "2001:db8::10")
	require.NotNil(t, back, "%v", list)
	want := n6
	want.Family, want.Type = FamilyInet6, back.Type
	require.True(t, want.Equal(back), "differ: %v", want.Diff(back))

	require.NoError(t, c.NeighDel(ctx, &n))
	out := nstest.Cmd(t, ns, "ip", "-j", "neigh", "show", "192.0.2.10")
	require.JSONEq(t, "[]", out)
	err = c.NeighDel(ctx, &n)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "neigh del 192.0.2.10")

	// No such link.
	bad := Neigh{Ifindex: 9999, Dst: netip.MustParseAddr("192.0.2.11"), LLAddr: mac}
	err = c.NeighAdd(ctx, &bad)
	require.ErrorIs(t, err, unix.ENODEV)
	// No link at all: refused before anything is sent.
	err = c.NeighAdd(ctx, &Neigh{Dst: netip.MustParseAddr("192.0.2.11")})
	require.True(t, errors.Is(err, errNeighNoLink), "%v", err)

	// Proxy entries through nlkit.
	require.NoError(t, c.NeighProxyAdd(ctx, veth0, netip.MustParseAddr("192.0.2.60")))
	var proxies []ipNeigh
	roTestJSON(t, ns, &proxies, "ip", "-j", "neigh", "show", "proxy")
	require.Len(t, proxies, 1)
	require.Equal(t, "192.0.2.60", proxies[0].Dst)
	require.NotNil(t, proxies[0].Proxy)
	require.NoError(t, c.NeighProxyDel(ctx, veth0, netip.MustParseAddr("192.0.2.60")))
	require.JSONEq(t, "[]", nstest.Cmd(t, ns, "ip", "-j", "neigh", "show", "proxy"))
	require.ErrorIs(t, c.NeighProxyDel(ctx, veth0, netip.MustParseAddr("192.0.2.60")), fs.ErrNotExist)
}

// bridgeFDB is one entry of `bridge -j fdb`.
type bridgeFDB struct {
	Mac    string   `json:"mac"`
	Ifname string   `json:"ifname"`
	Flags  []string `json:"flags"`
	Master string   `json:"master"`
	State  string   `json:"state"`
	VLAN   uint16   `json:"vlan"`
}

func TestNeighFDB(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	br0 := roTestIfindex(t, ns, "br0")
	veth1 := roTestIfindex(t, ns, "veth1")

	// What bridge(8) made, nlkit reads.
	nstest.Cmd(t, ns, "bridge", "fdb", "add", "02:00:00:00:00:21", "dev", "veth1", "master", "static")
	var want []bridgeFDB
	roTestJSON(t, ns, &want, "bridge", "-j", "fdb", "show", "br", "br0")
	got, err := c.Neighs(ctx, &NeighFilter{Family: FamilyBridge, Master: br0})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	var seen bool
	for i, w := range want {
		g := got[i]
		require.Equal(t, FamilyBridge, g.Family)
		require.Equal(t, w.Mac, g.LLAddr.String())
		require.Equal(t, w.State, g.State.fdbStateName(), w.Mac)
		flags := g.Flags.Names()
		// bridge(8) shows the master's entries without "master" in flags.
		flags = slicesDelete(flags, "master")
		require.Equal(t, w.Flags, flags, w.Mac)
		if w.Mac == "02:00:00:00:00:21" {
			seen = true
			require.Equal(t, veth1, g.Ifindex)
			require.Equal(t, br0, g.Master)
			require.Equal(t, "static", w.State)
			require.Equal(t, "02:00:00:00:00:21 dev if"+roItoa(veth1)+" master if"+roItoa(br0)+" static", g.String())
		}
	}
	require.True(t, seen)

	// What nlkit makes, bridge(8) shows.
	mac, _ := net.ParseMAC("02:00:00:00:00:22")
	e := Neigh{Ifindex: veth1, LLAddr: mac}
	require.NoError(t, c.FDBAdd(ctx, &e))
	roTestJSON(t, ns, &want, "bridge", "-j", "fdb", "show", "dev", "veth1")
	var found *bridgeFDB
	for i := range want {
		if want[i].Mac == "02:00:00:00:00:22" {
			found = &want[i]
		}
	}
	require.NotNil(t, found)
	require.Equal(t, "static", found.State)
	require.Equal(t, "br0", found.Master)
	require.ErrorIs(t, c.FDBAdd(ctx, &e), fs.ErrExist)
	require.NoError(t, c.FDBReplace(ctx, &e))

	// The port filter.
	ports, err := c.Neighs(ctx, &NeighFilter{Family: FamilyBridge, Ifindex: veth1})
	require.NoError(t, err)
	for _, p := range ports {
		require.Equal(t, veth1, p.Ifindex)
	}

	require.NoError(t, c.FDBDel(ctx, &e))
	out := nstest.Cmd(t, ns, "bridge", "fdb", "show", "dev", "veth1")
	require.NotContains(t, out, "02:00:00:00:00:22")
	require.ErrorIs(t, c.FDBDel(ctx, &e), fs.ErrNotExist)
}

func slicesDelete(s []string, v string) []string {
	out := []string{}
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
