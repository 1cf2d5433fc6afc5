// Package nftest holds the test setup nflog and nfqueue share: two
// namespaces joined by a veth pair, UDP sockets in them, and running a
// test again as an unprivileged user.
package nftest

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// TwoNS is two namespaces joined by a veth pair: A (AddrA, dev va)
// sends, B (AddrB, dev vb) receives.
type TwoNS struct {
	A, B *core.NetNS
}

// The addresses of the two ends.
var (
	AddrA = netip.MustParseAddr("192.0.2.1")
	AddrB = netip.MustParseAddr("192.0.2.2")
)

// NewTwoNS makes the namespaces (skipping the test when not root).
func NewTwoNS(t *testing.T) *TwoNS {
	t.Helper()
	a, b := nstest.New(t), nstest.New(t)
	nstest.Cmd(t, a, "ip", "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name())
	nstest.Cmd(t, a, "ip", "addr", "add", AddrA.String()+"/24", "dev", "va")
	nstest.Cmd(t, a, "ip", "link", "set", "va", "up")
	nstest.Cmd(t, b, "ip", "addr", "add", AddrB.String()+"/24", "dev", "vb")
	nstest.Cmd(t, b, "ip", "link", "set", "vb", "up")
	return &TwoNS{A: a, B: b}
}

// Listen opens a UDP socket on AddrB:port in B.
func (e *TwoNS) Listen(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	return udp(t, e.B, func() (*net.UDPConn, error) {
		return net.ListenUDP("udp4", &net.UDPAddr{IP: AddrB.AsSlice(), Port: port})
	})
}

// Sender opens a UDP socket in A aimed at AddrB:port.
func (e *TwoNS) Sender(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	return udp(t, e.A, func() (*net.UDPConn, error) {
		return net.DialUDP("udp4", nil, &net.UDPAddr{IP: AddrB.AsSlice(), Port: port})
	})
}

func udp(t *testing.T, ns *core.NetNS, open func() (*net.UDPConn, error)) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	require.NoError(t, ns.Do(func() error {
		var err error
		c, err = open()
		return err
	}))
	t.Cleanup(func() { c.Close() })
	return c
}

// RecvAll reads datagrams until none arrives for wait.
func RecvAll(c *net.UDPConn, wait time.Duration) []string {
	var out []string
	buf := make([]byte, 2048)
	for {
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		if err != nil {
			return out
		}
		out = append(out, string(buf[:n]))
	}
}

// RunAsNobody runs the calling test again, alone, in a copy of the test
// binary as user nobody with env ("NAME=1") set, and returns its output;
// the test tells it is the child by env. It skips when not root.
func RunAsNobody(t *testing.T, env string) string {
	t.Helper()
	nstest.Require(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	bin := filepath.Join(dir, filepath.Base(exe))
	data, err := os.ReadFile(exe)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	cmd := exec.Command(bin, "-test.run", "^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}
