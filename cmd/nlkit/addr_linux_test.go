package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// TestAddrCLI adds addresses with nlkit, reads them with ip and with
// nlkit, and deletes them.
func TestAddrCLI(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := nlkit(t, append([]string{"--netns", name}, args...)...)
		require.Zero(t, code, "%v: %s", args, errOut)
		require.Empty(t, errOut)
		return out
	}
	run("addr", "add", "192.0.2.1/24", "dev", "veth0", "broadcast", "+", "label", "veth0:1")
	run("addr", "add", "198.51.100.5", "peer", "198.51.100.9/32", "dev", "veth0", "metric", "10")
	run("addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad", "noprefixroute", "valid_lft", "300", "preferred_lft", "100")

	// ip sees what nlkit made.
	info := map[string]map[string]any{}
	for _, l := range ipJSON(t, name, "addr", "show", "dev", "veth0") {
		for _, a := range l["addr_info"].([]any) {
			a := a.(map[string]any)
			info[a["local"].(string)] = a
		}
	}
	require.Equal(t, "192.0.2.255", info["192.0.2.1"]["broadcast"])
	require.Equal(t, "veth0:1", info["192.0.2.1"]["label"])
	require.Equal(t, "198.51.100.9", info["198.51.100.5"]["address"])
	require.Equal(t, float64(10), info["198.51.100.5"]["metric"])
	require.Equal(t, true, info["2001:db8::1"]["nodad"])
	require.Equal(t, true, info["2001:db8::1"]["noprefixroute"])
	require.InDelta(t, 300, info["2001:db8::1"]["valid_life_time"], 2)
	require.InDelta(t, 100, info["2001:db8::1"]["preferred_life_time"], 2)

	// nlkit lists them as ip -o does.
	out := run("addr", "list", "dev", "veth0")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Regexp(t, `^\d+: veth0 inet 192\.0\.2\.1/24 brd 192\.0\.2\.255 scope global veth0:1 valid_lft forever preferred_lft forever$`, lines[0])
	require.Regexp(t, `^\d+: veth0 inet 198\.51\.100\.5 peer 198\.51\.100\.9/32 metric 10 scope global veth0 `, lines[1])
	require.Regexp(t, `^\d+: veth0 inet6 2001:db8::1/64 scope global nodad dynamic noprefixroute valid_lft \d+sec preferred_lft \d+sec$`, lines[2])
	require.Len(t, strings.Split(strings.TrimSpace(run("addr", "list", "-6", "dev", "veth0")), "\n"), 1)
	require.Contains(t, run("addr", "list", "scope", "host"), "lo    inet 127.0.0.1/8 scope host lo")
	require.Contains(t, run("addr", "show", "label", "veth0:1"), "192.0.2.1/24")

	// -j: ip -j's names, with ifindex and ifname.
	var js []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("-j", "addr", "list", "dev", "veth0")), &js))
	require.Len(t, js, 3)
	for _, a := range js {
		ip := info[a["local"].(string)]
		require.NotNil(t, ip)
		require.Equal(t, "veth0", a["ifname"])
		for k, v := range ip {
			if k == "valid_life_time" || k == "preferred_life_time" {
				require.InDelta(t, v, a[k], 2)
				continue
			}
			require.Equal(t, v, a[k], "%s of %s", k, a["local"])
		}
	}

	// Replace, delete; the kernel's errors as nlkit prints them.
	run("addr", "replace", "2001:db8::1/64", "dev", "veth0", "nodad", "valid_lft", "forever")
	require.Contains(t, run("addr", "list", "-6", "dev", "veth0"), "2001:db8::1/64 scope global nodad valid_lft forever preferred_lft forever")
	_, errOut, code := nlkit(t, "--netns", name, "addr", "add", "192.0.2.1/24", "dev", "veth0")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: addr add 192.0.2.1/24 dev veth0: file exists: ipv4: Address already assigned\n", errOut)
	run("addr", "del", "192.0.2.1/24", "dev", "veth0")
	_, errOut, code = nlkit(t, "--netns", name, "addr", "del", "192.0.2.1/24", "dev", "veth0")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: addr del 192.0.2.1/24 dev veth0: cannot assign requested address: ipv4: Address not found\n", errOut)
	_, errOut, code = nlkit(t, "--netns", name, "addr", "add", "192.0.2.1/24", "dev", "nosuch0")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "nosuch0: no such device")
	require.NotContains(t, nstest.Cmd(t, ns, "ip", "addr", "show", "dev", "veth0"), "192.0.2.1/")
}

func TestAddrCLIUsage(t *testing.T) {
	for _, args := range [][]string{
		{"addr", "add", "192.0.2.1/24"},
		{"addr", "add", "dev", "veth0"},
		{"addr", "add", "192.0.2.1/33", "dev", "veth0"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0", "scope", "bogus"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0", "valid_lft", "10", "preferred_lft", "20"},
		{"addr", "add", "2001:db8::1/64", "dev", "veth0", "broadcast", "+"},
		{"addr", "add", "192.0.2.1/24", "192.0.2.2/24", "dev", "veth0"},
		{"addr", "list", "bogus", "x"},
		{"addr", "list", "-4", "-6"},
		{"addr", "del"},
	} {
		out, errOut, code := nlkit(t, args...)
		require.Equal(t, 1, code, "%v", args)
		require.Empty(t, out, "%v", args)
		require.Regexp(t, `^nlkit: .+\nRun 'nlkit --help' for usage.\n$`, errOut, "%v", args)
	}
}

func TestAddrBroadcast(t *testing.T) {
	a, dev, err := addrParse([]string{"192.0.2.77/26", "dev", "x", "brd", "+"})
	require.NoError(t, err)
	require.Equal(t, "x", dev)
	require.Equal(t, "192.0.2.127", a.Broadcast.String())
	a, _, err = addrParse([]string{"192.0.2.77/26", "dev", "x", "broadcast", "-"})
	require.NoError(t, err)
	require.Equal(t, "192.0.2.64", a.Broadcast.String())
	a, _, err = addrParse([]string{"local", "198.51.100.5", "peer", "198.51.100.9/30", "dev", "x", "home", "autojoin"})
	require.NoError(t, err)
	require.Equal(t, "198.51.100.5/30", a.Prefix.String())
	require.Equal(t, "198.51.100.9", a.Peer.String())
	require.Equal(t, "home autojoin", a.Flags.String())
}
