package conntrack

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ctFTPControl opens an FTP control connection from a to b's port 21,
// where b's raw table attaches the ftp helper, and sends a PORT command
// for 192.0.2.1:port. It returns the control flow's original tuple as b
// sees it.
func ctFTPControl(t *testing.T, p *ctPair, port uint16) Tuple {
	t.Helper()
	nstest.Cmd(t, p.b, "iptables-legacy", "-t", "raw", "-A", "PREROUTING", "-p", "tcp", "--dport", "21", "-j", "CT", "--helper", "ftp")
	var ln net.Listener
	require.NoError(t, p.b.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(p.b4, 21).String())
		return err
	}))
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
		c.Write([]byte("220 nlkit test\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "USER "):
				c.Write([]byte("230 Logged in\r\n"))
			case strings.HasPrefix(line, "PORT "):
				c.Write([]byte("200 PORT command successful\r\n"))
			}
		}
	}()
	var c net.Conn
	require.NoError(t, p.a.Do(func() (err error) {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err = d.Dial("tcp", netip.AddrPortFrom(p.b4, 21).String())
		return err
	}))
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "220 "), line)
	// The helper reads a command only after a line it has seen end, so
	// the PORT cannot be the first line (real clients log in first).
	fmt.Fprintf(c, "USER anonymous\r\n")
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "230 "), line)
	fmt.Fprintf(c, "PORT 192,0,2,1,%d,%d\r\n", port>>8, port&0xff)
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "200 "), line)
	local := netip.MustParseAddrPort(c.LocalAddr().String())
	return Tuple{Src: p.a4, Dst: p.b4, Proto: ProtoTCP, SrcPort: local.Port(), DstPort: 21}
}

// The ftp helper, on real traffic, makes an expectation: it is in the
// dump as `conntrack -L expect` shows it, and comes as an event; the Conn
// gets, deletes, creates and flushes expectations.
func TestExpectFTP(t *testing.T) {
	t.Parallel()
	p := ctTestPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Dial(&core.Config{NetNS: p.b})
	require.NoError(t, err)
	defer b.Close()
	l, err := Listen(&core.Config{NetNS: p.b}, GroupExpNew, GroupExpDestroy)
	require.NoError(t, err)
	defer l.Close()
	events := make(chan string, 16)
	go func() {
		for ev, err := range l.Events(ctx) {
			if err != nil {
				return
			}
			events <- ev.String()
		}
	}()
	time.Sleep(50 * time.Millisecond)

	master := ctFTPControl(t, p, 41000)

	// The control flow carries the helper.
	mf := Flow{Orig: master}
	require.NoError(t, b.Get(ctx, &mf))
	require.Equal(t, "ftp", mf.Helper)
	require.Contains(t, mf.String(), " helper=ftp ")
	tl := ctToolLines(t, p.b, "-p", "tcp", "--dport", "21")
	require.Len(t, tl, 1)
	require.Equal(t, ctNoTimeout(ctNoUse(tl[0])), ctNoTimeout(ctNoUse(mf.String())))

	exps, err := b.Expects(ctx, 0)
	require.NoError(t, err)
	require.Len(t, exps, 1)
	x := exps[0]
	require.Equal(t, "ftp", x.Helper)
	require.Equal(t, master, x.Master)
	require.Equal(t, p.b4, x.Tuple.Src)
	require.Equal(t, p.a4, x.Tuple.Dst)
	require.Equal(t, uint16(41000), x.Tuple.DstPort)
	require.Equal(t, uint8(unix.AF_INET), x.Family)
	tool := ctExpectLines(t, p.b)
	require.Len(t, tool, 1)
	require.Equal(t, ctNoTimeout0(tool[0]), ctNoTimeout0(x.String()))

	select {
	case s := <-events:
		require.Equal(t, "[NEW] "+ctNoTimeout0(x.String()), "[NEW] "+ctNoTimeout0(strings.TrimPrefix(s, "[NEW] ")))
	case <-ctx.Done():
		t.Fatal("no expectation event")
	}

	got := Expect{Tuple: x.Tuple}
	require.NoError(t, b.GetExpect(ctx, &got))
	require.Equal(t, x.ID, got.ID)

	require.NoError(t, b.DeleteExpect(ctx, &x))
	require.Empty(t, ctExpectLines(t, p.b))
	require.ErrorIs(t, b.DeleteExpect(ctx, &x), fs.ErrNotExist)
	require.ErrorIs(t, b.GetExpect(ctx, &got), fs.ErrNotExist)
	select {
	case s := <-events:
		require.True(t, strings.HasPrefix(s, "[DESTROY] "), s)
	case <-ctx.Done():
		t.Fatal("no expectation destroy event")
	}

	// Our own expectation on the same master, through the ftp helper.
	mine := Expect{
		Master:  master,
		Tuple:   Tuple{Src: p.b4, Dst: p.a4, Proto: ProtoTCP, SrcPort: 0, DstPort: 42000},
		Mask:    Tuple{Src: netipAllOnes4, Dst: netipAllOnes4, Proto: ProtoTCP, SrcPort: 0, DstPort: 0xffff},
		Timeout: 120 * time.Second,
		Helper:  "ftp",
	}
	require.NoError(t, b.CreateExpect(ctx, &mine))
	tool = ctExpectLines(t, p.b)
	require.Len(t, tool, 1)
	require.Contains(t, tool[0], "dport=42000")
	require.Contains(t, tool[0], "helper=ftp")
	require.ErrorIs(t, b.CreateExpect(ctx, &mine), fs.ErrExist)

	// A master that does not exist.
	orphan := mine
	orphan.Master.SrcPort = 1
	orphan.Tuple.DstPort = 42001
	require.ErrorIs(t, b.CreateExpect(ctx, &orphan), fs.ErrNotExist)

	require.NoError(t, b.FlushExpects(ctx, 0, ""))
	require.Empty(t, ctExpectLines(t, p.b))
}

// ctExpectLines runs `conntrack -L expect` in ns.
func ctExpectLines(t *testing.T, ns *core.NetNS) []string {
	t.Helper()
	return ctToolLines(t, ns, "expect")
}

// ctNoTimeout0 drops an expectation line's first field, the timeout.
func ctNoTimeout0(line string) string {
	f := strings.Fields(line)
	if len(f) > 0 {
		f = f[1:]
	}
	return strings.Join(f, " ")
}
