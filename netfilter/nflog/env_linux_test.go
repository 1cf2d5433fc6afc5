package nflog_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// twoNS is two namespaces joined by a veth pair: a (192.0.2.1, dev va)
// sends, b (192.0.2.2, dev vb) receives.
type twoNS struct {
	a, b *core.NetNS
}

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

func newTwoNS(t *testing.T) *twoNS {
	t.Helper()
	a, b := nstest.New(t), nstest.New(t)
	nstest.Cmd(t, a, "ip", "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name())
	nstest.Cmd(t, a, "ip", "addr", "add", addrA.String()+"/24", "dev", "va")
	nstest.Cmd(t, a, "ip", "link", "set", "va", "up")
	nstest.Cmd(t, b, "ip", "addr", "add", addrB.String()+"/24", "dev", "vb")
	nstest.Cmd(t, b, "ip", "link", "set", "vb", "up")
	return &twoNS{a: a, b: b}
}

// listen opens a UDP socket on addrB:port in b.
func (e *twoNS) listen(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	require.NoError(t, e.b.Do(func() error {
		var err error
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: addrB.AsSlice(), Port: port})
		return err
	}))
	t.Cleanup(func() { c.Close() })
	return c
}

// sender opens a UDP socket in a aimed at addrB:port.
func (e *twoNS) sender(t *testing.T, port int) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	require.NoError(t, e.a.Do(func() error {
		var err error
		c, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: addrB.AsSlice(), Port: port})
		return err
	}))
	t.Cleanup(func() { c.Close() })
	return c
}
