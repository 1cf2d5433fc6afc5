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
	Links     []jsonMsg `json:"links"`
	Addresses []jsonMsg `json:"addresses"`
	Routes    []jsonMsg `json:"routes"`
	Made      struct {
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

	// Links: the same indexes, names, MTUs, addresses and masters.
	type link struct {
		Name, Addr, Master string
		MTU                float64
	}
	kernel := map[float64]link{}
	for _, l := range ipJSON(t, name, "link", "show") {
		master, _ := l["master"].(string)
		kernel[l["ifindex"].(float64)] = link{l["ifname"].(string), l["address"].(string), master, l["mtu"].(float64)}
	}
	reported := map[float64]link{}
	names := map[float64]string{}
	for _, m := range rep.Links {
		names[m.Header["ifindex"].(float64)] = m.str("IFLA_IFNAME")
	}
	for _, m := range rep.Links {
		l := link{Name: m.str("IFLA_IFNAME"), Addr: m.str("IFLA_ADDRESS"), MTU: m.attr("IFLA_MTU").Value.(float64)}
		if a := m.attr("IFLA_MASTER"); a != nil {
			l.Master = names[a.Value.(float64)]
		}
		reported[m.Header["ifindex"].(float64)] = l
	}
	require.Equal(t, kernel, reported)
	require.Len(t, reported, 4) // lo, br0, veth0, veth1
	require.Equal(t, "br0", reported[findIndex(t, names, "veth1")].Master)
	require.Equal(t, len(rep.Links), rep.Summary.Links)

	// The veth pair and the bridge are what the demo says they are.
	kinds := map[string]string{}
	for _, m := range rep.Links {
		kinds[m.str("IFLA_IFNAME")] = m.str("IFLA_LINKINFO", "IFLA_INFO_KIND")
		if m.str("IFLA_IFNAME") != "lo" {
			require.Contains(t, m.Header["flags"], "UP", m.str("IFLA_IFNAME"))
		}
	}
	require.Equal(t, map[string]string{"lo": "", "br0": "bridge", "veth0": "veth", "veth1": "veth"}, kinds)

	// lo and bridges cannot leave their namespace; a veth can
	// (IFLA_NETNS_IMMUTABLE).
	for _, m := range rep.Links {
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
				kernelAddrs = append(kernelAddrs, fmt.Sprintf("%s %s/%v", l["ifname"], a["local"], a["prefixlen"]))
			}
		}
	}
	for _, m := range rep.Addresses {
		if m.Header["scope"] == "global" {
			local := m.str("IFA_LOCAL")
			if local == "" {
				local = m.str("IFA_ADDRESS")
			}
			reportedAddrs = append(reportedAddrs, fmt.Sprintf("%s %s/%v", names[m.Header["ifindex"].(float64)], local, m.Header["prefixlen"]))
		}
	}
	require.Equal(t, sorted(kernelAddrs), sorted(reportedAddrs))
	require.Equal(t, []string{"br0 2001:db8:1::1/64", "br0 203.0.113.1/24", "veth0 192.0.2.1/24", "veth0 2001:db8::1/64"}, sorted(reportedAddrs))

	// Routes: the static ones, in every table.
	var kernelRoutes, reportedRoutes []string
	for _, r := range ipJSON(t, name, "route", "show", "table", "all", "proto", "static") {
		table, _ := r["table"].(string)
		if table == "" {
			table = "main"
		}
		kernelRoutes = append(kernelRoutes, fmt.Sprintf("%s via %s dev %s table %s", r["dst"], r["gateway"], r["dev"], table))
	}
	for _, m := range rep.Routes {
		if m.Header["protocol"] != "static" {
			continue
		}
		dst := "default"
		if d := m.str("RTA_DST"); d != "" {
			dst = fmt.Sprintf("%s/%v", d, m.Header["dst_len"])
		}
		table := m.Header["table"].(string)
		if t := m.str("RTA_TABLE"); t == "100" {
			table = t
		}
		reportedRoutes = append(reportedRoutes, fmt.Sprintf("%s via %s dev %s table %s", dst, m.str("RTA_GATEWAY"),
			names[m.attr("RTA_OIF").Value.(float64)], table))
	}
	require.Equal(t, sorted(kernelRoutes), sorted(reportedRoutes))
	require.Len(t, reportedRoutes, 3)
	n := 0
	for _, c := range rep.Summary.RoutesByTable {
		n += c
	}
	require.Equal(t, len(rep.Routes), n)
	require.Equal(t, len(rep.Routes), rep.Summary.Routes)

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
	checkDecoded(t, rep.Links)
	checkDecoded(t, rep.Addresses)
	checkDecoded(t, rep.Routes)
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
		"198.51.100.0/24 via 192.0.2.2 dev veth0 table main proto static",
		"default via 203.0.113.254 dev br0 table 100 proto static",
		"The kernel reports 4 links, ",
		"The demo made 3 links, 4 addresses and 3 routes, and showed 2 kernel errors.",
	} {
		require.Contains(t, out, want)
	}

	rep := runDemoJSON(t)
	require.Equal(t, "anonymous", rep.Namespace)
	var names []string
	for _, m := range rep.Links {
		names = append(names, m.str("IFLA_IFNAME"))
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
