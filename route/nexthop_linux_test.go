package route

import (
	"encoding/json"
	"io/fs"
	"net/netip"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ipNexthop is one entry of `ip -j nexthop`.
type ipNexthop struct {
	ID      uint32 `json:"id"`
	Gateway string `json:"gateway"`
	Dev     string `json:"dev"`
	Scope   string `json:"scope"`
	Group   []struct {
		ID     uint32 `json:"id"`
		Weight uint32 `json:"weight"`
	} `json:"group"`
	Type      string          `json:"type"`
	Blackhole json.RawMessage `json:"blackhole"`
	FDB       json.RawMessage `json:"fdb"`
	Flags     []string        `json:"flags"`
	Res       *struct {
		Buckets         uint16 `json:"buckets"`
		IdleTimer       int64  `json:"idle_timer"`
		UnbalancedTimer int64  `json:"unbalanced_timer"`
	} `json:"resilient_args"`
}

// nexthopCompare checks that got says what ip(8) shows.
func nexthopCompare(t *testing.T, names map[int32]string, want ipNexthop, got *Nexthop) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	msg := got.String()
	if want.Gateway != "" {
		require.Equal(t, want.Gateway, got.Gateway.String(), msg)
	} else {
		require.False(t, got.Gateway.IsValid(), msg)
	}
	require.Equal(t, want.Dev, names[got.Ifindex], msg)
	require.Equal(t, want.Blackhole != nil, got.Blackhole, msg)
	require.Equal(t, want.FDB != nil, got.FDB, msg)
	require.Equal(t, want.Flags, got.Flags.Names(), msg)
	if want.Scope != "" {
		require.Equal(t, want.Scope, got.Scope.String(), msg)
	}
	require.Len(t, got.Group, len(want.Group), msg)
	for i, m := range want.Group {
		w := m.Weight
		if w == 0 {
			w = 1
		}
		require.Equal(t, m.ID, got.Group[i].ID, msg)
		require.Equal(t, w, got.Group[i].Weight, msg)
	}
	if want.Type != "" {
		require.Equal(t, want.Type, got.GroupType.String(), msg)
	}
	if want.Res != nil {
		require.NotNil(t, got.Resilient, msg)
		require.Equal(t, want.Res.Buckets, got.Resilient.Buckets)
		require.Equal(t, time.Duration(want.Res.IdleTimer)*time.Second, got.Resilient.IdleTimer)
		require.Equal(t, time.Duration(want.Res.UnbalancedTimer)*time.Second, got.Resilient.UnbalancedTimer)
	}
}

func TestNexthopReadsWhatIPMade(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	names := map[int32]string{veth0: "veth0"}
	for _, args := range [][]string{
		{"nexthop", "add", "id", "10", "via", "192.0.2.2", "dev", "veth0"},
		{"nexthop", "add", "id", "11", "blackhole"},
		{"nexthop", "add", "id", "12", "via", "192.0.2.3", "dev", "veth0", "proto", "static"},
		{"nexthop", "add", "id", "20", "group", "10,3/12"},
		{"nexthop", "add", "id", "21", "group", "10/12,2", "type", "resilient", "buckets", "8", "idle_timer", "60", "unbalanced_timer", "30"},
		{"nexthop", "add", "id", "30", "via", "2001:db8::2", "dev", "veth0", "onlink"},
		{"nexthop", "add", "id", "40", "via", "192.0.2.7", "fdb"},
		{"nexthop", "add", "id", "41", "via", "192.0.2.8", "fdb"},
		{"nexthop", "add", "id", "42", "group", "40/41", "fdb"},
		{"nexthop", "add", "id", "50", "dev", "veth0"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	var want []ipNexthop
	roTestJSON(t, ns, &want, "ip", "-j", "nexthop", "show")
	got, err := c.Nexthops(ctx, nil)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		nexthopCompare(t, names, want[i], &got[i])
	}

	byID := map[uint32]*Nexthop{}
	for i := range got {
		byID[got[i].ID] = &got[i]
	}
	require.Equal(t, "id 20 group 10,3/12", byID[20].String())
	require.Equal(t, "id 10 via 192.0.2.2 dev if"+roItoa(veth0)+" scope link", byID[10].String())
	require.Equal(t, "id 12 via 192.0.2.3 dev if"+roItoa(veth0)+" scope link proto static", byID[12].String())
	require.Equal(t, "id 11 blackhole", byID[11].String())
	require.Equal(t, "id 21 group 10/12,2 type resilient buckets 8 idle_timer 60 unbalanced_timer 30 unbalanced_time 0", byID[21].String())
	require.Equal(t, FamilyInet6, byID[30].Family)

	// Kernel-side filters.
	for _, tc := range []struct {
		f   NexthopFilter
		ids []uint32
		ipf []string
	}{
		{NexthopFilter{GroupsOnly: true}, []uint32{20, 21, 42}, []string{"groups"}},
		{NexthopFilter{FDB: true}, []uint32{40, 41, 42}, []string{"fdb"}},
		{NexthopFilter{Ifindex: veth0}, []uint32{10, 12, 30, 50}, []string{"dev", "veth0"}},
		{NexthopFilter{Family: FamilyInet6}, []uint32{30}, []string{"-6"}},
	} {
		var ids []uint32
		for nh, err := range c.NexthopIter(ctx, &tc.f) {
			require.NoError(t, err)
			ids = append(ids, nh.ID)
		}
		require.Equal(t, tc.ids, ids, "%+v", tc.f)
		args := append([]string{"-j"}, "nexthop", "show")
		if tc.ipf[0] == "-6" {
			args = []string{"-6", "-j", "nexthop", "show"}
		} else {
			args = append(args, tc.ipf...)
		}
		var w []ipNexthop
		roTestJSON(t, ns, &w, "ip", args...)
		if !tc.f.FDB { // ip 6.1 and the kernel do not filter by fdb
			require.Len(t, w, len(ids), "%v", args)
		}
	}

	// Get by ID.
	nh, err := c.Nexthop(ctx, 21)
	require.NoError(t, err)
	require.True(t, nh.Equal(byID[21]), "%v", nh.Diff(byID[21]))
	_, err = c.Nexthop(ctx, 999)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "nexthop get id 999")
}

func TestNexthopWriteIPReads(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	names := map[int32]string{veth0: "veth0"}
	nhs := []Nexthop{
		{ID: 10, Gateway: netip.MustParseAddr("192.0.2.2"), Ifindex: veth0},
		{ID: 11, Blackhole: true},
		{ID: 12, Gateway: netip.MustParseAddr("192.0.2.3"), Ifindex: veth0, Protocol: ProtocolStatic},
		{ID: 13, Gateway: netip.MustParseAddr("2001:db8::3"), Ifindex: veth0, Flags: NexthopOnlink},
		{ID: 20, Group: []NexthopGroupMember{{ID: 10, Weight: 3}, {ID: 12}}},
		{ID: 21, Group: []NexthopGroupMember{{ID: 10}, {ID: 12, Weight: 300}}, GroupType: NexthopGroupResilient,
			Resilient: &NexthopResilient{Buckets: 16, IdleTimer: 60 * time.Second, UnbalancedTimer: 20 * time.Second}},
		{ID: 40, Gateway: netip.MustParseAddr("192.0.2.7"), FDB: true},
	}
	for i := range nhs {
		require.NoError(t, c.NexthopAdd(ctx, &nhs[i]), nhs[i].String())
	}
	var want []ipNexthop
	roTestJSON(t, ns, &want, "ip", "-j", "nexthop", "show")
	require.Len(t, want, len(nhs))
	got, err := c.Nexthops(ctx, nil)
	require.NoError(t, err)
	want[5].Group[1].Weight = 300 // ip 6.1 reads 8 bits of the weight
	for i := range want {
		nexthopCompare(t, names, want[i], &got[i])
	}
	require.Equal(t, uint32(3), want[4].Group[0].Weight)
	require.Equal(t, "resilient", want[5].Type)
	require.Equal(t, uint16(16), want[5].Res.Buckets)

	// Replace: the gateway moves; the group follows.
	r := Nexthop{ID: 10, Gateway: netip.MustParseAddr("192.0.2.4"), Ifindex: veth0}
	require.NoError(t, c.NexthopReplace(ctx, &r))
	var one []ipNexthop
	roTestJSON(t, ns, &one, "ip", "-j", "nexthop", "show", "id", "10")
	require.Equal(t, "192.0.2.4", one[0].Gateway)

	// Errors carry the kernel's words.
	err = c.NexthopAdd(ctx, &nhs[0])
	require.ErrorIs(t, err, fs.ErrExist)
	require.Contains(t, err.Error(), "nexthop add id 10")
	err = c.NexthopAdd(ctx, &Nexthop{ID: 60, Group: []NexthopGroupMember{{ID: 10}, {ID: 77}}})
	require.ErrorIs(t, err, unix.EINVAL)
	require.Contains(t, err.Error(), "Invalid nexthop id")
	// A missing device is EINVAL here, not ENODEV.
	err = c.NexthopAdd(ctx, &Nexthop{ID: 61, Gateway: netip.MustParseAddr("192.0.2.9"), Ifindex: 9999})
	require.ErrorIs(t, err, unix.EINVAL)
	require.Contains(t, err.Error(), "Invalid device index")

	for _, id := range []uint32{21, 20, 10, 11, 12, 13, 40} {
		require.NoError(t, c.NexthopDel(ctx, id))
	}
	require.JSONEq(t, "[]", nstest.Cmd(t, ns, "ip", "-j", "nexthop", "show"))
	err = c.NexthopDel(ctx, 10)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "nexthop del id 10")
}
