package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// linkNames dumps the link names c sees.
func linkNames(t *testing.T, c *core.Conn) map[int32]string {
	t.Helper()
	names := map[int32]string{}
	req := core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: make([]byte, unix.SizeofIfInfomsg)}
	for m, err := range c.Dump(context.Background(), req) {
		require.NoError(t, err)
		idx := int32(binary.NativeEndian.Uint32(m.Data[4:]))
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME {
				names[idx] = s.String()
			}
		}
	}
	return names
}

// TestDialInNetNS checks that --netns, by name and by path, puts the
// sockets of Dial in that namespace, and that --debug traces them.
func TestDialInNetNS(t *testing.T) {
	nstest.CheckLeaks(t)
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "nlkit-t0", "type", "veth", "peer", "name", "nlkit-t1")

	for _, flag := range []string{ns.Name(), ns.Path()} {
		var stderr bytes.Buffer
		env := NewEnv(&bytes.Buffer{}, &stderr)
		env.NetNS, env.Debug = flag, true
		c, err := env.Dial(unix.NETLINK_ROUTE)
		require.NoError(t, err)
		names := linkNames(t, c)
		require.NoError(t, env.Close())

		got := map[string]bool{}
		for _, n := range names {
			got[n] = true
		}
		require.Equal(t, map[string]bool{"lo": true, "nlkit-t0": true, "nlkit-t1": true}, got, "--netns %s", flag)
		trace := stderr.String()
		require.Contains(t, trace, "send:")
		require.Contains(t, trace, "recv:")
		require.Contains(t, trace, "IFLA_IFNAME")
		require.True(t, strings.Contains(trace, `"nlkit-t0"`), trace)
	}

	// Without --netns the socket is in this process's namespace, which
	// does not have the test's links.
	env := NewEnv(&bytes.Buffer{}, &bytes.Buffer{})
	c, err := env.Dial(unix.NETLINK_ROUTE)
	require.NoError(t, err)
	for _, n := range linkNames(t, c) {
		require.NotEqual(t, "nlkit-t0", n)
	}
	require.NoError(t, env.Close())
}
