package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// linkCLI runs nlkit in namespace ns and fails the test on an error.
func linkCLI(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, errOut, code := nlkit(t, append([]string{"--netns", ns}, args...)...)
	require.Zero(t, code, "nlkit %v: %s", args, errOut)
	return out
}

// linkIP returns `ip -j -d link show` in ns by name.
func linkIP(t *testing.T, ns string) map[string]map[string]any {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-j", "-d", "link", "show").Output()
	require.NoError(t, err)
	var list []map[string]any
	require.NoError(t, json.Unmarshal(out, &list), "%s", out)
	m := map[string]map[string]any{}
	for _, l := range list {
		m[l["ifname"].(string)] = l
	}
	return m
}

func TestLinkCLI(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	linkCLI(t, name, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	linkCLI(t, name, "link", "add", "br0", "type", "bridge", "stp_state", "1", "forward_delay", "500")
	linkCLI(t, name, "link", "set", "dev", "veth0", "up", "mtu", "1400", "master", "br0", "alias", "port-a", "txqueuelen", "99")
	linkCLI(t, name, "link", "add", "mv0", "link", "veth1", "type", "macvlan", "mode", "bridge")
	linkCLI(t, name, "link", "add", "vx0", "type", "vxlan", "id", "10", "remote", "192.0.2.7", "dstport", "4789", "dev", "veth1", "nolearning")
	linkCLI(t, name, "link", "add", "ifb0", "type", "ifb")
	linkCLI(t, name, "link", "add", "tap0", "type", "tap", "multi_queue")

	ip := linkIP(t, name)
	require.Equal(t, float64(1400), ip["veth0"]["mtu"])
	require.Equal(t, "br0", ip["veth0"]["master"])
	require.Equal(t, "port-a", ip["veth0"]["ifalias"])
	require.Equal(t, float64(99), ip["veth0"]["txqlen"])
	require.Contains(t, ip["veth0"]["flags"], "UP")
	require.Equal(t, float64(500), ip["br0"]["linkinfo"].(map[string]any)["info_data"].(map[string]any)["forward_delay"])
	require.Equal(t, "bridge", ip["mv0"]["linkinfo"].(map[string]any)["info_data"].(map[string]any)["mode"])
	vx := ip["vx0"]["linkinfo"].(map[string]any)["info_data"].(map[string]any)
	require.Equal(t, float64(10), vx["id"])
	require.Equal(t, "192.0.2.7", vx["remote"])
	require.Equal(t, false, vx["learning"])
	require.Equal(t, "ifb", ip["ifb0"]["linkinfo"].(map[string]any)["info_kind"])
	require.Equal(t, "tap", ip["tap0"]["linkinfo"].(map[string]any)["info_data"].(map[string]any)["type"])

	// Text: one line a link, names for peer and master.
	out := linkCLI(t, name, "link", "list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, len(ip))
	var veth0 string
	for _, l := range lines {
		if strings.Contains(l, " veth0@veth1: ") {
			veth0 = l
		}
	}
	require.NotEmpty(t, veth0, out)
	require.Contains(t, veth0, "mtu 1400")
	require.Contains(t, veth0, "master br0")
	require.Contains(t, veth0, "kind veth")

	// JSON agrees with ip -j.
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(linkCLI(t, name, "-j", "link", "list")), &list))
	require.Len(t, list, len(ip))
	for _, l := range list {
		j := ip[l["ifname"].(string)]
		for _, k := range []string{"ifindex", "mtu", "qdisc", "operstate", "linkmode", "txqlen", "link_type", "master"} {
			require.Equal(t, j[k], l[k], "%s %s", l["ifname"], k)
		}
	}
	out = linkCLI(t, name, "-j", "link", "show", "vx0")
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)
	require.Equal(t, float64(10), list[0]["linkinfo"].(map[string]any)["info_data"].(map[string]any)["id"])

	// Filters.
	out = linkCLI(t, name, "link", "list", "type", "veth")
	require.Equal(t, 2, strings.Count(out, "\n"), out)
	out = linkCLI(t, name, "link", "list", "master", "br0")
	require.Equal(t, 1, strings.Count(out, "\n"), out)

	// Index and name.
	idx := linkCLI(t, name, "link", "name2ifindex", "veth0")
	require.Equal(t, "veth0\n", linkCLI(t, name, "link", "ifindex2name", strings.TrimSpace(idx)))

	// enslave, release, stats, rename, delete.
	linkCLI(t, name, "link", "enslave", "ifb0", "br0")
	require.Equal(t, "br0", linkIP(t, name)["ifb0"]["master"])
	linkCLI(t, name, "link", "release", "ifb0")
	require.Nil(t, linkIP(t, name)["ifb0"]["master"])
	out = linkCLI(t, name, "link", "stats", "veth0")
	require.Regexp(t, `^\d+: veth0: rx bytes \d+ packets \d+ .* tx bytes \d+ packets \d+`, out)
	out = linkCLI(t, name, "-j", "link", "stats")
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, len(ip))
	linkCLI(t, name, "link", "set", "veth0", "down", "name", "veth9")
	require.NotNil(t, linkIP(t, name)["veth9"])
	linkCLI(t, name, "link", "del", "dev", "veth9")
	ip = linkIP(t, name)
	require.Nil(t, ip["veth9"])
	require.Nil(t, ip["veth1"])

	// Errors carry the kernel's words.
	_, errOut, code := nlkit(t, "--netns", name, "link", "add", "br0", "type", "bridge")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "link add br0: file exists")
	_, errOut, code = nlkit(t, "--netns", name, "link", "add", "x0", "type", "vlan")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "Unknown device type")
	_, errOut, code = nlkit(t, "--netns", name, "link", "del", "nosuch")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no such device")
	_, errOut, code = nlkit(t, "--netns", name, "link", "set", "br0", "frobnicate")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "unexpected argument \"frobnicate\"")
}
