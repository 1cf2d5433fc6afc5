package conntrack

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Flows made by real traffic are listed as `conntrack -L` lists them.
func TestFlowsFromTraffic(t *testing.T) {
	t.Parallel()
	p := ctTestPair(t)
	ctx := ctCtx(t)
	ctUDPExchange(t, p, p.a4, p.b4, 40001, 5001)
	ctUDPExchange(t, p, p.a6, p.b6, 40002, 5002)
	local := ctTCPConnect(t, p, p.a4, p.b4, 8080)

	flows, err := p.conn.Flows(ctx, nil)
	require.NoError(t, err)
	var ours []string
	for i := range flows {
		ours = append(ours, ctNoTimeout(flows[i].String()))
	}
	var tool []string
	for _, l := range ctToolLines(t, p.a) {
		tool = append(tool, ctNoTimeout(l))
	}
	sort.Strings(ours)
	sort.Strings(tool)
	require.Equal(t, tool, ours)

	// The TCP flow in detail.
	var tcp *Flow
	for i := range flows {
		if flows[i].Orig.Proto == ProtoTCP {
			tcp = &flows[i]
		}
	}
	require.NotNil(t, tcp)
	require.Equal(t, uint8(unix.AF_INET), tcp.Family)
	require.Equal(t, local.Port(), tcp.Orig.SrcPort)
	require.Equal(t, uint16(8080), tcp.Orig.DstPort)
	require.Equal(t, p.b4, tcp.Reply.Src)
	require.Equal(t, TCPState(3), tcp.TCP.State, "ESTABLISHED")
	require.NotZero(t, tcp.Status&StatusSeenReply)
	require.NotZero(t, tcp.ID)
	require.Equal(t, 3, len(flows))
}
