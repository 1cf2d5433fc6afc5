package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// monitorRun starts `nlkit --netns NS monitor args...` and returns its
// output lines as they come, and its exit code once it ends.
func monitorRun(t *testing.T, ns string, args ...string) (<-chan string, <-chan int) {
	t.Helper()
	r, w := io.Pipe()
	lines := make(chan string, 1000)
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		c := run(append([]string{"--netns", ns, "monitor"}, args...), w, &stderr)
		w.Close()
		if c != 0 {
			t.Logf("monitor: %s", stderr.String())
		}
		code <- c
	}()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines, code
}

// monitorUntilLive changes the MTU of link dev until the monitor shows a
// link event: then it is listening. It returns the lines seen meanwhile.
func monitorUntilLive(t *testing.T, ns *core.NetNS, lines <-chan string) []string {
	t.Helper()
	var seen []string
	for i := 0; i < 100; i++ {
		nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "mtu", fmt.Sprint(1300+i))
		select {
		case l := <-lines:
			return append(seen, l)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the monitor printed nothing")
	return nil
}

// TestMonitorCLI watches a namespace: text lines like ip monitor's, then
// JSON lines, ending after --count events.
func TestMonitorCLI(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")

	lines, code := monitorRun(t, name, "link", "addr", "route", "--count", "40")
	seen := monitorUntilLive(t, ns, lines)
	require.Contains(t, seen[0], "[LINK] ")
	require.Contains(t, seen[0], "veth0")
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.1/24", "dev", "veth0")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "up")
	nstest.Cmd(t, ns, "ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "veth0")
	nstest.Cmd(t, ns, "ip", "route", "del", "198.51.100.0/24")
	nstest.Cmd(t, ns, "ip", "addr", "del", "192.0.2.1/24", "dev", "veth0")
	want := []string{
		"veth0 inet 192.0.2.1/24 scope global veth0",
		"[ROUTE] 198.51.100.0/24 via 192.0.2.2 dev veth0",
		"[ROUTE] Deleted 198.51.100.0/24 via 192.0.2.2 dev veth0",
		"[ADDR] Deleted ",
	}
	var all []string
	deadline := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the monitor ended early: %s", strings.Join(all, "\n"))
			all = append(all, l)
			if strings.Contains(l, want[0]) {
				want = want[1:]
			}
		case <-deadline:
			t.Fatalf("missing %q in:\n%s", want[0], strings.Join(all, "\n"))
		}
	}
	// --count ends it: make link events until it does.
	for i := 0; ; i++ {
		nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "mtu", fmt.Sprint(1400+i%100))
		select {
		case c := <-code:
			require.Zero(t, c)
			return
		case <-time.After(10 * time.Millisecond):
		}
		require.Less(t, i, 500, "--count did not end the monitor")
	}
}

func TestMonitorCLIJSON(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	lines, code := monitorRun(t, ns.Name(), "-j", "link", "ipv4-addr", "--count", "3")
	first := monitorUntilLive(t, ns, lines)
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(first[0]), &ev), first[0])
	require.Equal(t, "LINK", ev["kind"])
	require.Equal(t, "new", ev["event"])
	require.Equal(t, "link", ev["group"])
	require.Equal(t, "veth0", ev["object"].(map[string]any)["ifname"])

	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.1/24", "dev", "veth0")
	nstest.Cmd(t, ns, "ip", "addr", "add", "192.0.2.2/24", "dev", "veth0")
	var rest []map[string]any
	deadline := time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			var e map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &e), l)
			rest = append(rest, e)
		case <-deadline:
			t.Fatalf("--count 3 did not end the monitor; saw %v", rest)
		}
	}
	require.Zero(t, <-code)
	require.Len(t, rest, 2, "--count 3: the first line and two more")
	var addr map[string]any
	for _, e := range rest {
		if e["kind"] == "ADDR" && addr == nil {
			addr = e["object"].(map[string]any)
		}
	}
	if addr == nil {
		// The two may both have been link events (MTU changes still
		// queued): the address came after --count.
		return
	}
	require.Equal(t, "192.0.2.1", addr["local"])
	require.Equal(t, float64(24), addr["prefixlen"])
}

func TestMonitorCLIUsage(t *testing.T) {
	for _, args := range [][]string{{"monitor", "bogus"}, {"monitor", "--count", "-1"}} {
		out, errOut, code := nlkit(t, args...)
		require.Equal(t, 1, code, "%v", args)
		require.Empty(t, out)
		require.Regexp(t, `^nlkit: .+\nRun 'nlkit --help' for usage.\n$`, errOut, "%v", args)
	}
}
