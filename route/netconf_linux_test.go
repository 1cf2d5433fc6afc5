package route

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

func TestNetconfMatchesIP(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	names := map[int32]string{}
	for _, n := range []string{"lo", "veth0", "veth1", "br0"} {
		names[roTestIfindex(t, ns, n)] = n
	}
	nstest.Cmd(t, ns, "sysctl", "-qw", "net.ipv4.conf.veth0.forwarding=1", "net.ipv4.conf.veth0.rp_filter=2",
		"net.ipv4.conf.veth0.proxy_arp=1", "net.ipv6.conf.veth0.forwarding=1")

	for _, fam := range []struct {
		f    Family
		flag string
	}{{FamilyInet, "-4"}, {FamilyInet6, "-6"}} {
		var want []map[string]any
		roTestJSON(t, ns, &want, "ip", fam.flag, "-j", "netconf", "show")
		got, err := c.Netconfs(ctx, fam.f)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i := range got {
			b, err := json.Marshal(&got[i])
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			delete(m, "bc_forwarding") // ip 6.1 does not print it
			if ix, ok := m["ifindex"]; ok {
				delete(m, "ifindex")
				m["interface"] = names[int32(ix.(float64))]
			}
			require.Equal(t, want[i], m, got[i].String())
		}
	}

	nc, err := c.Netconf(ctx, FamilyInet, veth0)
	require.NoError(t, err)
	require.Equal(t, int32(1), nc.Forwarding)
	require.Equal(t, int32(2), nc.RPFilter)
	require.Equal(t, int32(1), nc.ProxyNeigh)
	require.Equal(t, "inet if"+roItoa(veth0)+" forwarding on rp_filter loose mc_forwarding off bc_forwarding off proxy_neigh on ignore_routes_with_linkdown off", nc.String())

	all, err := c.Netconf(ctx, FamilyInet6, NetconfIfindexAll)
	require.NoError(t, err)
	require.Equal(t, NetconfIfindexAll, all.Ifindex)
	require.Zero(t, all.Has&NetconfHasRPFilter, "IPv6 has no rp_filter")
	require.NotZero(t, all.Has&NetconfHasForwarding)
	def, err := c.Netconf(ctx, FamilyInet, NetconfIfindexDefault)
	require.NoError(t, err)
	require.Equal(t, "default", netconfInterface(nil, def.Ifindex))

	// Both families in one dump.
	var n4, n6 int
	for nc, err := range c.NetconfIter(ctx, FamilyUnspec) {
		require.NoError(t, err)
		switch nc.Family {
		case FamilyInet:
			n4++
		case FamilyInet6:
			n6++
		}
	}
	require.Positive(t, n4)
	require.Positive(t, n6)

	_, err = c.Netconf(ctx, FamilyInet, 9999)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "netconf get inet if9999")
}
