package route

import (
	"encoding/binary"
	"encoding/json"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Protocol logic against the fake kernel: what the requests carry.

func TestNeighRequests(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	c := NewConn(k.Dial(nil))
	ctx := roTestCtx(t)
	mac, _ := net.ParseMAC("02:00:00:00:00:09")
	entry := Neigh{Family: FamilyInet, Ifindex: 3, State: NeighReachable, Dst: netip.MustParseAddr("192.0.2.9"), LLAddr: mac}
	reply, err := entry.Marshal(nil)
	require.NoError(t, err)
	k.Handle(unix.RTM_GETNEIGH, func(r *nltest.Request) []nltest.Reply { return r.Dump(unix.RTM_NEWNEIGH, reply, reply) })
	k.Handle(unix.RTM_NEWNEIGH, func(r *nltest.Request) []nltest.Reply { return r.Ack() })

	got, err := c.Neighs(ctx, &NeighFilter{Family: FamilyInet, Ifindex: 3, Master: 4, Proxy: true})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.True(t, got[0].Equal(&entry), "%v", got[0].Diff(&entry))
	var want core.AttrEncoder
	want.Uint32(unix.NDA_IFINDEX, 3)
	want.Uint32(unix.NDA_MASTER, 4)
	k.LastRequest().Check(nltest.Want{Type: unix.RTM_GETNEIGH,
		Header: []byte{unix.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0, 0, unix.NTF_PROXY, 0}, Attrs: want.Bytes()})

	// An FDB add fills in the bridge defaults.
	require.NoError(t, c.FDBAdd(ctx, &Neigh{Ifindex: 5, LLAddr: mac, VLAN: 10}))
	r := k.LastRequest()
	require.Equal(t, core.FlagRequest|core.FlagAck|core.FlagCreate|core.FlagExcl, r.Header.Flags)
	require.Equal(t, byte(unix.AF_BRIDGE), r.Data[0])
	require.Equal(t, uint16(unix.NUD_NOARP), binary.NativeEndian.Uint16(r.Data[8:]))
	require.Equal(t, byte(unix.NTF_MASTER), r.Data[10])

	// A neighbour add takes its family from the address, NUD_PERMANENT
	// by default.
	require.NoError(t, c.NeighReplace(ctx, &Neigh{Ifindex: 3, Dst: netip.MustParseAddr("2001:db8::9"), LLAddr: mac}))
	r = k.LastRequest()
	require.Equal(t, core.FlagRequest|core.FlagAck|core.FlagCreate|core.FlagReplace, r.Header.Flags)
	require.Equal(t, byte(unix.AF_INET6), r.Data[0])
	require.Equal(t, uint16(unix.NUD_PERMANENT), binary.NativeEndian.Uint16(r.Data[8:]))
}

func TestNeighTextAndJSON(t *testing.T) {
	mac, _ := net.ParseMAC("02:00:00:00:00:09")
	n := Neigh{Family: FamilyInet, Ifindex: 3, State: NeighReachable | NeighNoARP, Dst: netip.MustParseAddr("192.0.2.9"),
		LLAddr: mac, Flags: NeighFlagExtLearned | NeighFlagManaged, Protocol: ProtocolStatic,
		Cache: NeighCacheInfo{Used: 2 * time.Second, Confirmed: 3 * time.Second, Updated: 4 * time.Second}, Probes: 1}
	require.Equal(t, "192.0.2.9 dev if3 lladdr 02:00:00:00:00:09 extern_learn managed proto static REACHABLE NOARP", n.String())
	b, err := json.Marshal(&n)
	require.NoError(t, err)
	require.JSONEq(t, `{"family":"inet","dst":"192.0.2.9","ifindex":3,"lladdr":"02:00:00:00:00:09","used":2,"confirmed":3,
		"updated":4,"probes":1,"flags":["extern_learn","managed"],"state":["REACHABLE","NOARP"],"protocol":"static"}`, string(b))

	// Extended flags travel in NDA_FLAGS_EXT and come back.
	enc, err := n.Marshal(nil)
	require.NoError(t, err)
	var back Neigh
	require.NoError(t, back.Unmarshal(enc))
	require.True(t, back.Equal(&n), "%v", back.Diff(&n))
	require.Equal(t, NeighFlagManaged, back.Flags&NeighFlagManaged)

	s, err := ParseNeighState("stale")
	require.NoError(t, err)
	require.Equal(t, NeighStale, s)
	_, err = ParseNeighState("bogus")
	require.Error(t, err)
	require.Equal(t, []string{"NONE"}, NeighNone.Names())

	// Short and malformed payloads are errors, not panics.
	require.Error(t, back.Unmarshal([]byte{2, 0}))
	bad := append(make([]byte, neighHeaderLen), 8, 0, unix.NDA_CACHEINFO, 0, 1, 2, 3, 4)
	require.Error(t, back.Unmarshal(bad))
}

func TestRuleAndNexthopRequests(t *testing.T) {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	c := NewConn(k.Dial(nil))
	ctx := roTestCtx(t)
	k.HandleDefault(func(r *nltest.Request) []nltest.Reply { return r.Ack() })

	// A rule with a big table: FRA_TABLE, header table 0, action to_tbl.
	require.NoError(t, c.RuleAdd(ctx, &Rule{Src: netip.MustParsePrefix("2001:db8::/32"), Table: 1000}))
	r := k.LastRequest()
	require.Equal(t, []byte{unix.AF_INET6, 0, 32, 0, 0, 0, 0, unix.FR_ACT_TO_TBL}, r.Data[:8])
	a, ok := r.Attr(ruleHeaderLen, unix.FRA_TABLE)
	require.True(t, ok)
	v, _ := a.Uint32()
	require.Equal(t, uint32(1000), v)
	// A goto rule gets FR_ACT_GOTO.
	require.NoError(t, c.RuleAdd(ctx, &Rule{Family: FamilyInet, Goto: 7}))
	require.Equal(t, byte(unix.FR_ACT_GOTO), k.LastRequest().Data[7])
	// Mixed families are refused before sending.
	require.ErrorIs(t, c.RuleAdd(ctx, &Rule{Src: netip.MustParsePrefix("192.0.2.0/24"), Dst: netip.MustParsePrefix("2001:db8::/32")}), errRuleFamily)

	// A group goes out with family unspec, weights as weight-1 over 16 bits.
	require.NoError(t, c.NexthopAdd(ctx, &Nexthop{ID: 5, Family: FamilyInet, Group: []NexthopGroupMember{{ID: 1, Weight: 300}, {ID: 2}}}))
	r = k.LastRequest()
	require.Equal(t, byte(unix.AF_UNSPEC), r.Data[0])
	a, ok = r.Attr(nexthopHeaderLen, unix.NHA_GROUP)
	require.True(t, ok)
	require.Equal(t, []byte{1, 0, 0, 0, 43, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}, a.Data)
	// A blackhole defaults to IPv4; a v6 gateway makes it IPv6.
	require.NoError(t, c.NexthopAdd(ctx, &Nexthop{ID: 6, Blackhole: true}))
	require.Equal(t, byte(unix.AF_INET), k.LastRequest().Data[0])
	require.NoError(t, c.NexthopAdd(ctx, &Nexthop{ID: 7, Gateway: netip.MustParseAddr("2001:db8::1"), Ifindex: 2}))
	require.Equal(t, byte(unix.AF_INET6), k.LastRequest().Data[0])
	require.ErrorIs(t, c.NexthopAdd(ctx, &Nexthop{ID: 8, Group: []NexthopGroupMember{{ID: 1, Weight: 1 << 17}}}), errNexthopWeight)

	// Nexthop dump filters.
	_, err := c.Nexthops(ctx, &NexthopFilter{Ifindex: 4, GroupsOnly: true, FDB: true})
	require.NoError(t, err)
	var want core.AttrEncoder
	want.Uint32(unix.NHA_OIF, 4)
	want.Flag(unix.NHA_GROUPS)
	want.Flag(nhaFDB)
	k.LastRequest().Check(nltest.Want{Type: unix.RTM_GETNEXTHOP, HeaderLen: nexthopHeaderLen, Attrs: want.Bytes()})
}
