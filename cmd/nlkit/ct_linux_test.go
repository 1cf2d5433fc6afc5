package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// ctTool runs `conntrack ARGS` in ns and returns stdout's lines.
func ctToolOut(t *testing.T, ns *core.NetNS, args ...string) []string {
	t.Helper()
	// stdout alone: the tool's summary goes to stderr.
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Name(), "conntrack"}, args...)...)
	b, err := cmd.Output()
	require.NoError(t, err)
	out := string(b)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "conntrack v") {
			lines = append(lines, l)
		}
	}
	return lines
}

func ctField(line string, i int) string { return strings.Fields(line)[i] }

// ctNoTimeout drops the third field (the timeout, which ticks).
func ctNoTimeout(line string) string {
	f := strings.Fields(line)
	return strings.Join(append(f[:2:2], f[3:]...), " ")
}

func TestCtCommands(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := nlkit(t, append([]string{"--netns", name}, args...)...)
		require.Zero(t, code, "%v: %s", args, errOut)
		return out
	}
	run("ct", "add", "--proto", "udp", "--src", "192.0.2.1", "--dst", "192.0.2.2", "--sport", "1000", "--dport", "53", "--timeout", "100", "--mark", "5")
	run("ct", "add", "-p", "tcp", "-s", "192.0.2.1", "--dst", "192.0.2.3", "--sport", "1001", "--dport", "80", "-t", "100",
		"--state", "ESTABLISHED", "--status", "SEEN_REPLY,ASSURED")
	run("ct", "add", "-p", "icmpv6", "-s", "2001:db8::1", "--dst", "2001:db8::2", "--icmp-type", "128", "--icmp-id", "7", "-t", "100")

	tool := ctToolOut(t, ns, "-L")
	require.Len(t, tool, 3)
	ours := strings.Split(strings.TrimSpace(run("ct", "list")), "\n")
	require.Len(t, ours, 3)
	var a, b []string
	for i := range tool {
		a = append(a, ctNoTimeout(tool[i]))
		b = append(b, ctNoTimeout(ours[i]))
	}
	require.ElementsMatch(t, a, b)

	// Filters.
	out := run("ct", "list", "--mark", "5")
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.Contains(t, out, "udp      17 ")
	out = run("ct", "list", "--family", "inet6")
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.Contains(t, out, "icmpv6   58 ")
	out = run("ct", "list", "--status", "ASSURED")
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.Contains(t, out, "ESTABLISHED")
	out = run("ct", "list", "-p", "tcp", "--family", "inet", "--dport", "80")
	require.Equal(t, 1, strings.Count(out, "\n"))

	// JSON.
	var flows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("-j", "ct", "list", "-p", "udp", "--family", "inet")), &flows))
	require.Len(t, flows, 1)
	require.Equal(t, "udp", flows[0]["proto"])
	require.Equal(t, float64(5), flows[0]["mark"])
	require.Equal(t, "192.0.2.2", flows[0]["reply"].(map[string]any)["src"])

	// Get, update, delete.
	sel := []string{"-p", "udp", "-s", "192.0.2.1", "--dst", "192.0.2.2", "--sport", "1000", "--dport", "53"}
	out = run(append([]string{"ct", "get"}, sel...)...)
	require.Contains(t, out, "mark=5 ")
	run(append([]string{"ct", "update", "--mark", "9", "--timeout", "300"}, sel...)...)
	line := ctToolOut(t, ns, "-L", "-p", "udp")[0]
	require.Contains(t, line, " mark=9 ")
	require.Contains(t, []string{"299", "300"}, ctField(line, 2))
	run(append([]string{"ct", "del"}, sel...)...)
	require.Len(t, ctToolOut(t, ns, "-L"), 2)
	_, errOut, code := nlkit(t, append([]string{"--netns", name, "ct", "del"}, sel...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "conntrack delete udp src=192.0.2.1 dst=192.0.2.2 sport=1000 dport=53: no such file or directory")
	_, errOut, code = nlkit(t, "--netns", name, "ct", "add", "-p", "udp", "-s", "192.0.2.1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "needs --src, --dst and --proto")

	// Count, stats, flush.
	require.Equal(t, "2\n", run("ct", "count"))
	require.Contains(t, run("-d", "ct", "count"), "2 (max ")
	require.Contains(t, run("ct", "stats"), "cpu=0 found=")
	run("ct", "flush", "--family", "inet6")
	require.Equal(t, "1\n", run("ct", "count"))
	run("ct", "flush")
	require.Empty(t, ctToolOut(t, ns, "-L"))
}

// ct events and nf monitor print what happens while they run.
func TestCtEvents(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	for _, args := range [][]string{{"ct", "events", "--count", "2"}, {"-j", "nf", "monitor", "--count", "2"}} {
		var wg sync.WaitGroup
		var out, errOut string
		var code int
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code = nlkit(t, append([]string{"--netns", name}, args...)...)
		}()
		time.Sleep(200 * time.Millisecond)
		nstest.Cmd(t, ns, "conntrack", "-I", "-s", "192.0.2.1", "-d", "192.0.2.2", "-p", "udp", "--sport", "7", "--dport", "7", "-t", "50")
		nstest.Cmd(t, ns, "conntrack", "-D", "-s", "192.0.2.1")
		wg.Wait()
		require.Zero(t, code, errOut)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 2, out)
		if args[0] == "-j" {
			var ev struct {
				Type string
				Flow map[string]any
			}
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
			require.Equal(t, "NEW", ev.Type)
			require.Equal(t, "udp", ev.Flow["proto"])
			require.NoError(t, json.Unmarshal([]byte(lines[1]), &ev))
			require.Equal(t, "DESTROY", ev.Type)
			continue
		}
		require.True(t, strings.HasPrefix(lines[0], "[NEW] udp      17 50 src=192.0.2.1 dst=192.0.2.2 sport=7 dport=7 [UNREPLIED]"), lines[0])
		require.True(t, strings.HasPrefix(lines[1], "[DESTROY] udp      17 "), lines[1])
	}
}

// exp add, list and del on a master flow that has the ftp helper.
func TestExpCommands(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := nlkit(t, append([]string{"--netns", name}, args...)...)
		require.Zero(t, code, "%v: %s", args, errOut)
		return out
	}
	run("ct", "add", "-p", "tcp", "-s", "192.0.2.1", "--dst", "192.0.2.2", "--sport", "40000", "--dport", "21", "-t", "300",
		"--state", "ESTABLISHED", "--helper", "ftp")
	require.Contains(t, run("ct", "list"), " helper=ftp ")
	run("exp", "add", "-p", "tcp", "-s", "192.0.2.2", "--dst", "192.0.2.1", "--dport", "41000", "-t", "200", "--helper", "ftp",
		"--master-src", "192.0.2.1", "--master-dst", "192.0.2.2", "--master-sport", "40000", "--master-dport", "21")
	tool := ctToolOut(t, ns, "-L", "expect")
	require.Len(t, tool, 1)
	ours := strings.TrimSpace(run("exp", "list"))
	strip := func(s string) string { return strings.Join(strings.Fields(s)[1:], " ") }
	require.Equal(t, strip(tool[0]), strip(ours))
	var exps []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("-j", "exp", "list")), &exps))
	require.Len(t, exps, 1)
	require.Equal(t, "ftp", exps[0]["helper"])
	run("exp", "del", "-p", "tcp", "-s", "192.0.2.2", "--dst", "192.0.2.1", "--dport", "41000")
	require.Empty(t, ctToolOut(t, ns, "-L", "expect"))
	run("exp", "add", "-p", "tcp", "-s", "192.0.2.2", "--dst", "192.0.2.1", "--dport", "41001", "-t", "200", "--helper", "ftp",
		"--master-src", "192.0.2.1", "--master-dst", "192.0.2.2", "--master-sport", "40000", "--master-dport", "21")
	run("exp", "del", "--all")
	require.Empty(t, ctToolOut(t, ns, "-L", "expect"))
}
