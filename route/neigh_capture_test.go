package route

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// roCaptureEnv makes TestRouteObjectsCapture rewrite the kernel captures
// in testdata/ (neigh_kernel.hex, rule_kernel.hex, ...): payloads of
// RTM_NEW* messages this kernel sent, one hex line each. The decoder and
// fuzz tests read them.
const roCaptureEnv = "NLKIT_CAPTURE_ROUTE_OBJECTS"

// roReadCapture returns the payloads of testdata/name.
func roReadCapture(t testing.TB, name string) [][]byte {
	t.Helper()
	out := readHexLines(t, name)
	require.NotEmpty(t, out, name)
	return out
}

func TestRouteObjectsCapture(t *testing.T) {
	if os.Getenv(roCaptureEnv) != "1" {
		t.Skip("set " + roCaptureEnv + "=1 to capture the kernel's messages into testdata/")
	}
	ns, c := roTestNS(t)
	for _, args := range [][]string{
		{"ip", "neigh", "add", "192.0.2.9", "lladdr", "02:00:00:00:00:09", "dev", "veth0", "nud", "permanent"},
		{"ip", "neigh", "add", "2001:db8::9", "lladdr", "02:00:00:00:00:0a", "dev", "veth0", "nud", "stale", "router"},
		{"ip", "neigh", "add", "proxy", "192.0.2.50", "dev", "veth0"},
		{"bridge", "fdb", "add", "02:00:00:00:00:21", "dev", "veth1", "master", "static"},
		{"ip", "rule", "add", "not", "fwmark", "0x10/0xff", "iif", "veth0", "oif", "veth1", "ipproto", "tcp", "sport", "1000-2000", "dport", "80", "uidrange", "100-200", "table", "1000", "prio", "5"},
		{"ip", "rule", "add", "prio", "6", "goto", "1000"},
		{"ip", "rule", "add", "prio", "7", "from", "192.0.2.0/24", "to", "198.51.100.0/24", "tos", "0x10", "table", "main", "suppress_prefixlength", "0", "suppress_ifgroup", "3"},
		{"ip", "rule", "add", "prio", "1000", "tun_id", "77", "blackhole"},
		{"ip", "-6", "rule", "add", "from", "2001:db8::/64", "table", "300", "prio", "20", "proto", "static"},
		{"ip", "nexthop", "add", "id", "10", "via", "192.0.2.2", "dev", "veth0"},
		{"ip", "nexthop", "add", "id", "11", "blackhole"},
		{"ip", "nexthop", "add", "id", "12", "via", "2001:db8::2", "dev", "veth0", "onlink", "proto", "static"},
		{"ip", "nexthop", "add", "id", "13", "via", "192.0.2.3", "dev", "veth0"},
		{"ip", "nexthop", "add", "id", "20", "group", "10,3/13"},
		{"ip", "nexthop", "add", "id", "21", "group", "10/13", "type", "resilient", "buckets", "8"},
		{"ip", "nexthop", "add", "id", "40", "via", "192.0.2.7", "fdb"},
	} {
		nstest.Cmd(t, ns, args[0], args[1:]...)
	}
	peer := nstest.New(t)
	require.NoError(t, c.NSIDSet(roTestCtx(t), &NSID{ID: 5, FD: peer.FD()}))

	write := func(name string, typ uint16, reqs ...core.Message) {
		var b strings.Builder
		b.WriteString("# RTM_NEW* payloads captured from Linux by TestRouteObjectsCapture\n")
		for _, req := range reqs {
			for m, err := range c.Core().Dump(roTestCtx(t), req) {
				require.NoError(t, err)
				if uint16(m.Header.Type) == typ {
					b.WriteString(hex.EncodeToString(m.Data) + "\n")
				}
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644))
	}
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	write("neigh_kernel.hex", unix.RTM_NEWNEIGH, neighDumpRequest(nil), neighDumpRequest(&NeighFilter{Proxy: true}),
		neighDumpRequest(&NeighFilter{Family: FamilyBridge}))
	write("rule_kernel.hex", unix.RTM_NEWRULE, ruleDumpRequest(FamilyUnspec))
	write("nexthop_kernel.hex", unix.RTM_NEWNEXTHOP, nexthopDumpRequest(nil))
	write("neightbl_kernel.hex", unix.RTM_NEWNEIGHTBL, neightblDumpRequest(FamilyUnspec))
	write("netconf_kernel.hex", unix.RTM_NEWNETCONF, netconfDumpRequest(FamilyUnspec))
	write("nsid_kernel.hex", unix.RTM_NEWNSID, nsidDumpRequest())
}
