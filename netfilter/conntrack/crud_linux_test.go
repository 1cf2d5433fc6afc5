package conntrack

import (
	"errors"
	"io/fs"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func ctUDPFlow(src, dst string, sport, dport uint16) Flow {
	return Flow{
		Orig:    Tuple{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: ProtoUDP, SrcPort: sport, DstPort: dport},
		Timeout: 100 * time.Second,
	}
}

// Flows created, updated and deleted through the Conn are what
// `conntrack -L` sees; errors say what the kernel said.
func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	ctx := ctCtx(t)

	f := ctUDPFlow("192.0.2.1", "192.0.2.2", 1000, 53)
	f.Mark = 5
	require.NoError(t, c.Create(ctx, &f))
	lines := ctToolLines(t, ns)
	require.Len(t, lines, 1)
	require.Equal(t, "udp 17 src=192.0.2.1 dst=192.0.2.2 sport=1000 dport=53 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=53 dport=1000 mark=5 use=1", ctNoTimeout(lines[0]))

	got := Flow{Orig: f.Orig}
	require.NoError(t, c.Get(ctx, &got))
	require.Equal(t, ctNoTimeout(ctNoUse(lines[0])), ctNoTimeout(ctNoUse(got.String())), "a get holds one more reference")
	require.Equal(t, uint32(5), got.Mark)
	require.InDelta(t, 100, got.Timeout.Seconds(), 2)

	// Create again: EEXIST.
	err = c.Create(ctx, &f)
	require.ErrorIs(t, err, fs.ErrExist)
	require.ErrorIs(t, err, unix.EEXIST)
	require.Contains(t, err.Error(), "conntrack create udp src=192.0.2.1")

	// Update the mark and the timeout.
	f.Mark, f.Timeout = 77, 500*time.Second
	require.NoError(t, c.Update(ctx, &f, FieldMark|FieldTimeout))
	lines = ctToolLines(t, ns, "-o", "id")
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], " mark=77 ")
	fields := strings.Fields(lines[0])
	require.Contains(t, []string{"499", "500"}, fields[2])
	require.NoError(t, c.Get(ctx, &got))
	require.Contains(t, lines[0], " id="+itoa(got.ID))
	require.Equal(t, uint32(77), got.Mark)

	// Labels: set bits 1 and 64.
	f.Labels = Labels{}
	f.Labels[0], f.Labels[8] = 2, 1
	err = c.Update(ctx, &f, FieldLabels)
	if err == nil {
		require.NoError(t, c.Get(ctx, &got))
		require.Equal(t, f.Labels, got.Labels)
	} else {
		// The flow has no room for labels unless a connlabel rule
		// exists in the namespace when it is made.
		require.ErrorIs(t, err, unix.ENOSPC)
	}

	// Update a flow that is not there: ENOENT.
	missing := ctUDPFlow("192.0.2.9", "192.0.2.2", 1, 2)
	err = c.Update(ctx, &missing, FieldMark)
	require.ErrorIs(t, err, fs.ErrNotExist)

	// Delete, then delete again.
	require.NoError(t, c.Delete(ctx, &f))
	require.Empty(t, ctToolLines(t, ns))
	err = c.Delete(ctx, &f)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, err, unix.ENOENT)
	err = c.Get(ctx, &got)
	require.ErrorIs(t, err, fs.ErrNotExist)

	// A bad tuple: ICMP type 3 has no reverse, the kernel refuses it.
	bad := Flow{Orig: Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoICMP, ICMPType: 3}, Timeout: time.Minute}
	err = c.Create(ctx, &bad)
	require.ErrorIs(t, err, unix.EINVAL)
	var kerr *core.Error
	require.True(t, errors.As(err, &kerr))

	// Bad input: nothing is sent.
	err = c.Create(ctx, &Flow{Orig: Tuple{Proto: ProtoUDP}})
	require.ErrorContains(t, err, "needs a source and a destination")
	err = c.Create(ctx, &Flow{Orig: Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("2001:db8::1"), Proto: 17}})
	require.ErrorContains(t, err, "mixes IPv4 and IPv6")
	require.Empty(t, ctToolLines(t, ns))

	// A flow made by conntrack(8) reads back the same.
	nstest.Cmd(t, ns, "conntrack", "-I", "-s", "192.0.2.1", "-d", "192.0.2.2", "-p", "tcp", "--sport", "1000", "--dport", "80",
		"-t", "100", "--state", "ESTABLISHED", "-u", "ASSURED,SEEN_REPLY", "-m", "9")
	nstest.Cmd(t, ns, "conntrack", "-I", "-s", "2001:db8::1", "-d", "2001:db8::2", "-p", "icmpv6", "-t", "100",
		"--icmpv6-type", "128", "--icmpv6-code", "0", "--icmpv6-id", "7")
	flows, err := c.Flows(ctx, nil)
	require.NoError(t, err)
	var tool []string
	for _, l := range ctToolLines(t, ns) {
		tool = append(tool, ctNoTimeout(l))
	}
	require.Len(t, flows, 2)
	for i := range flows {
		require.Contains(t, tool, ctNoTimeout(flows[i].String()))
	}
}

// Creating an SCTP, an ICMP and a TCP flow with state, and reading
// their protocol info back.
func TestCreateProtocols(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	ctx := ctCtx(t)

	tcp := Flow{
		Orig:    Tuple{Src: netip.MustParseAddr("198.51.100.1"), Dst: netip.MustParseAddr("198.51.100.2"), Proto: ProtoTCP, SrcPort: 3333, DstPort: 443},
		Timeout: time.Hour, Status: StatusSeenReply | StatusAssured, Mark: 1,
		TCP:    TCPInfo{State: 3, WScaleOrig: 7, WScaleReply: 7, FlagsOrig: 1, MaskOrig: 1, FlagsReply: 1, MaskReply: 1},
		Fields: FieldProtoInfo,
	}
	sctp := Flow{
		Orig:    Tuple{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: ProtoSCTP, SrcPort: 1, DstPort: 2},
		Timeout: time.Hour, SCTP: SCTPInfo{State: 4, VTagOrig: 10, VTagReply: 11}, Fields: FieldProtoInfo,
	}
	icmp := Flow{
		Orig:    Tuple{Src: netip.MustParseAddr("203.0.113.1"), Dst: netip.MustParseAddr("203.0.113.2"), Proto: ProtoICMP, ICMPType: 8, ICMPID: 99},
		Timeout: time.Minute,
	}
	for _, f := range []*Flow{&tcp, &sctp, &icmp} {
		require.NoError(t, c.Create(ctx, f), f.String())
	}
	for _, f := range []*Flow{&tcp, &sctp, &icmp} {
		got := Flow{Orig: f.Orig}
		require.NoError(t, c.Get(ctx, &got))
		require.Equal(t, f.Orig, got.Orig)
		require.Equal(t, f.Orig.Reverse(), got.Reply)
		switch f.Orig.Proto {
		case ProtoTCP:
			require.Equal(t, TCPState(3), got.TCP.State)
			require.Equal(t, uint8(7), got.TCP.WScaleOrig)
			require.NotZero(t, got.Status&StatusAssured)
		case ProtoSCTP:
			require.Equal(t, SCTPState(4), got.SCTP.State)
			require.Equal(t, uint32(10), got.SCTP.VTagOrig)
		}
		require.Equal(t, ctNoTimeout(ctNoUse(ctToolLines(t, ns, "-s", f.Orig.Src.String())[0])), ctNoTimeout(ctNoUse(got.String())))
	}
}

func itoa(v uint32) string { return strconvU(uint64(v)) }
