package route

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// Test helpers of the neighbour, rule, nexthop, neighbour-table, netconf
// and NSID tests.

// roTestNS makes a namespace with lo up, a veth pair veth0/veth1 (up,
// veth0 with 192.0.2.1/24 and 2001:db8::1/64) and a bridge br0 (up) that
// veth1 is a port of, and a Conn in it.
func roTestNS(t *testing.T) (*core.NetNS, *Conn) {
	t.Helper()
	ns := nstest.New(t)
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
		{"link", "add", "br0", "type", "bridge"},
		{"link", "set", "veth1", "master", "br0"},
		{"link", "set", "veth0", "up"},
		{"link", "set", "veth1", "up"},
		{"link", "set", "br0", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "veth0"},
		{"addr", "add", "2001:db8::1/64", "dev", "veth0", "nodad"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return ns, c
}

// roTestCtx is a context that ends with the test, bounded to 20 s.
func roTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// roTestIfindex returns the ifindex of link name in ns.
func roTestIfindex(t *testing.T, ns *core.NetNS, name string) int32 {
	t.Helper()
	var links []struct {
		Ifindex int32 `json:"ifindex"`
	}
	roTestJSON(t, ns, &links, "ip", "-j", "link", "show", "dev", name)
	require.Len(t, links, 1)
	return links[0].Ifindex
}

// roTestJSON runs a command printing JSON in ns and decodes its output
// into v.
func roTestJSON(t *testing.T, ns *core.NetNS, v any, name string, args ...string) {
	t.Helper()
	out := nstest.Cmd(t, ns, name, args...)
	out = strings.TrimSpace(out)
	if out == "" {
		out = "[]"
	}
	require.NoError(t, json.Unmarshal([]byte(out), v), "%s %v: %s", name, args, out)
}

// roItoa formats an ifindex.
func roItoa(i int32) string { return strconv.Itoa(int(i)) }
