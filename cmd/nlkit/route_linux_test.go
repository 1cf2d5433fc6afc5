package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/route"
	"github.com/stretchr/testify/require"
)

// routeCLISetup makes a namespace with veth0/veth1 up (no link-local
// addresses) and 192.0.2.1/24, 2001:db8::1/64 on veth0; it returns the
// namespace and a runner of nlkit in it that fails the test on an error.
func routeCLISetup(t *testing.T) (*core.NetNS, func(args ...string) string) {
	t.Helper()
	ns := nstest.New(t)
	for _, args := range [][]string{
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		{"link", "set", "veth0", "addrgenmode", "none"},
		{"link", "set", "veth1", "addrgenmode", "none"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0"},
		{"addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	return ns, func(args ...string) string {
		t.Helper()
		out, errOut, code := nlkit(t, append([]string{"--netns", ns.Name()}, args...)...)
		require.Zero(t, code, "%v: %s", args, errOut)
		require.Empty(t, errOut)
		return out
	}
}

// routeIPLines is `ip route ARGS` one route a line, trailing blanks cut
// and a multipath route's hops joined to its line.
func routeIPLines(t *testing.T, ns *core.NetNS, args ...string) []string {
	t.Helper()
	var out []string
	full := append([]string{"route"}, args...)
	if len(args) > 0 && (args[0] == "-6" || args[0] == "-4") {
		full = append([]string{args[0], "route"}, args[1:]...)
	}
	for _, l := range strings.Split(nstest.Cmd(t, ns, "ip", full...), "\n") {
		switch {
		case strings.HasPrefix(l, "\t") && len(out) > 0:
			out[len(out)-1] += " " + strings.TrimSpace(l)
		case strings.TrimSpace(l) != "":
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// TestRouteCLI adds routes with nlkit, and checks ip sees them and nlkit
// lists them as ip does.
func TestRouteCLI(t *testing.T) {
	t.Parallel()
	ns, run := routeCLISetup(t)
	for _, args := range [][]string{
		{"route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "veth0", "table", "100", "metric", "5"},
		{"route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "veth0", "proto", "static", "metric", "5"},
		{"route", "add", "203.0.113.0/24", "nexthop", "via", "192.0.2.2", "dev", "veth0", "weight", "2", "nexthop", "via", "192.0.2.3", "weight", "3"},
		{"route", "add", "blackhole", "198.51.100.128/25", "table", "1000"},
		{"route", "add", "unreachable", "203.0.113.7"},
		{"route", "add", "default", "via", "192.0.2.254", "mtu", "lock", "1400", "initcwnd", "10"},
		{"route", "add", "198.19.0.0/16", "via", "192.0.2.9", "dev", "veth0", "onlink", "src", "192.0.2.1"},
		{"route", "add", "198.19.1.0/24", "via", "inet6", "2001:db8::2", "dev", "veth0"},
		{"route", "add", "2001:db8:1::/64", "via", "2001:db8::2", "metric", "10", "pref", "high"},
		{"route", "-6", "add", "default", "dev", "veth0", "table", "1000", "hoplimit", "9"},
	} {
		run(args...)
	}
	require.Equal(t, []string{"198.51.100.0/24 via 192.0.2.2 dev veth0 metric 5"}, routeIPLines(t, ns, "show", "table", "100"))

	// list: the main table, IPv4, as ip shows it.
	want := routeIPLines(t, ns, "show")
	require.Equal(t, want, strings.Split(strings.TrimSpace(run("route", "list")), "\n"))
	require.Contains(t, want, "default via 192.0.2.254 dev veth0 mtu lock 1400 initcwnd 10")
	require.Contains(t, want, "203.0.113.0/24 nexthop via 192.0.2.2 dev veth0 weight 2 nexthop via 192.0.2.3 dev veth0 weight 3")
	require.Equal(t, routeIPLines(t, ns, "-6", "show"), strings.Split(strings.TrimSpace(run("route", "list", "-6")), "\n"))
	require.Equal(t, routeIPLines(t, ns, "show", "table", "1000"), strings.Split(strings.TrimSpace(run("route", "show", "--table", "1000")), "\n"))
	require.Equal(t, routeIPLines(t, ns, "show", "table", "all"), strings.Split(strings.TrimSpace(run("route", "list", "table", "all")), "\n"))
	// (ip leaves out what a selector fixed, such as the protocol; nlkit
	// leaves out only the table.)
	require.Equal(t, "198.51.100.0/24 via 192.0.2.2 dev veth0 proto static metric 5\n", run("route", "list", "proto", "static"))
	require.Equal(t, []string{"unreachable 203.0.113.7"}, strings.Split(strings.TrimSpace(run("route", "list", "type", "unreachable")), "\n"))
	require.Equal(t, "2001:db8:1::/64 via 2001:db8::2 dev veth0 metric 10 pref high\n", run("route", "list", "2001:db8:1::/64"))

	// -j: ip -j's names and values.
	var ours []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("-j", "route", "list", "table", "all")), &ours))
	ip := ipJSON(t, ns.Name(), "route", "show", "table", "all")
	require.Len(t, ours, len(ip))
	for i := range ip {
		for k, v := range ip[i] {
			require.Equal(t, v, ours[i][k], "%s of %v", k, ip[i]["dst"])
		}
	}
	require.Equal(t, "[]\n", run("-j", "route", "list", "table", "4242"))

	// get, as ip route get.
	require.Equal(t, "198.51.100.7 via 192.0.2.2 dev veth0 src 192.0.2.1 uid 0\n", run("route", "get", "198.51.100.7"))
	require.Equal(t, "198.51.100.0/24 via 192.0.2.2 dev veth0 proto static metric 5\n", run("route", "get", "198.51.100.7", "fibmatch"))
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("-j", "route", "get", "2001:db8:1::9")), &got))
	ipGet := ipJSON(t, ns.Name(), "route", "get", "2001:db8:1::9")
	for k, v := range ipGet[0] {
		require.Equal(t, v, got[0][k], k)
	}

	// replace, append, del, flush.
	run("route", "replace", "198.51.100.0/24", "via", "192.0.2.3", "table", "100", "metric", "5")
	run("route", "append", "198.51.100.0/24", "via", "192.0.2.4", "table", "100", "metric", "5")
	require.Equal(t, []string{"198.51.100.0/24 via 192.0.2.3 dev veth0 metric 5", "198.51.100.0/24 via 192.0.2.4 dev veth0 metric 5"},
		routeIPLines(t, ns, "show", "table", "100"))
	run("route", "del", "198.51.100.0/24", "via", "192.0.2.4", "table", "100", "metric", "5")
	require.Equal(t, []string{"198.51.100.0/24 via 192.0.2.3 dev veth0 metric 5"}, routeIPLines(t, ns, "show", "table", "100"))
	require.Equal(t, "{\"deleted\":1}\n", run("-j", "route", "flush", "table", "100"))
	require.Empty(t, routeIPLines(t, ns, "show", "table", "100"))
	run("route", "flush", "table", "all", "type", "blackhole")
	require.Empty(t, routeIPLines(t, ns, "show", "table", "1000", "type", "blackhole"))
	require.NotEmpty(t, routeIPLines(t, ns, "-6", "show", "table", "1000"))
}

// TestRouteCLIErrors checks the errors nlkit prints.
func TestRouteCLIErrors(t *testing.T) {
	t.Parallel()
	ns, run := routeCLISetup(t)
	run("route", "add", "198.51.100.0/24", "via", "192.0.2.2")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"route", "add", "198.51.100.0/24", "via", "192.0.2.2"}, "nlkit: route add 198.51.100.0/24: file exists\n"},
		{[]string{"route", "del", "203.0.113.0/24"}, "nlkit: route del 203.0.113.0/24: no such process\n"},
		{[]string{"route", "add", "10.0.0.0/8", "dev", "nosuch"}, "nlkit: cannot find device \"nosuch\"\n"},
		{[]string{"route", "add", "10.0.0.1/8", "dev", "veth0"}, "nlkit: route add 10.0.0.1/8: invalid argument: Invalid prefix for given prefix length\n"},
		{[]string{"route", "add", "10.0.0.0/8", "via", "203.0.113.99"}, "nlkit: route add 10.0.0.0/8: network is unreachable: Nexthop has invalid gateway\n"},
		{[]string{"route", "add", "10.0.0.0/33", "dev", "veth0"}, "nlkit: any valid prefix is expected rather than \"10.0.0.0/33\"\nRun 'nlkit --help' for usage.\n"},
		{[]string{"route", "add", "10.0.0.0/8", "bogus"}, "nlkit: unknown argument \"bogus\"\nRun 'nlkit --help' for usage.\n"},
		{[]string{"route", "add", "10.0.0.0/8", "metric"}, "nlkit: \"metric\" needs a value\nRun 'nlkit --help' for usage.\n"},
		{[]string{"route", "get", "203.0.113.1"}, "nlkit: route get 203.0.113.1: network is unreachable\n"},
		{[]string{"route", "list", "-4", "-6"}, "nlkit: -4 and -6 together\nRun 'nlkit --help' for usage.\n"},
		{[]string{"route", "flush"}, "nlkit: flush requires arguments (a selector such as proto static, or table N|all)\nRun 'nlkit --help' for usage.\n"},
	} {
		out, errOut, code := nlkit(t, append([]string{"--netns", ns.Name()}, tc.args...)...)
		require.Equal(t, 1, code, "%v", tc.args)
		require.Empty(t, out, "%v", tc.args)
		require.Equal(t, tc.want, errOut, "%v", tc.args)
	}
}

// routeCountWriter counts the writes made to it.
type routeCountWriter struct {
	writes, bytes int
}

func (w *routeCountWriter) Write(p []byte) (int, error) {
	w.writes++
	w.bytes += len(p)
	return len(p), nil
}

// TestRouteCLIBuffered lists 20,000 routes and checks the output took a
// write per 64 KiB, not one a route.
func TestRouteCLIBuffered(t *testing.T) {
	t.Parallel()
	ns, _ := routeCLISetup(t)
	c, err := route.Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	const n = 20000
	routes := make([]route.Route, n)
	for i := range routes {
		routes[i] = route.Route{
			Dst:     netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 32),
			Gateway: netip.MustParseAddr("192.0.2.2"), Protocol: route.ProtocolStatic,
		}
	}
	require.NoError(t, c.RouteAddBatch(context.Background(), routes, nil))
	for _, args := range [][]string{{"route", "list"}, {"-j", "route", "list"}} {
		var w, e routeCountWriter
		code := run(append([]string{"--netns", ns.Name()}, args...), &w, &e)
		require.Zero(t, code)
		require.Greater(t, w.bytes, n*30)
		require.LessOrEqual(t, w.writes, w.bytes/(64<<10)+2, "%v: %d writes for %d bytes", args, w.writes, w.bytes)
	}
}
