package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

func TestNetdevCLI(t *testing.T) {
	t.Parallel()
	ns := ethtoolVeth(t)
	name := ns.Name()

	// queues: the device's queues are sysfs's.
	var ours []string
	for _, line := range strings.Split(strings.TrimSpace(nlkitOK(t, "--netns", name, "netdev", "queues", "veth0")), "\n") {
		f := strings.Fields(line)
		require.Equal(t, "veth0", f[0])
		ours = append(ours, f[1])
	}
	theirs := strings.Fields(nstest.Cmd(t, ns, "ls", "/sys/class/net/veth0/queues"))
	slices.Sort(ours)
	slices.Sort(theirs)
	require.Equal(t, theirs, ours)

	// show -j: the devices are ip's links, named.
	var devs []struct {
		Ifname      string   `json:"ifname"`
		Ifindex     uint32   `json:"ifindex"`
		XDPFeatures []string `json:"xdp-features"`
	}
	require.NoError(t, json.Unmarshal([]byte(nlkitOK(t, "--netns", name, "-j", "netdev", "show")), &devs))
	var links []struct {
		Ifname  string `json:"ifname"`
		Ifindex uint32 `json:"ifindex"`
	}
	require.NoError(t, json.Unmarshal([]byte(nstest.Cmd(t, ns, "ip", "-j", "link", "show")), &links))
	require.Len(t, devs, len(links))
	for _, l := range links {
		i := slices.IndexFunc(devs, func(d struct {
			Ifname      string   `json:"ifname"`
			Ifindex     uint32   `json:"ifindex"`
			XDPFeatures []string `json:"xdp-features"`
		}) bool {
			return d.Ifindex == l.Ifindex
		})
		require.GreaterOrEqual(t, i, 0, l.Ifname)
		require.Equal(t, l.Ifname, devs[i].Ifname)
		if l.Ifname == "veth0" {
			require.Contains(t, devs[i].XDPFeatures, "redirect")
		}
	}

	// napi: GRO on makes veth poll with NAPI; the sysfs knob for the
	// device reaches every instance; set-napi changes one.
	require.Empty(t, nlkitOK(t, "--netns", name, "netdev", "napi", "veth0"))
	nlkitOK(t, "--netns", name, "ethtool", "set-features", "veth0", "gro", "on")
	nstest.Cmd(t, ns, "sh", "-c", "echo 7 > /sys/class/net/veth0/napi_defer_hard_irqs")
	lines := strings.Split(strings.TrimSpace(nlkitOK(t, "--netns", name, "netdev", "napi", "veth0")), "\n")
	require.Len(t, lines, 4)
	for _, l := range lines {
		require.Contains(t, l, "dev veth0 defer-hard-irqs 7 ")
	}
	id := strings.Fields(lines[0])[1]
	nlkitOK(t, "--netns", name, "netdev", "set-napi", id, "defer-hard-irqs", "2", "gro-flush-timeout", "50us")
	require.Contains(t, nlkitOK(t, "--netns", name, "netdev", "napi", "veth0"), "napi "+id+" dev veth0 defer-hard-irqs 2 gro-flush-timeout 50µs")

	// Unknown device, bad arguments.
	_, errOut, code := nlkit(t, "--netns", name, "netdev", "queues", "nosuch0")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: netdev: device \"nosuch0\": no such device\n", errOut)
	_, errOut, code = nlkit(t, "--netns", name, "netdev", "set-napi", id, "gro-flush-timeout", "soon")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `gro-flush-timeout: "soon" is not a duration`)

	// stats: veth keeps no queue statistics.
	require.Equal(t, "[]\n", nlkitOK(t, "--netns", name, "-j", "netdev", "stats", "--queue"))
}
