package main

import (
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

func TestCLIRule(t *testing.T) {
	t.Parallel()
	ns := objTestNS(t)
	objRun(t, ns, "rule", "add", "from", "192.0.2.0/24", "table", "100", "priority", "1000")
	objRun(t, ns, "rule", "add", "not", "fwmark", "0x10/0xff", "iif", "veth0", "ipproto", "tcp", "dport", "80", "lookup", "100", "prio", "5")
	objRun(t, ns, "rule", "add", "prio", "6", "goto", "1000")
	objRun(t, ns, "rule", "add", "prio", "7", "table", "main", "suppress_prefixlength", "0")
	objRun(t, ns, "rule", "add", "prio", "8", "blackhole")
	objRun(t, ns, "rule", "add", "-6", "prio", "9", "table", "300")

	ip := objDecode(t, nstest.Cmd(t, ns, "ip", "-4", "-j", "rule", "show"))
	js := objDecode(t, objRun(t, ns, "-j", "rule", "list", "-4"))
	require.Len(t, js, len(ip))
	for i := range ip {
		delete(js[i], "family")
		if js[i]["protocol"] == "kernel" {
			delete(js[i], "protocol")
		}
		require.Equal(t, ip[i], js[i], "%d", i)
	}
	out := objRun(t, ns, "rule", "list", "-4")
	require.Equal(t, strings.Join([]string{
		"0: from all lookup local proto kernel",
		"5: not from all fwmark 0x10/0xff iif veth0 ipproto tcp dport 80 lookup 100",
		"6: from all goto 1000",
		"7: from all lookup main suppress_prefixlength 0",
		"8: from all blackhole",
		"1000: from 192.0.2.0/24 lookup 100",
		"32766: from all lookup main proto kernel",
		"32767: from all lookup default proto kernel",
	}, "\n")+"\n", out)
	require.Contains(t, objRun(t, ns, "rule", "list", "-6"), "9: from all lookup 300")

	errOut := objFail(t, ns, "rule", "add", "from", "192.0.2.0/24", "table", "100", "priority", "1000")
	require.Contains(t, errOut, "rule add priority 1000 from 192.0.2.0/24 table 100: file exists")
	objRun(t, ns, "rule", "del", "priority", "1000")
	require.NotContains(t, nstest.Cmd(t, ns, "ip", "rule"), "1000:")
	require.Contains(t, objFail(t, ns, "rule", "del", "priority", "1000"), "no such file or directory")
	require.Contains(t, objFail(t, ns, "rule", "add", "from", "192.0.2.0/33"), "invalid prefix")
}

func TestCLINexthop(t *testing.T) {
	t.Parallel()
	ns := objTestNS(t)
	nstest.Cmd(t, ns, "ip", "link", "set", "lo", "up")
	objRun(t, ns, "nexthop", "add", "id", "10", "via", "192.0.2.2", "dev", "veth0")
	objRun(t, ns, "nexthop", "add", "id", "11", "via", "192.0.2.3", "dev", "veth0")
	objRun(t, ns, "nexthop", "add", "id", "12", "blackhole")
	objRun(t, ns, "nexthop", "add", "id", "20", "group", "10,3/11")
	objRun(t, ns, "nexthop", "add", "id", "21", "group", "10/11", "type", "resilient", "buckets", "8", "idle_timer", "60")

	ip := objDecode(t, nstest.Cmd(t, ns, "ip", "-j", "nexthop", "show"))
	js := objDecode(t, objRun(t, ns, "-j", "nexthop", "list"))
	require.Len(t, js, len(ip))
	for i := range ip {
		for k, v := range ip[i] {
			require.Equal(t, v, js[i][k], "%d %s", i, k)
		}
	}
	require.Equal(t, strings.Join([]string{
		"id 10 via 192.0.2.2 dev veth0 scope link",
		"id 11 via 192.0.2.3 dev veth0 scope link",
		"id 12 blackhole",
		"id 20 group 10,3/11",
		"id 21 group 10/11 type resilient buckets 8 idle_timer 60 unbalanced_timer 0 unbalanced_time 0",
	}, "\n")+"\n", objRun(t, ns, "nexthop", "list"))
	require.Equal(t, "id 20 group 10,3/11\nid 21 group 10/11 type resilient buckets 8 idle_timer 60 unbalanced_timer 0 unbalanced_time 0\n",
		objRun(t, ns, "nexthop", "list", "groups"))
	require.Equal(t, "id 11 via 192.0.2.3 dev veth0 scope link\n", objRun(t, ns, "nexthop", "list", "id", "11"))

	objRun(t, ns, "nexthop", "replace", "id", "11", "via", "192.0.2.4", "dev", "veth0")
	require.Contains(t, nstest.Cmd(t, ns, "ip", "nexthop", "show", "id", "11"), "via 192.0.2.4")

	errOut := objFail(t, ns, "nexthop", "add", "id", "30", "group", "10/99")
	require.Contains(t, errOut, "nexthop add id 30: invalid argument: Invalid nexthop id")
	objRun(t, ns, "nexthop", "del", "id", "21")
	objRun(t, ns, "nexthop", "del", "id", "20")
	require.NotContains(t, nstest.Cmd(t, ns, "ip", "nexthop"), "id 20")
	require.Contains(t, objFail(t, ns, "nexthop", "del", "id", "20"), "nexthop del id 20: no such file or directory")
}
