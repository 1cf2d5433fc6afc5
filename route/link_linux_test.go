package route_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/route"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// linkTestDial opens a route Conn in ns, closed with the test.
func linkTestDial(t *testing.T, ns *core.NetNS) *route.Conn {
	t.Helper()
	c, err := route.Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// linkIPJSON returns `ip -j -d link show` in ns, by interface name.
func linkIPJSON(t *testing.T, ns *core.NetNS) map[string]map[string]any {
	t.Helper()
	out := nstest.Cmd(t, ns, "ip", "-j", "-d", "link", "show")
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	m := map[string]map[string]any{}
	for _, l := range list {
		m[l["ifname"].(string)] = l
	}
	return m
}

// linkByName finds name in links.
func linkByName(t *testing.T, links []route.Link, name string) *route.Link {
	t.Helper()
	for i := range links {
		if links[i].Name == name {
			return &links[i]
		}
	}
	t.Fatalf("link %s not in the list", name)
	return nil
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// linkInfoData returns ip's linkinfo.info_data (or info_slave_data).
func linkInfoData(j map[string]any, key string) map[string]any {
	li, _ := j["linkinfo"].(map[string]any)
	d, _ := li[key].(map[string]any)
	return d
}

// TestLinkReadsWhatIPMade: links made by ip(8) read by nlkit equal what
// `ip -j -d link show` reports.
func TestLinkReadsWhatIPMade(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	for _, cmd := range [][]string{
		{"link", "add", "va", "type", "veth", "peer", "name", "vb"},
		{"link", "add", "br0", "type", "bridge", "stp_state", "1", "forward_delay", "400", "mcast_snooping", "0"},
		{"link", "set", "vb", "master", "br0"},
		{"link", "set", "dev", "vb", "type", "bridge_slave", "cost", "42", "priority", "7", "learning", "off", "hairpin", "on"},
		{"link", "add", "mv0", "link", "va", "type", "macvlan", "mode", "bridge"},
		{"link", "add", "mt0", "link", "va", "type", "macvtap", "mode", "private"},
		{"link", "add", "vx0", "type", "vxlan", "id", "42", "remote", "192.0.2.9", "local", "192.0.2.1", "dstport", "4789", "ttl", "9", "nolearning", "ageing", "120", "srcport", "1000", "2000", "dev", "va"},
		{"link", "add", "ifb0", "type", "ifb"},
		{"tuntap", "add", "tp0", "mode", "tap", "user", "65534", "multi_queue"},
		{"tuntap", "add", "tn0", "mode", "tun"},
		{"link", "set", "va", "up", "mtu", "1400", "alias", "the-a-side", "group", "5", "txqueuelen", "77"},
		{"link", "property", "add", "dev", "va", "altname", "a-rather-long-alternative-name"},
	} {
		nstest.Cmd(t, ns, "ip", cmd...)
	}
	c := linkTestDial(t, ns)
	ctx := context.Background()
	links, err := c.Links(ctx, nil)
	require.NoError(t, err)
	ip := linkIPJSON(t, ns)
	require.Len(t, links, len(ip))
	for i := range links {
		l := &links[i]
		j := ip[l.Name]
		require.NotNil(t, j, l.Name)
		require.Equal(t, num(j["ifindex"]), float64(l.Index), l.Name)
		require.Equal(t, num(j["mtu"]), float64(l.MTU), l.Name)
		require.Equal(t, j["qdisc"], l.Qdisc, l.Name)
		require.Equal(t, j["operstate"], l.OperState.String(), l.Name)
		require.Equal(t, j["linkmode"], l.LinkMode.String(), l.Name)
		require.Equal(t, num(j["txqlen"]), float64(l.TxQLen), l.Name)
		require.Equal(t, j["link_type"], l.Type.String(), l.Name)
		if _, ok := j["address"]; ok {
			require.Equal(t, j["address"], l.Address.String(), l.Name)
			require.Equal(t, j["broadcast"], l.Broadcast.String(), l.Name)
		} else {
			require.Empty(t, l.Address, l.Name)
		}
		require.Equal(t, num(j["min_mtu"]), float64(l.MinMTU), l.Name)
		require.Equal(t, num(j["max_mtu"]), float64(l.MaxMTU), l.Name)
		require.Equal(t, num(j["num_tx_queues"]), float64(l.NumTxQueues), l.Name)
		require.Equal(t, num(j["num_rx_queues"]), float64(l.NumRxQueues), l.Name)
		require.Equal(t, num(j["gso_max_size"]), float64(l.GSOMaxSize), l.Name)
		require.Equal(t, num(j["gso_max_segs"]), float64(l.GSOMaxSegs), l.Name)
		require.Equal(t, num(j["gro_max_size"]), float64(l.GROMaxSize), l.Name)
		require.Equal(t, num(j["tso_max_size"]), float64(l.TSOMaxSize), l.Name)
		require.Equal(t, num(j["promiscuity"]), float64(l.Promiscuity), l.Name)
		require.Equal(t, num(j["allmulti"]), float64(l.AllMulti), l.Name)
		require.NotNil(t, l.Inet6, l.Name)
		require.Equal(t, j["inet6_addr_gen_mode"], route.AddrGenModeName(l.Inet6.AddrGenMode), l.Name)
		// ip prints the flags minus RUNNING, plus M-DOWN for a down
		// link whose master is down; compare the rest.
		var flags []string
		for _, f := range j["flags"].([]any) {
			if f != "M-DOWN" && f != "NO-CARRIER" {
				flags = append(flags, f.(string))
			}
		}
		var ours []string
		for _, f := range l.Flags.Names() {
			if f != "RUNNING" {
				ours = append(ours, f)
			}
		}
		require.Equal(t, flags, ours, l.Name) // in ip's order too
		if li, ok := j["linkinfo"].(map[string]any); ok {
			require.Equal(t, li["info_kind"], l.Kind(), l.Name)
		} else {
			require.Nil(t, l.Info, l.Name)
		}
		if g, ok := j["group"].(string); ok && g == "default" {
			require.Zero(t, l.Group)
		}
		// The JSON form uses ip's names and values for the same facts.
		b, err := json.Marshal(l)
		require.NoError(t, err)
		var jo map[string]any
		require.NoError(t, json.Unmarshal(b, &jo))
		for _, k := range []string{"ifindex", "ifname", "mtu", "qdisc", "operstate", "linkmode", "txqlen", "link_type", "address", "broadcast", "min_mtu", "max_mtu", "num_tx_queues", "num_rx_queues", "gso_max_size", "gso_max_segs", "gro_max_size", "tso_max_size", "tso_max_segs", "promiscuity", "allmulti", "inet6_addr_gen_mode", "ifalias"} {
			require.Equal(t, j[k], jo[k], "%s %s", l.Name, k)
		}
		var ipFlags []any
		for _, f := range j["flags"].([]any) {
			if f != "M-DOWN" {
				ipFlags = append(ipFlags, f)
			}
		}
		require.ElementsMatch(t, ipFlags, jo["flags"], l.Name)
		if li, ok := j["linkinfo"].(map[string]any); ok {
			require.Equal(t, li["info_kind"], jo["linkinfo"].(map[string]any)["info_kind"], l.Name)
			require.Equal(t, li["info_slave_kind"], jo["linkinfo"].(map[string]any)["info_slave_kind"], l.Name)
		}
	}

	va := linkByName(t, links, "va")
	vb := linkByName(t, links, "vb")
	require.Equal(t, vb.Index, va.ParentIndex)
	require.Equal(t, "the-a-side", va.Alias)
	require.Equal(t, uint32(5), va.Group)
	require.Equal(t, []string{"a-rather-long-alternative-name"}, va.AltNames)
	require.True(t, va.Flags&route.LinkUp != 0)
	require.NotNil(t, va.Stats)
	require.NotEmpty(t, va.Inet.Conf)
	require.NotEmpty(t, va.Inet6.Conf)

	br := linkByName(t, links, "br0")
	bi := br.Info.(*route.BridgeInfo)
	bj := linkInfoData(ip["br0"], "info_data")
	require.Equal(t, 4*time.Second, *bi.ForwardDelay)
	require.Equal(t, num(bj["forward_delay"]), float64(*bi.ForwardDelay/(10*time.Millisecond)))
	require.Equal(t, num(bj["hello_time"]), float64(*bi.HelloTime/(10*time.Millisecond)))
	require.Equal(t, num(bj["max_age"]), float64(*bi.MaxAge/(10*time.Millisecond)))
	require.Equal(t, num(bj["ageing_time"]), float64(*bi.AgeingTime/(10*time.Millisecond)))
	require.Equal(t, uint32(1), *bi.STPState)
	require.False(t, *bi.McastSnooping)
	require.Equal(t, bj["bridge_id"], bi.BridgeID)
	require.Equal(t, num(bj["priority"]), float64(*bi.Priority))

	require.Equal(t, uint32(br.Index), vb.Master)
	pi := vb.SlaveInfo.(*route.BridgePortInfo)
	pj := linkInfoData(ip["vb"], "info_slave_data")
	require.Equal(t, uint32(42), *pi.Cost)
	require.Equal(t, uint16(7), *pi.Priority)
	require.False(t, *pi.Learning)
	require.True(t, *pi.Mode)
	require.Equal(t, pj["state"], []string{"disabled", "listening", "learning", "forwarding", "blocking"}[*pi.State])

	mv := linkByName(t, links, "mv0").Info.(*route.MacvlanInfo)
	require.Equal(t, route.MacvlanBridge, mv.Mode)
	require.Equal(t, va.Index, linkByName(t, links, "mv0").ParentIndex)
	mt := linkByName(t, links, "mt0").Info.(*route.MacvlanInfo)
	require.True(t, mt.Tap)
	require.Equal(t, route.MacvlanPrivate, mt.Mode)
	require.Equal(t, "macvtap", mt.Kind())

	vx := linkByName(t, links, "vx0").Info.(*route.VxlanInfo)
	vj := linkInfoData(ip["vx0"], "info_data")
	require.Equal(t, uint32(42), vx.VNI)
	require.Equal(t, netip.MustParseAddr("192.0.2.9"), vx.Group)
	require.Equal(t, vj["remote"], vx.Group.String())
	require.Equal(t, netip.MustParseAddr("192.0.2.1"), vx.Local)
	require.Equal(t, uint16(4789), vx.Port)
	require.Equal(t, num(vj["port"]), float64(vx.Port))
	require.Equal(t, uint16(1000), vx.PortLow)
	require.Equal(t, uint16(2000), vx.PortHigh)
	require.Equal(t, uint8(9), *vx.TTL)
	require.False(t, *vx.Learning)
	require.Equal(t, 120*time.Second, *vx.Ageing)
	require.Equal(t, uint32(va.Index), vx.Link)

	require.IsType(t, &route.IFBInfo{}, linkByName(t, links, "ifb0").Info)

	tp := linkByName(t, links, "tp0").Info.(*route.TunInfo)
	require.True(t, tp.Tap)
	require.True(t, tp.MultiQueue)
	require.True(t, tp.Persist)
	require.True(t, tp.HasOwner)
	require.Equal(t, uint32(65534), tp.Owner)
	tn := linkByName(t, links, "tn0").Info.(*route.TunInfo)
	require.False(t, tn.Tap)
	tj := linkInfoData(ip["tp0"], "info_data")
	require.Equal(t, "tap", tj["type"])

	// The iterator reads the same links.
	n := 0
	for l, err := range c.LinkIter(ctx, nil) {
		require.NoError(t, err)
		want := linkByName(t, links, l.Name)
		// Statistics move between the two dumps.
		got := *l
		got.Stats, got.CarrierChanges = want.Stats, want.CarrierChanges
		require.Empty(t, want.Diff(&got), l.Name)
		n++
	}
	require.Equal(t, len(links), n)

	// Get by index, name and long alternative name: one request each.
	for _, get := range []func() (*route.Link, error){
		func() (*route.Link, error) { return c.LinkByIndex(ctx, va.Index) },
		func() (*route.Link, error) { return c.LinkByName(ctx, "va") },
		func() (*route.Link, error) { return c.LinkByName(ctx, "a-rather-long-alternative-name") },
	} {
		l, err := get()
		require.NoError(t, err)
		require.Equal(t, va.Index, l.Index)
		require.Equal(t, "va", l.Name)
	}

	// Kernel-side filters.
	vs, err := c.Links(ctx, &route.LinkFilter{Kind: "veth"})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	ports, err := c.Links(ctx, &route.LinkFilter{Master: uint32(br.Index)})
	require.NoError(t, err)
	require.Len(t, ports, 1)
	require.Equal(t, "vb", ports[0].Name)
	nostats, err := c.Links(ctx, &route.LinkFilter{SkipStats: true, VF: true})
	require.NoError(t, err)
	// RTEXT_FILTER_SKIP_STATS drops the VF and IPv6 statistics, not
	// IFLA_STATS64.
	require.NotNil(t, linkByName(t, nostats, "va").Stats)

	// A registry without vxlan keeps its data raw; Resolve decodes it.
	k := route.NewKinds()
	raw, err := c.Links(ctx, &route.LinkFilter{Kind: "vxlan", Kinds: k})
	require.NoError(t, err)
	require.Len(t, raw, 1)
	r := raw[0].Info.(*route.RawLinkInfo)
	require.Equal(t, "vxlan", r.Name)
	require.NotEmpty(t, r.Data)
	require.NoError(t, route.DefaultKinds().Resolve(&raw[0]))
	require.Equal(t, uint32(42), raw[0].Info.(*route.VxlanInfo).VNI)

	st, err := c.LinkStats(ctx, va.Index)
	require.NoError(t, err)
	require.GreaterOrEqual(t, st.TxPackets, va.Stats.TxPackets)
}

// TestLinkAddSeenByIP: links nlkit makes are seen by `ip -j -d link show`
// with the attributes asked for.
func TestLinkAddSeenByIP(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c := linkTestDial(t, ns)
	ctx := context.Background()
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	require.NoError(t, c.LinkAdd(ctx, &route.Link{
		Name: "va", MTU: 1400, Address: mac, TxQLen: 50,
		Info: &route.VethInfo{Peer: &route.Link{Name: "vb", MTU: 1400}},
	}))
	require.NoError(t, c.LinkAdd(ctx, &route.Link{
		Name: "br0",
		Info: &route.BridgeInfo{
			STPState: route.Ptr(uint32(1)), ForwardDelay: route.Ptr(4 * time.Second),
			HelloTime: route.Ptr(time.Second), AgeingTime: route.Ptr(100 * time.Second),
			Priority: route.Ptr(uint16(4096)), McastSnooping: route.Ptr(false),
		},
	}))
	br, err := c.LinkByName(ctx, "br0")
	require.NoError(t, err)
	vb, err := c.LinkByName(ctx, "vb")
	require.NoError(t, err)
	// The port data needs the master in place first: the kernel hands
	// IFLA_INFO_SLAVE_DATA to the current master's ops.
	require.NoError(t, c.LinkSetMaster(ctx, vb.Index, uint32(br.Index)))
	require.NoError(t, c.LinkChange(ctx, &route.Link{
		Index:     vb.Index,
		SlaveInfo: &route.BridgePortInfo{Cost: route.Ptr(uint32(33)), Learning: route.Ptr(false), FastLeave: route.Ptr(true)},
	}))
	va, err := c.LinkByName(ctx, "va")
	require.NoError(t, err)
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "mv0", ParentIndex: va.Index, Info: &route.MacvlanInfo{Mode: route.MacvlanBridge}}))
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "mt0", ParentIndex: va.Index, Info: &route.MacvlanInfo{Tap: true, Mode: route.MacvlanVEPA}}))
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "vx0", Info: &route.VxlanInfo{
		VNI: 77, Group: netip.MustParseAddr("2001:db8::9"), Local: netip.MustParseAddr("2001:db8::1"),
		Link: uint32(va.Index), Port: 4790, PortLow: 3000, PortHigh: 4000,
		TTL: route.Ptr(uint8(5)), Learning: route.Ptr(false), Ageing: route.Ptr(90 * time.Second),
		Limit: route.Ptr(uint32(10)), UDPZeroCsum6Tx: route.Ptr(true),
	}}))
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "ifb0", Info: &route.IFBInfo{}}))
	for _, tc := range []route.TunConfig{
		{Name: "tn0", NetNS: ns, Persist: true, HasOwner: true, Owner: 65534},
		{Name: "tp0", NetNS: ns, Tap: true, Persist: true, MultiQueue: true, VnetHdr: true, HasGroup: true, Group: 65534},
	} {
		f, name, err := route.TunCreate(&tc)
		require.NoError(t, err)
		require.Equal(t, tc.Name, name)
		require.NoError(t, f.Close())
	}

	ip := linkIPJSON(t, ns)
	j := ip["va"]
	require.Equal(t, float64(1400), num(j["mtu"]))
	require.Equal(t, "02:00:00:00:00:42", j["address"])
	require.Equal(t, float64(50), num(j["txqlen"]))
	require.Equal(t, "veth", j["linkinfo"].(map[string]any)["info_kind"])
	require.Equal(t, "vb", j["link"])
	require.Equal(t, float64(1400), num(ip["vb"]["mtu"]))

	bj := linkInfoData(ip["br0"], "info_data")
	require.Equal(t, float64(400), num(bj["forward_delay"]))
	require.Equal(t, float64(100), num(bj["hello_time"]))
	require.Equal(t, float64(10000), num(bj["ageing_time"]))
	require.Equal(t, float64(1), num(bj["stp_state"]))
	require.Equal(t, float64(4096), num(bj["priority"]))
	require.Equal(t, float64(0), num(bj["mcast_snooping"]))

	require.Equal(t, "br0", ip["vb"]["master"])
	pj := linkInfoData(ip["vb"], "info_slave_data")
	require.Equal(t, float64(33), num(pj["cost"]))
	require.Equal(t, false, pj["learning"])
	require.Equal(t, true, pj["fastleave"])

	require.Equal(t, "bridge", linkInfoData(ip["mv0"], "info_data")["mode"])
	require.Equal(t, "va", ip["mv0"]["link"])
	require.Equal(t, "macvtap", ip["mt0"]["linkinfo"].(map[string]any)["info_kind"])
	require.Equal(t, "vepa", linkInfoData(ip["mt0"], "info_data")["mode"])

	vj := linkInfoData(ip["vx0"], "info_data")
	require.Equal(t, float64(77), num(vj["id"]))
	require.Equal(t, "2001:db8::9", vj["remote6"])
	require.Equal(t, "2001:db8::1", vj["local6"])
	require.Equal(t, "va", vj["link"])
	require.Equal(t, float64(4790), num(vj["port"]))
	require.Equal(t, float64(3000), num(vj["port_range"].(map[string]any)["low"]))
	require.Equal(t, float64(4000), num(vj["port_range"].(map[string]any)["high"]))
	require.Equal(t, float64(5), num(vj["ttl"]))
	require.Equal(t, false, vj["learning"])
	require.Equal(t, float64(90), num(vj["ageing"]))
	require.Equal(t, float64(10), num(vj["limit"]))
	require.Equal(t, true, vj["udp_zero_csum6_tx"])

	require.Equal(t, "ifb", ip["ifb0"]["linkinfo"].(map[string]any)["info_kind"])

	tn := linkInfoData(ip["tn0"], "info_data")
	require.Equal(t, "tun", tn["type"])
	require.Equal(t, true, tn["persist"])
	require.Contains(t, []any{"65534", "nobody"}, tn["user"])
	tp := linkInfoData(ip["tp0"], "info_data")
	require.Equal(t, "tap", tp["type"])
	require.Equal(t, true, tp["multi_queue"])
	require.Equal(t, true, tp["vnet_hdr"])
	require.Contains(t, []any{"65534", "nogroup", "nobody"}, tp["group"])

	// And nlkit reads its own tun back through netlink.
	l, err := c.LinkByName(ctx, "tp0")
	require.NoError(t, err)
	ti := l.Info.(*route.TunInfo)
	require.True(t, ti.Tap && ti.MultiQueue && ti.VnetHdr && ti.Persist && ti.HasGroup)
	require.Equal(t, uint32(65534), ti.Group)
}

// TestLinkChangeMoveDelete: the change operations, moving a link to
// another namespace by fd and by PID, and deleting.
func TestLinkChangeMoveDelete(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c := linkTestDial(t, ns)
	ctx := context.Background()
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "va", Info: &route.VethInfo{Peer: &route.Link{Name: "vb"}}}))
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "br0", Info: &route.BridgeInfo{}}))
	va, err := c.LinkByName(ctx, "va")
	require.NoError(t, err)
	br, err := c.LinkByName(ctx, "br0")
	require.NoError(t, err)
	i := va.Index
	mac := net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	require.NoError(t, c.LinkSetMTU(ctx, i, 1280))
	require.NoError(t, c.LinkSetAddress(ctx, i, mac))
	require.NoError(t, c.LinkSetName(ctx, i, "vx"))
	require.NoError(t, c.LinkSetAlias(ctx, i, "hello"))
	require.NoError(t, c.LinkSetTxQLen(ctx, i, 123))
	require.NoError(t, c.LinkSetGroup(ctx, i, 9))
	require.NoError(t, c.LinkSetMaster(ctx, i, uint32(br.Index)))
	require.NoError(t, c.LinkSetUp(ctx, i))
	j := linkIPJSON(t, ns)["vx"]
	require.NotNil(t, j)
	require.Equal(t, float64(1280), num(j["mtu"]))
	require.Equal(t, mac.String(), j["address"])
	require.Equal(t, "hello", j["ifalias"])
	require.Equal(t, float64(123), num(j["txqlen"]))
	require.Equal(t, "9", j["group"])
	require.Equal(t, "br0", j["master"])
	require.Contains(t, j["flags"], "UP")

	require.NoError(t, c.LinkSetMaster(ctx, i, 0))
	require.NoError(t, c.LinkSetDown(ctx, i))
	require.NoError(t, c.LinkSetAlias(ctx, i, ""))
	require.NoError(t, c.LinkChange(ctx, &route.Link{Index: i, MTU: 1300, Flags: route.LinkUp | route.LinkPromisc, Change: route.LinkUp | route.LinkPromisc}))
	l, err := c.LinkByIndex(ctx, i)
	require.NoError(t, err)
	require.Zero(t, l.Master)
	require.Empty(t, l.Alias)
	require.Equal(t, uint32(1300), l.MTU)
	require.NotZero(t, l.Flags&route.LinkPromisc)
	require.NotZero(t, l.Flags&route.LinkUp)

	// Move by fd.
	other := nstest.New(t)
	require.NoError(t, c.LinkSetNetNS(ctx, i, other))
	_, err = c.LinkByName(ctx, "vx")
	require.ErrorIs(t, err, fs.ErrNotExist)
	oc := linkTestDial(t, other)
	moved, err := oc.LinkByName(ctx, "vx")
	require.NoError(t, err)
	require.True(t, moved.HasLinkNetNSID, "a veth whose peer stayed behind reports the peer's namespace ID")

	// Move by PID: a process living in a third namespace.
	third := nstest.New(t)
	sleeper := exec.Command("ip", "netns", "exec", third.Name(), "sleep", "60")
	require.NoError(t, sleeper.Start())
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	vb, err := c.LinkByName(ctx, "vb")
	require.NoError(t, err)
	pid := linkWaitChildPID(t, sleeper.Process.Pid)
	require.NoError(t, c.LinkSetNetNSPID(ctx, vb.Index, pid))
	tc := linkTestDial(t, third)
	_, err = tc.LinkByName(ctx, "vb")
	require.NoError(t, err)

	// Delete: the veth pair goes as a whole.
	require.NoError(t, oc.LinkDel(ctx, &route.Link{Name: "vx"}))
	_, err = tc.LinkByName(ctx, "vb")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, c.LinkDel(ctx, &route.Link{Index: br.Index}))
	links, err := c.Links(ctx, nil)
	require.NoError(t, err)
	require.Len(t, links, 1) // lo
}

// linkWaitChildPID returns the PID of the process `ip netns exec` runs
// (it execs, so it is pid itself once it is in the namespace).
func linkWaitChildPID(t *testing.T, pid int) int {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	for range 100 {
		ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
		if err == nil && ns != self {
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); strings.TrimSpace(string(comm)) == "sleep" {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the sleeper never entered its namespace")
	return 0
}

// TestLinkErrors: EEXIST, ENODEV, a kind this kernel lacks, and a
// tun created through rtnetlink, each with the kernel's words.
func TestLinkErrors(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c := linkTestDial(t, ns)
	ctx := context.Background()
	require.NoError(t, c.LinkAdd(ctx, &route.Link{Name: "ifb0", Info: &route.IFBInfo{}}))
	err := c.LinkAdd(ctx, &route.Link{Name: "ifb0", Info: &route.IFBInfo{}})
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorIs(t, err, unix.EEXIST)
	require.ErrorContains(t, err, "link add ifb0: file exists")

	_, err = c.LinkByName(ctx, "nosuch0")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "link show nosuch0: no such device")
	err = c.LinkDel(ctx, &route.Link{Name: "nosuch0"})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "link del nosuch0")
	err = c.LinkSetMTU(ctx, 9999, 1400)
	require.ErrorIs(t, err, fs.ErrNotExist)

	for _, info := range []route.LinkInfo{
		&route.VlanInfo{ID: 5}, &route.BondInfo{Mode: route.Ptr(uint8(1))}, &route.DummyInfo{},
		&route.GreInfo{Name: "gretap", Remote: netip.MustParseAddr("192.0.2.2")},
		&route.IPTunInfo{Name: "ipip"}, &route.VrfInfo{Table: 10}, &route.GeneveInfo{VNI: 1},
		&route.MacsecInfo{}, &route.IPVlanInfo{},
	} {
		err := c.LinkAdd(ctx, &route.Link{Name: "x0", Info: info})
		require.ErrorContains(t, err, "Unknown device type", info.Kind())
		require.ErrorContains(t, err, "link add x0", info.Kind())
		var ne *core.Error
		require.True(t, errors.As(err, &ne))
		require.Equal(t, "Unknown device type", ne.Message)
	}

	err = c.LinkAdd(ctx, &route.Link{Name: "tun9", Info: &route.TunInfo{}})
	require.ErrorIs(t, err, unix.EOPNOTSUPP)
	require.ErrorContains(t, err, "link add tun9")

	err = c.LinkAdd(ctx, &route.Link{Name: "much-too-long-name", Info: &route.IFBInfo{}})
	require.ErrorContains(t, err, "longer than 15 bytes")
}

// linkPermHelperEnv runs TestLinkPermissionHelper as the unprivileged
// child of TestLinkPermission.
const linkPermHelperEnv = "NLKIT_ROUTE_LINK_PERM_HELPER"

// TestLinkPermission runs a child of this test binary in a namespace of
// its own, as root without any capability, and checks that adding a link
// fails with EPERM and a clear message.
func TestLinkPermission(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command("ip", "netns", "exec", ns.Name(), "setpriv", "--inh-caps=-all", "--bounding-set=-all",
		exe, "-test.run=^TestLinkPermissionHelper$", "-test.v")
	cmd.Env = append(os.Environ(), linkPermHelperEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "link add x0: operation not permitted")
	require.Contains(t, string(out), "--- PASS: TestLinkPermissionHelper")
	links, err := linkTestDial(t, ns).Links(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, links, 1, "the unprivileged child changed nothing")
}

// TestLinkPermissionHelper is the child of TestLinkPermission; alone it
// skips.
func TestLinkPermissionHelper(t *testing.T) {
	if os.Getenv(linkPermHelperEnv) != "1" {
		t.Skip("run by TestLinkPermission")
	}
	c, err := route.Dial(nil)
	require.NoError(t, err)
	defer c.Close()
	err = c.LinkAdd(context.Background(), &route.Link{Name: "x0", Info: &route.IFBInfo{}})
	require.ErrorIs(t, err, fs.ErrPermission)
	t.Log(err.Error())
}
