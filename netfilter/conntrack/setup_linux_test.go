package conntrack

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// ctPair is two namespaces joined by a veth pair, conntrack on in both:
// a (192.0.2.1, 2001:db8::1) and b (192.0.2.2, 2001:db8::2).
type ctPair struct {
	a, b   *core.NetNS
	a4, b4 netip.Addr
	a6, b6 netip.Addr
	conn   *Conn // ctnetlink in a
}

// ctTestPair builds the pair. Conntrack is enabled by a rule that uses it
// (a new namespace tracks nothing until one does).
func ctTestPair(t *testing.T) *ctPair {
	t.Helper()
	p := &ctPair{
		a: nstest.New(t), b: nstest.New(t),
		a4: netip.MustParseAddr("192.0.2.1"), b4: netip.MustParseAddr("192.0.2.2"),
		a6: netip.MustParseAddr("2001:db8::1"), b6: netip.MustParseAddr("2001:db8::2"),
	}
	ctRun(t, "ip", "-n", p.a.Name(), "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", p.b.Name())
	for _, s := range []struct {
		ns     *core.NetNS
		dev    string
		v4, v6 string
	}{{p.a, "va", "192.0.2.1/24", "2001:db8::1/64"}, {p.b, "vb", "192.0.2.2/24", "2001:db8::2/64"}} {
		ctRun(t, "ip", "-n", s.ns.Name(), "addr", "add", s.v4, "dev", s.dev)
		ctRun(t, "ip", "-n", s.ns.Name(), "addr", "add", s.v6, "dev", s.dev, "nodad")
		ctRun(t, "ip", "-n", s.ns.Name(), "link", "set", s.dev, "up")
		for _, ipt := range []string{"iptables-legacy", "ip6tables-legacy"} {
			for _, chain := range []string{"OUTPUT", "INPUT"} {
				nstest.Cmd(t, s.ns, ipt, "-A", chain, "-m", "conntrack", "--ctstate", "NEW")
			}
		}
	}
	c, err := Dial(&core.Config{NetNS: p.a})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	p.conn = c
	return p
}

func ctRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

// ctUDPExchange sends one datagram from a (port sport) to b's port
// dport and waits for b's reply, so the flow has seen both directions.
func ctUDPExchange(t *testing.T, p *ctPair, src, dst netip.Addr, sport, dport uint16) {
	t.Helper()
	var srv, cl net.PacketConn
	require.NoError(t, p.b.Do(func() (err error) {
		srv, err = net.ListenPacket("udp", netip.AddrPortFrom(dst, dport).String())
		return err
	}))
	defer srv.Close()
	require.NoError(t, p.a.Do(func() (err error) {
		cl, err = net.ListenPacket("udp", netip.AddrPortFrom(src, sport).String())
		return err
	}))
	defer cl.Close()
	// The first datagram can be lost while the new veth gets carrier
	// and IPv6 neighbour discovery settles: resend until one arrives.
	buf := make([]byte, 16)
	var (
		n    int
		from net.Addr
		err  error
	)
	for try := 0; try < 20; try++ {
		_, err = cl.WriteTo([]byte("ping"), net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, dport)))
		require.NoError(t, err)
		srv.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if n, from, err = srv.ReadFrom(buf); err == nil {
			break
		}
	}
	require.NoError(t, err)
	require.Equal(t, "ping", string(buf[:n]))
	_, err = srv.WriteTo([]byte("pong"), from)
	require.NoError(t, err)
	cl.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err = cl.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "pong", string(buf[:n]))
}

// ctTCPConnect opens a TCP connection from a to b's port and exchanges a
// line; the connection stays open until the test ends.
func ctTCPConnect(t *testing.T, p *ctPair, src, dst netip.Addr, dport uint16) (local netip.AddrPort) {
	t.Helper()
	var ln net.Listener
	require.NoError(t, p.b.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(dst, dport).String())
		return err
	}))
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		c.Write(buf[:n])
		t.Cleanup(func() { c.Close() })
	}()
	var c net.Conn
	require.NoError(t, p.a.Do(func() (err error) {
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)), Timeout: 5 * time.Second}
		c, err = d.Dial("tcp", netip.AddrPortFrom(dst, dport).String())
		return err
	}))
	t.Cleanup(func() { c.Close() })
	_, err := c.Write([]byte("hello"))
	require.NoError(t, err)
	buf := make([]byte, 16)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "hello", string(buf[:n]))
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

func ctCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ctToolLines runs `conntrack -L ARGS` in ns and returns its flow lines.
func ctToolLines(t *testing.T, ns *core.NetNS, args ...string) []string {
	t.Helper()
	// stdout alone: the tool's summary on stderr could land mid-line.
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Name(), "conntrack", "-L"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	out := string(b)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" || strings.HasPrefix(l, "conntrack v") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// ctNoTimeout drops the timeout (the third field), which ticks.
func ctNoTimeout(line string) string {
	f := strings.Fields(line)
	if len(f) > 2 {
		f = append(f[:2], f[3:]...)
	}
	return strings.Join(f, " ")
}

// ctNoUse drops the use count, which a get raises by one.
func ctNoUse(line string) string {
	i := strings.Index(line, " use=")
	if i < 0 {
		return line
	}
	return line[:i]
}
