package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// The demo's -j report, as a program reads it.
type jsonReport struct {
	Namespace string `json:"namespace"`
	Steps     []struct {
		Action  string `json:"action"`
		Request string `json:"request"`
	} `json:"steps"`
	Errors []struct {
		Request string `json:"request"`
		Errno   string `json:"errno"`
		Code    int    `json:"code"`
		ExtAck  string `json:"ext_ack"`
		Error   string `json:"error"`
	} `json:"errors"`
	Events     []map[string]any `json:"events"`
	EventLines []string         `json:"event_lines"`
	Links      []map[string]any `json:"links"`
	Addresses  []map[string]any `json:"addresses"`
	Routes     []map[string]any `json:"routes"`
	Messages   struct {
		Links     []jsonMsg `json:"links"`
		Addresses []jsonMsg `json:"addresses"`
		Routes    []jsonMsg `json:"routes"`
	} `json:"messages"`
	Made struct {
		Links, Addresses, Routes int
	} `json:"made"`
	Summary struct {
		Links         int            `json:"links"`
		Addresses     int            `json:"addresses"`
		Routes        int            `json:"routes"`
		RoutesByTable map[string]int `json:"routes_by_table"`
		Sent          int            `json:"messages_sent"`
		Received      int            `json:"messages_received"`
		ElapsedMS     float64        `json:"elapsed_ms"`
	} `json:"summary"`
}

type jsonMsg struct {
	Type   string         `json:"type"`
	Header map[string]any `json:"header"`
	Attrs  []jsonAttr     `json:"attrs"`
	Error  string         `json:"error"`
}

type jsonAttr struct {
	Type  uint16     `json:"type"`
	Name  string     `json:"name"`
	Value any        `json:"value"`
	Hex   string     `json:"hex"`
	Attrs []jsonAttr `json:"attrs"`
	Error string     `json:"error"`
}

func (m jsonMsg) attr(names ...string) *jsonAttr {
	attrs := m.Attrs
	var found *jsonAttr
	for _, n := range names {
		found = nil
		for i := range attrs {
			if attrs[i].Name == n {
				found = &attrs[i]
				break
			}
		}
		if found == nil {
			return nil
		}
		attrs = found.Attrs
	}
	return found
}

func (m jsonMsg) str(names ...string) string {
	if a := m.attr(names...); a != nil && a.Value != nil {
		return fmt.Sprint(a.Value)
	}
	return ""
}

// checkDecoded fails if any attribute of the dumps could not be read as
// the name tables say: the tables' types agree with this kernel's.
func checkDecoded(t *testing.T, msgs []jsonMsg) {
	t.Helper()
	var walk func(path string, as []jsonAttr)
	walk = func(path string, as []jsonAttr) {
		for _, a := range as {
			p := path + "/" + a.Name
			require.Empty(t, a.Error, "%s (%d)", p, a.Type)
			walk(p, a.Attrs)
		}
	}
	for _, m := range msgs {
		require.Empty(t, m.Error, m.Type)
		require.NotNil(t, m.Header, m.Type)
		walk(m.Type, m.Attrs)
	}
}

func runDemoJSON(t *testing.T, args ...string) jsonReport {
	t.Helper()
	out, errOut, code := nlkit(t, append(args, "-j", "demo")...)
	require.Zero(t, code, errOut)
	require.Empty(t, errOut)
	var rep jsonReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	return rep
}

// ipJSON runs `ip -j -n ns args...` and decodes its output.
func ipJSON(t *testing.T, ns string, args ...string) []map[string]any {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-j", "-n", ns}, args...)...).Output()
	require.NoError(t, err, "ip %v", args)
	var v []map[string]any
	require.NoError(t, json.Unmarshal(out, &v), string(out))
	return v
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// TestDemoMatchesKernel runs the demo in a named namespace and checks what
// it reports, and what it built, against iproute2's view of the kernel.
func TestDemoMatchesKernel(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	name := ns.Name()
	rep := runDemoJSON(t, "--netns", name)
	require.Equal(t, name, rep.Namespace)

	// Links, as the route SDK decoded them: the same indexes, names,
	// addresses, MTUs and masters as ip shows.
	type link struct {
		Name, Addr, Master string
		MTU                float64
	}
	kernel := map[float64]link{}
	for _, l := range ipJSON(t, name, "link", "show") {
		master, _ := l["master"].(string)
		kernel[l["ifindex"].(float64)] = link{l["ifname"].(string), l["address"].(string), master, l["mtu"].(float64)}
	}
	names := map[float64]string{}
	for _, l := range rep.Links {
		names[l["ifindex"].(float64)] = l["ifname"].(string)
	}
	reported := map[float64]link{}
	for _, l := range rep.Links {
		addr, _ := l["address"].(string)
		rl := link{Name: l["ifname"].(string), Addr: addr, MTU: l["mtu"].(float64)}
		if m, ok := l["master"].(float64); ok {
			rl.Master = names[m]
		}
		reported[l["ifindex"].(float64)] = rl
	}
	require.Equal(t, kernel, reported)
	require.Len(t, reported, 4) // lo, br0, veth0, veth1
	require.Equal(t, "br0", reported[findIndex(t, names, "veth1")].Master)
	require.Equal(t, len(rep.Links), rep.Summary.Links)
	require.Len(t, rep.Messages.Links, len(rep.Links))

	// The veth pair and the bridge are what the demo says they are, in
	// the typed links and in the messages' trees.
	kinds := map[string]string{}
	for _, l := range rep.Links {
		info, _ := l["linkinfo"].(map[string]any)
		kind, _ := info["info_kind"].(string)
		kinds[l["ifname"].(string)] = kind
		if l["ifname"] != "lo" {
			require.Contains(t, l["flags"], "UP", l["ifname"])
		}
	}
	require.Equal(t, map[string]string{"lo": "", "br0": "bridge", "veth0": "veth", "veth1": "veth"}, kinds)
	for _, m := range rep.Messages.Links {
		require.Equal(t, kinds[m.str("IFLA_IFNAME")], m.str("IFLA_LINKINFO", "IFLA_INFO_KIND"))
	}

	// lo and bridges cannot leave their namespace; a veth can
	// (IFLA_NETNS_IMMUTABLE).
	for _, m := range rep.Messages.Links {
		want := "0"
		if n := m.str("IFLA_IFNAME"); n == "lo" || n == "br0" {
			want = "1"
		}
		require.Equal(t, want, m.str("IFLA_NETNS_IMMUTABLE"), m.str("IFLA_IFNAME"))
	}

	// Addresses: the global ones are the kernel's global ones (link-local
	// addresses come and go with IPv6 autoconfiguration).
	var kernelAddrs, reportedAddrs []string
	for _, l := range ipJSON(t, name, "addr", "show") {
		for _, a := range l["addr_info"].([]any) {
			a := a.(map[string]any)
			if a["scope"] == "global" {
				kernelAddrs = append(kernelAddrs, fmt.Sprintf("%s %s/%v %v", l["ifname"], a["local"], a["prefixlen"], a["nodad"]))
			}
		}
	}
	for _, a := range rep.Addresses {
		if a["scope"] == "global" {
			reportedAddrs = append(reportedAddrs, fmt.Sprintf("%s %s/%v %v", names[a["ifindex"].(float64)], a["local"], a["prefixlen"], a["nodad"]))
		}
	}
	require.Equal(t, sorted(kernelAddrs), sorted(reportedAddrs))
	require.Equal(t, []string{"br0 2001:db8:1::1/64 true", "br0 203.0.113.1/24 <nil>",
		"veth0 192.0.2.1/24 <nil>", "veth0 2001:db8::1/64 true"}, sorted(reportedAddrs))
	require.Len(t, rep.Messages.Addresses, len(rep.Addresses))

	// Routes: the static ones, in every table.
	var kernelRoutes, reportedRoutes []string
	for _, r := range ipJSON(t, name, "route", "show", "table", "all", "proto", "static") {
		table, _ := r["table"].(string)
		if table == "" {
			table = "main"
		}
		kernelRoutes = append(kernelRoutes, fmt.Sprintf("%s via %s dev %s table %s", r["dst"], r["gateway"], r["dev"], table))
	}
	for _, r := range rep.Routes {
		if r["protocol"] != "static" {
			continue
		}
		var dev float64
		_, err := fmt.Sscanf(r["dev"].(string), "if%v", &dev)
		require.NoError(t, err)
		table, _ := r["table"].(string)
		if table == "" {
			table = "main"
		}
		reportedRoutes = append(reportedRoutes, fmt.Sprintf("%s via %s dev %s table %s", r["dst"], r["gateway"], names[dev], table))
	}
	require.Equal(t, sorted(kernelRoutes), sorted(reportedRoutes))
	require.Len(t, reportedRoutes, 3)
	n := 0
	for _, c := range rep.Summary.RoutesByTable {
		n += c
	}
	require.Equal(t, len(rep.Routes), n)
	require.Equal(t, len(rep.Routes), rep.Summary.Routes)
	require.Len(t, rep.Messages.Routes, len(rep.Routes))

	// The events the watch saw: each address and static route, the
	// addresses before the routes through them.
	require.Len(t, rep.EventLines, len(rep.Events))
	at := func(sub string) int {
		for i, l := range rep.EventLines {
			if strings.Contains(l, sub) {
				return i
			}
		}
		t.Fatalf("no event %q in:\n%s", sub, strings.Join(rep.EventLines, "\n"))
		return -1
	}
	for _, want := range []string{"[LINK] ", "br0", "veth0", "veth1"} {
		at(want)
	}
	v4 := at("veth0 inet 192.0.2.1/24 scope global veth0")
	v6 := at("veth0 inet6 2001:db8::1/64 scope global nodad")
	at("br0   inet 203.0.113.1/24")
	at("br0   inet6 2001:db8:1::1/64")
	require.Less(t, v4, at("[ROUTE] 198.51.100.0/24 via 192.0.2.2 dev veth0 proto static"))
	require.Less(t, at("[ROUTE] 2001:db8::/64 dev veth0 proto kernel"), at("[ROUTE] 2001:db8:2::/48 via 2001:db8::2 dev veth0 proto static"))
	require.Positive(t, v6)
	at("[ROUTE] default via 203.0.113.254 dev br0 table 100 proto static")
	for _, ev := range rep.Events {
		require.Equal(t, "new", ev["event"])
		require.Contains(t, []string{"LINK", "ADDR", "ROUTE"}, ev["kind"])
		require.NotNil(t, ev["object"])
	}

	// The refused requests: the kernel's reasons, and nothing changed.
	require.Len(t, rep.Errors, 2)
	require.Equal(t, "EOPNOTSUPP", rep.Errors[0].Errno)
	require.Equal(t, "Unknown device type", rep.Errors[0].ExtAck)
	require.Contains(t, rep.Errors[0].Error, "operation not supported: Unknown device type")
	require.Equal(t, "ENETUNREACH", rep.Errors[1].Errno)
	require.Equal(t, "Nexthop has invalid gateway", rep.Errors[1].ExtAck)
	_, err := exec.Command("ip", "-n", name, "link", "show", "bogus0").CombinedOutput()
	require.Error(t, err, "the refused link exists")
	out := nstest.Cmd(t, ns, "ip", "route", "show", "198.51.100.0/25")
	require.Empty(t, strings.TrimSpace(out), "the refused route exists")

	require.Equal(t, 3, rep.Made.Links)
	require.Equal(t, 4, rep.Made.Addresses)
	require.Equal(t, 3, rep.Made.Routes)
	require.Len(t, rep.Steps, 12)
	require.Greater(t, rep.Summary.Received, rep.Summary.Sent)
	checkDecoded(t, rep.Messages.Links)
	checkDecoded(t, rep.Messages.Addresses)
	checkDecoded(t, rep.Messages.Routes)
}

func findIndex(t *testing.T, names map[float64]string, name string) float64 {
	t.Helper()
	for i, n := range names {
		if n == name {
			return i
		}
	}
	t.Fatalf("no link %s", name)
	return 0
}

// TestDemoRefusesBusyNamespace checks the demo leaves a namespace that is
// in use alone.
func TestDemoRefusesBusyNamespace(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "busy0", "type", "veth", "peer", "name", "busy1")
	out, errOut, code := nlkit(t, "--netns", ns.Name(), "demo")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "is not empty (links busy")
	links := nstest.Cmd(t, ns, "ip", "-br", "link")
	require.NotContains(t, links, "br0")
}

// hostLinks lists the links of the test's own namespace.
func hostLinks(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "-j", "link", "show").Output()
	require.NoError(t, err)
	var ls []map[string]any
	require.NoError(t, json.Unmarshal(out, &ls))
	var names []string
	for _, l := range ls {
		names = append(names, fmt.Sprint(l["ifindex"], " ", l["ifname"]))
	}
	return sorted(names)
}

// TestDemoAnonymous runs the demo as `make run` does, in its own
// anonymous namespace, and checks its text and JSON reports, and that the
// host did not change. It is not parallel: it watches the host's links and
// the process's file descriptors.
func TestDemoAnonymous(t *testing.T) {
	nstest.Require(t)
	before := hostLinks(t)
	nstest.CheckLeaks(t)

	out, errOut, code := nlkit(t, "demo")
	require.Zero(t, code, errOut)
	require.Empty(t, errOut)
	for _, want := range []string{
		"anonymous network namespace",
		"RTM_NEWLINK   create bridge br0",
		"RTM_NEWLINK   create veth pair veth0 <-> veth1",
		"RTM_NEWROUTE  add 198.51.100.0/24 via 192.0.2.2 dev veth0",
		"operation not supported: Unknown device type",
		"Nexthop has invalid gateway",
		// Attribute trees with names, from the dumps.
		"IFLA_IFNAME", "IFLA_INFO_KIND", "IFLA_INFO_SLAVE_KIND", "IFA_LOCAL", "RTA_GATEWAY", "RTA_TABLE",
		"198.51.100.0/24 via 192.0.2.2 dev veth0 proto static",
		"default via 203.0.113.254 dev br0 table 100 proto static",
		"through the nlkit route SDK",
		"Events  (what route.Watch saw",
		"[ADDR] ", "veth0 inet 192.0.2.1/24 scope global veth0",
		"[ROUTE] 198.51.100.0/24 via 192.0.2.2 dev veth0 proto static",
		"The kernel reports 4 links, ",
		"The demo made 3 links, 4 addresses and 3 routes, and showed 2 kernel errors.",
	} {
		require.Contains(t, out, want)
	}

	rep := runDemoJSON(t)
	require.Equal(t, "anonymous", rep.Namespace)
	var names []string
	for _, l := range rep.Links {
		names = append(names, l["ifname"].(string))
	}
	require.Equal(t, []string{"br0", "lo", "veth0", "veth1"}, sorted(names))
	require.Equal(t, 4, rep.Summary.Links)
	require.GreaterOrEqual(t, rep.Summary.Addresses, 4)
	require.GreaterOrEqual(t, rep.Summary.Routes, 3)
	require.Positive(t, rep.Summary.ElapsedMS)

	require.Equal(t, before, hostLinks(t), "the host's links changed")
}

// TestDemoDebug checks --debug prints every message, named, on stderr,
// while stdout keeps the report.
func TestDemoDebug(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	out, errOut, code := nlkit(t, "--netns", ns.Name(), "--debug", "demo")
	require.Zero(t, code, errOut)
	require.Contains(t, out, "The demo made 3 links")
	for _, want := range []string{
		"send: ", "recv: ", "type=RTM_NEWLINK(16)", "flags=REQUEST|ACK|EXCL|CREATE",
		"IFLA_LINKINFO", "IFLA_INFO_KIND", `"veth"`, "IFA_LOCAL", "RTA_GATEWAY",
		`ext-ack message: "Unknown device type"`,
	} {
		require.Contains(t, errOut, want)
	}
	require.Equal(t, strings.Count(errOut, "send: "), strings.Count(out, "+ RTM_")+3+2+3+1,
		"one datagram sent per step, lookup, error, dump and the emptiness check")
}
