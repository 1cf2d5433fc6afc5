package netdev

import (
	"context"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fakeNetdev registers a "netdev" family on a genltest kernel that
// answers page pool, page pool statistics and qstats dumps as a driver
// with them would (veth has none), and records the requests.
func fakeNetdev(t *testing.T) (*genltest.Kernel, *Client) {
	t.Helper()
	k := genltest.New(t)
	k.Register(genltest.Family{
		Family: genl.Family{Name: FamilyName, Version: FamilyVersion,
			Ops: []genl.Op{
				{ID: CmdPagePoolGet, Flags: genl.OpCanDo | genl.OpCanDump},
				{ID: CmdPagePoolStatsGet, Flags: genl.OpCanDo | genl.OpCanDump},
				{ID: CmdQstatsGet, Flags: genl.OpCanDump},
			},
			Groups: []genl.Group{{Name: GroupMgmt}, {Name: GroupPagePool}}},
		Handler: func(r *genltest.Request) []nltest.Reply {
			other := pagePoolReply()[4:]
			var e core.AttrEncoder
			e.Uint(attrPagePoolID, 9)
			e.Uint32(attrPagePoolIfindex, 5)
			switch r.Genl.Command {
			case CmdPagePoolGet:
				return r.Dump(CmdPagePoolGet, other, e.Bytes())
			case CmdPagePoolStatsGet:
				return r.Dump(CmdPagePoolStatsGet, pagePoolStatsReply()[4:])
			case CmdQstatsGet:
				return r.Dump(CmdQstatsGet, qstatsReply()[4:], qstatsReply()[4:])
			}
			return r.Error(unix.EOPNOTSUPP)
		},
	})
	return k, New(k.Conn())
}

func TestClientPagePoolsFilter(t *testing.T) {
	_, c := fakeNetdev(t)
	ctx := context.Background()
	all, err := c.PagePools(ctx, 0)
	require.NoError(t, err)
	require.Len(t, all, 2)
	mine, err := c.PagePools(ctx, 5)
	require.NoError(t, err)
	require.Equal(t, []PagePool{{ID: 9, Ifindex: 5}}, mine)
	stats, err := c.PagePoolStats(ctx, 2)
	require.NoError(t, err)
	require.Len(t, stats, 1)
	require.EqualValues(t, 1000, stats[0].AllocFast)
}

func TestClientQstatsRequest(t *testing.T) {
	k, c := fakeNetdev(t)
	qs, err := c.Qstats(context.Background(), 2, true)
	require.NoError(t, err)
	require.Len(t, qs, 2)
	var want core.AttrEncoder
	want.Uint32(attrQstatsIfindex, 2)
	want.Uint32(attrQstatsScope, QstatsScopeQueue)
	k.LastRequest().Check(nltest.Want{
		Header: []byte{CmdQstatsGet, FamilyVersion, 0, 0},
		Attrs:  want.Bytes(),
	})
	require.NotZero(t, k.LastRequest().Header.Flags&core.FlagDump, "a dump")
}
