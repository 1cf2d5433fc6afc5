package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// ethtoolVeth makes a namespace with veth0/veth1 (4 queues each, up) and
// returns it.
func ethtoolVeth(t *testing.T) *core.NetNS {
	t.Helper()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "numtxqueues", "4", "numrxqueues", "4",
		"type", "veth", "peer", "veth1", "numtxqueues", "4", "numrxqueues", "4")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "up")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth1", "up")
	return ns
}

// nlkitOK runs nlkit and requires success.
func nlkitOK(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := nlkit(t, args...)
	require.Zero(t, code, "nlkit %v: %s", args, errOut)
	require.Empty(t, errOut)
	return out
}

// ethtoolLines maps "name" to the whole trimmed line for "name: value"
// lines of ethtool(8) output.
func ethtoolLines(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if k, _, ok := strings.Cut(line, ":"); ok {
			m[k] = line
		}
	}
	return m
}

func TestEthtoolCLIChannelsAndShow(t *testing.T) {
	t.Parallel()
	ns := ethtoolVeth(t)
	name := ns.Name()
	// The channels table is ethtool -l's, byte for byte.
	require.Equal(t, nstest.Cmd(t, ns, "ethtool", "-l", "veth0"), nlkitOK(t, "--netns", name, "ethtool", "channels", "veth0"))

	nlkitOK(t, "--netns", name, "ethtool", "set-channels", "veth0", "rx", "2", "tx", "3")
	require.Equal(t, nstest.Cmd(t, ns, "ethtool", "-l", "veth0"), nlkitOK(t, "--netns", name, "ethtool", "channels", "veth0"))
	require.Contains(t, nstest.Cmd(t, ns, "ethtool", "-l", "veth0"), "Current hardware settings:\nRX:\t\t2\nTX:\t\t3\n")

	out, errOut, code := nlkit(t, "--netns", name, "ethtool", "set-channels", "veth0", "rx", "9")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "nlkit: ethtool set channels veth0: invalid argument: requested channel count exceeds maximum")
	_, errOut, code = nlkit(t, "--netns", name, "ethtool", "set-channels", "veth0", "bogus", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `unknown keyword "bogus"`)

	var ch struct {
		RX    uint32 `json:"rx"`
		RXMax uint32 `json:"rx_max"`
	}
	require.NoError(t, json.Unmarshal([]byte(nlkitOK(t, "--netns", name, "-j", "ethtool", "channels", "veth0")), &ch))
	require.EqualValues(t, 4, ch.RXMax)
	require.EqualValues(t, 2, ch.RX)

	// show: every line both print is the same.
	ours := ethtoolLines(nlkitOK(t, "--netns", name, "ethtool", "show", "veth0"))
	theirs := ethtoolLines(nstest.Cmd(t, ns, "ethtool", "veth0"))
	for _, k := range []string{"Supported link modes", "Advertised link modes", "Speed", "Duplex", "Auto-negotiation",
		"Port", "PHYAD", "Transceiver", "MDI-X", "Link detected"} {
		require.Equal(t, theirs[k], ours[k], k)
	}
	var show struct {
		Ifname    string
		LinkModes struct{ Speed uint32 } `json:"linkmodes"`
		LinkState struct{ Link bool }    `json:"linkstate"`
	}
	require.NoError(t, json.Unmarshal([]byte(nlkitOK(t, "--netns", name, "-j", "ethtool", "show", "veth0")), &show))
	require.Equal(t, "veth0", show.Ifname)
	require.EqualValues(t, 10000, show.LinkModes.Speed)
	require.True(t, show.LinkState.Link)
}

func TestEthtoolCLIFeatures(t *testing.T) {
	t.Parallel()
	ns := ethtoolVeth(t)
	name := ns.Name()
	check := func() {
		t.Helper()
		theirs := ethtoolLines(nstest.Cmd(t, ns, "ethtool", "-k", "veth0"))
		same := 0
		for k, line := range ethtoolLines(nlkitOK(t, "--netns", name, "ethtool", "features", "veth0")) {
			if e, ok := theirs[k]; ok && k != "Features for veth0" {
				require.Equal(t, e, line, k)
				same++
			}
		}
		require.Greater(t, same, 40)
	}
	check()

	require.Empty(t, nlkitOK(t, "--netns", name, "ethtool", "set-features", "veth0", "gro", "on", "tx-nocache-copy", "on"))
	theirs := ethtoolLines(nstest.Cmd(t, ns, "ethtool", "-k", "veth0"))
	require.Equal(t, "generic-receive-offload: on", theirs["generic-receive-offload"])
	require.Equal(t, "tx-nocache-copy: on", theirs["tx-nocache-copy"])
	check()

	// Turning tx checksums off takes the segmentation offloads with them:
	// nlkit prints the actual changes, as ethtool -K does.
	out := nlkitOK(t, "--netns", name, "ethtool", "set-features", "veth0", "tx-checksum-ip-generic", "off")
	require.Contains(t, out, "Actual changes:\n")
	require.Contains(t, out, "tx-checksum-ip-generic: off\n")
	require.Contains(t, out, "tx-tcp-segmentation: off\n")
	check()

	out, errOut, code := nlkit(t, "--netns", name, "ethtool", "set-features", "veth0", "loopback", "on")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "nlkit: ethtool set features veth0: feature \"loopback\" is fixed off on this device, cannot turn it on\n", errOut)
	_, errOut, code = nlkit(t, "--netns", name, "ethtool", "set-features", "veth0", "gro", "maybe")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `want on or off, not "maybe"`)

	var js struct {
		Features []struct {
			Name          string
			Active, Fixed bool
		}
	}
	require.NoError(t, json.Unmarshal([]byte(nlkitOK(t, "--netns", name, "-j", "ethtool", "features", "veth0")), &js))
	found := false
	for _, f := range js.Features {
		if f.Name == "rx-gro" {
			found = f.Active && !f.Fixed
		}
	}
	require.True(t, found)
}

func TestEthtoolCLIRings(t *testing.T) {
	t.Parallel()
	ns := ethtoolVeth(t)
	out, errOut, code := nlkit(t, "--netns", ns.Name(), "ethtool", "rings", "veth0")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "nlkit: ethtool rings veth0: operation not supported\n", errOut)
	ethOut, err := nstest.CmdErr(ns, "ethtool", "-g", "veth0")
	require.Error(t, err)
	require.Contains(t, ethOut, "Operation not supported")

	_, errOut, code = nlkit(t, "--netns", ns.Name(), "ethtool", "set-rings", "veth0", "rx", "256")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: ethtool rings veth0: operation not supported\n", errOut)
	_, errOut, code = nlkit(t, "--netns", ns.Name(), "ethtool", "rings", "nosuch0")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "nlkit: ethtool rings nosuch0: no such device: no device matches name")
}

func TestEthtoolCLIMonitor(t *testing.T) {
	t.Parallel()
	ns := ethtoolVeth(t)
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, code := nlkit(t, "--netns", ns.Name(), "-j", "ethtool", "monitor", "--count", "1")
		done <- result{out, errOut, code}
	}()
	on := true
	for {
		nstest.Cmd(t, ns, "ethtool", "-L", "veth0", "rx", map[bool]string{true: "1", false: "2"}[on])
		on = !on
		select {
		case r := <-done:
			require.Zero(t, r.code, r.errOut)
			var ev struct {
				Kind     string
				Dev      struct{ Ifname string }
				Channels struct{ RX uint32 }
			}
			require.NoError(t, json.Unmarshal([]byte(r.out), &ev), r.out)
			require.Equal(t, "channels", ev.Kind)
			require.Equal(t, "veth0", ev.Dev.Ifname)
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
