package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// objTestNS makes a namespace with veth0 (192.0.2.1/24, 2001:db8::1/64)
// and veth1, a port of bridge br0, all up.
func objTestNS(t *testing.T) *core.NetNS {
	t.Helper()
	ns := nstest.New(t)
	for _, args := range [][]string{
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		{"link", "add", "br0", "type", "bridge"},
		{"link", "set", "veth1", "master", "br0"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
		{"link", "set", "br0", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0"},
		{"addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	return ns
}

// objRun runs nlkit in ns and fails the test unless it succeeds.
func objRun(t *testing.T, ns *core.NetNS, args ...string) string {
	t.Helper()
	out, errOut, code := nlkit(t, append([]string{"--netns", ns.Name()}, args...)...)
	require.Zero(t, code, "nlkit %v: %s", args, errOut)
	return out
}

// objFail runs nlkit in ns, expects it to fail, and returns stderr.
func objFail(t *testing.T, ns *core.NetNS, args ...string) string {
	t.Helper()
	_, errOut, code := nlkit(t, append([]string{"--netns", ns.Name()}, args...)...)
	require.Equal(t, 1, code, "nlkit %v should fail", args)
	return errOut
}

// objDecode decodes JSON output.
func objDecode(t *testing.T, out string) []map[string]any {
	t.Helper()
	var v []map[string]any
	out = strings.TrimSpace(out)
	if out == "" {
		return nil
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func TestCLINeigh(t *testing.T) {
	t.Parallel()
	ns := objTestNS(t)
	objRun(t, ns, "neigh", "add", "192.0.2.9", "lladdr", "02:00:00:00:00:09", "dev", "veth0", "nud", "permanent")
	objRun(t, ns, "neigh", "replace", "2001:db8::9", "lladdr", "02:00:00:00:00:0a", "dev", "veth0", "nud", "stale", "router")
	objRun(t, ns, "neigh", "add", "proxy", "192.0.2.50", "dev", "veth0")

	ip := objDecode(t, nstest.Cmd(t, ns, "ip", "-j", "neigh", "show", "dev", "veth0"))
	require.Len(t, ip, 2)
	require.Equal(t, "192.0.2.9", ip[0]["dst"])
	require.Equal(t, []any{"PERMANENT"}, ip[0]["state"])
	require.Contains(t, ip[1], "router")

	out := objRun(t, ns, "neigh", "list", "dev", "veth0")
	require.Contains(t, out, "192.0.2.9 dev veth0 lladdr 02:00:00:00:00:09 PERMANENT\n")
	require.Contains(t, out, "2001:db8::9 dev veth0 lladdr 02:00:00:00:00:0a router STALE\n")
	require.Equal(t, "192.0.2.50 dev veth0 proxy\n", objRun(t, ns, "neigh", "list", "proxy"))

	js := objDecode(t, objRun(t, ns, "-j", "neigh", "list", "dev", "veth0", "-4"))
	require.Len(t, js, 1)
	for _, k := range []string{"dst", "lladdr", "state"} { // ip omits dev when filtering by it
		require.Equal(t, ip[0][k], js[0][k], k)
	}

	objRun(t, ns, "neigh", "del", "192.0.2.9", "dev", "veth0")
	require.NotContains(t, nstest.Cmd(t, ns, "ip", "neigh", "show"), "192.0.2.9 ")
	errOut := objFail(t, ns, "neigh", "del", "192.0.2.9", "dev", "veth0")
	require.Contains(t, errOut, "neigh del 192.0.2.9 dev")
	require.Contains(t, errOut, "no such file or directory")
	require.Contains(t, objFail(t, ns, "neigh", "add", "192.0.2.9", "dev", "nosuch0"), `cannot find device "nosuch0"`)
	require.Contains(t, objFail(t, ns, "neigh", "add", "192.0.2.9", "lladdr", "zz", "dev", "veth0"), "invalid lladdr")

	// FDB entries.
	objRun(t, ns, "neigh", "add", "fdb", "02:00:00:00:00:21", "dev", "veth1", "master", "static")
	require.Contains(t, nstest.Cmd(t, ns, "bridge", "fdb", "show", "dev", "veth1"), "02:00:00:00:00:21 master br0 static")
	out = objRun(t, ns, "neigh", "list", "fdb", "master", "br0")
	require.Contains(t, out, "02:00:00:00:00:21 dev veth1 master br0 static\n")
	js = objDecode(t, objRun(t, ns, "-j", "neigh", "list", "fdb", "dev", "veth1"))
	var found bool
	for _, e := range js {
		if e["mac"] == "02:00:00:00:00:21" {
			found = true
			require.Equal(t, "veth1", e["ifname"])
			require.Equal(t, "static", e["state"])
		}
	}
	require.True(t, found)
	objRun(t, ns, "neigh", "del", "fdb", "02:00:00:00:00:21", "dev", "veth1")
	require.NotContains(t, nstest.Cmd(t, ns, "bridge", "fdb", "show", "dev", "veth1"), "02:00:00:00:00:21")
}

func TestCLINeightblNetconf(t *testing.T) {
	t.Parallel()
	ns := objTestNS(t)
	nstest.Cmd(t, ns, "ip", "ntable", "change", "name", "arp_cache", "dev", "veth0", "ucast_probes", "7")
	out := objRun(t, ns, "neightbl", "list", "name", "arp_cache", "dev", "veth0")
	require.True(t, strings.HasPrefix(out, "inet arp_cache dev veth0 base_reachable 30000"), out)
	require.Contains(t, out, " ucast_probes 7 ")
	require.Equal(t, 1, strings.Count(out, "\n"))
	js := objDecode(t, objRun(t, ns, "-j", "neightbl", "list", "-4", "dev", "veth0"))
	require.Len(t, js, 1)
	ip := objDecode(t, nstest.Cmd(t, ns, "ip", "-4", "-j", "ntable", "show", "dev", "veth0"))
	for _, k := range []string{"name", "dev", "base_reachable", "ucast_probes", "queue", "locktime"} {
		require.Equal(t, ip[0][k], js[0][k], k)
	}

	objRun(t, ns, "neightbl", "change", "name", "arp_cache", "dev", "veth0", "mcast_probes", "4", "retrans", "1500")
	require.Equal(t, "4\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv4/neigh/veth0/mcast_solicit"))
	require.Equal(t, "1500\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv4/neigh/veth0/retrans_time_ms"))
	objRun(t, ns, "neightbl", "change", "-6", "name", "ndisc_cache", "dev", "veth0", "app_probes", "2")
	require.Equal(t, "2\n", nstest.Cmd(t, ns, "cat", "/proc/sys/net/ipv6/neigh/veth0/app_solicit"))
	require.Contains(t, objFail(t, ns, "neightbl", "change", "name", "arp_cache", "thresh1", "5"), "no such file or directory")
	require.Contains(t, objFail(t, ns, "neightbl", "change", "dev", "veth0", "queue", "5"), "name NAME is required")

	nstest.Cmd(t, ns, "sysctl", "-qw", "net.ipv4.conf.veth0.forwarding=1", "net.ipv4.conf.veth0.rp_filter=2")
	out = objRun(t, ns, "netconf", "list", "dev", "veth0")
	require.Equal(t, "inet veth0 forwarding on rp_filter loose mc_forwarding off bc_forwarding off proxy_neigh off ignore_routes_with_linkdown off\n", out)
	js = objDecode(t, objRun(t, ns, "-j", "netconf", "list", "-4"))
	ip = objDecode(t, nstest.Cmd(t, ns, "ip", "-4", "-j", "netconf", "show"))
	require.Len(t, js, len(ip))
	for i := range ip {
		for k, v := range ip[i] {
			require.Equal(t, v, js[i][k], "%d %s", i, k)
		}
	}
	require.Contains(t, objRun(t, ns, "netconf", "list", "-6", "dev", "all"), "inet6 all forwarding")
}

func TestCLINSID(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	peer := nstest.New(t)
	require.Equal(t, "-1\n", objRun(t, ns, "nsid", "get", peer.Name()))
	objRun(t, ns, "nsid", "set", peer.Name(), "4")
	require.Equal(t, "4\n", objRun(t, ns, "nsid", "get", peer.Name()))
	require.Contains(t, nstest.Cmd(t, ns, "ip", "netns", "list-id"), "nsid 4 ")
	require.Equal(t, "nsid 4\n", objRun(t, ns, "nsid", "list"))
	require.JSONEq(t, `[{"nsid":4}]`, objRun(t, ns, "-j", "nsid", "list"))
	require.Contains(t, objFail(t, ns, "nsid", "set", peer.Name(), "5"), "file exists")
	require.Contains(t, objFail(t, ns, "nsid", "set", peer.Name(), "x"), "invalid ID")
}
