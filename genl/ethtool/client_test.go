package ethtool

import (
	"context"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fakeEthtool registers an "ethtool" family on a genltest kernel that
// answers from the captured veth replies and ringsReply, and records the
// SET requests it gets.
func fakeEthtool(t *testing.T) (*genltest.Kernel, *Client, *[]*genltest.Request) {
	t.Helper()
	k := genltest.New(t)
	var sets []*genltest.Request
	reply := func(r *genltest.Request, name string) []nltest.Reply {
		b := testdata(t, name)
		return r.Reply(b[0], b[4:])
	}
	k.Register(genltest.Family{
		Family: genl.Family{Name: FamilyName, Version: FamilyVersion, MaxAttr: 0,
			Ops: []genl.Op{
				{ID: unix.ETHTOOL_MSG_STRSET_GET, Flags: genl.OpCanDo},
				{ID: unix.ETHTOOL_MSG_FEATURES_GET, Flags: genl.OpCanDo},
				{ID: unix.ETHTOOL_MSG_FEATURES_SET, Flags: genl.OpCanDo},
				{ID: unix.ETHTOOL_MSG_RINGS_GET, Flags: genl.OpCanDo},
				{ID: unix.ETHTOOL_MSG_RINGS_SET, Flags: genl.OpCanDo},
				{ID: unix.ETHTOOL_MSG_CHANNELS_SET, Flags: genl.OpCanDo},
			},
			Groups: []genl.Group{{Name: MonitorGroup}}},
		Handler: func(r *genltest.Request) []nltest.Reply {
			switch r.Genl.Command {
			case unix.ETHTOOL_MSG_STRSET_GET:
				return reply(r, "strset_features")
			case unix.ETHTOOL_MSG_FEATURES_GET:
				return reply(r, "features")
			case unix.ETHTOOL_MSG_RINGS_GET:
				b := ringsReply()
				return r.Reply(b[0], b[4:])
			case unix.ETHTOOL_MSG_FEATURES_SET:
				sets = append(sets, r)
				return reply(r, "features_set_reply")
			case unix.ETHTOOL_MSG_RINGS_SET, unix.ETHTOOL_MSG_CHANNELS_SET:
				sets = append(sets, r)
				return r.Ack()
			}
			return r.Error(unix.EOPNOTSUPP)
		},
	})
	return k, New(k.Conn()), &sets
}

// wantAttrs encodes the attributes a request should carry.
func wantAttrs(f func(e *core.AttrEncoder)) []byte {
	var e core.AttrEncoder
	f(&e)
	return e.Bytes()
}

func TestClientRingsRequests(t *testing.T) {
	_, c, sets := fakeEthtool(t)
	ctx := context.Background()
	r, err := c.Rings(ctx, "eth0")
	require.NoError(t, err)
	require.Equal(t, Rings{Dev: Device{Index: 2, Name: "eth0"}, RXMax: 4096, TXMax: 4096, RX: 512, TX: 1024,
		RXBufLen: 2048, TCPDataSplit: 1, HDSThreshMax: 1024}, *r)
	require.Equal(t, "eth0 rx 512/4096 rx-mini n/a rx-jumbo n/a tx 1024/4096 rx-buf-len 2048", r.String())

	r.RX = 1024
	require.NoError(t, c.SetRings(ctx, "eth0", r))
	require.Len(t, *sets, 1)
	(*sets)[0].Check(nltest.Want{
		Flags:  core.FlagRequest | core.FlagAck,
		Header: []byte{unix.ETHTOOL_MSG_RINGS_SET, FamilyVersion, 0, 0},
		Attrs: wantAttrs(func(e *core.AttrEncoder) {
			appendHeader(e, unix.ETHTOOL_A_RINGS_HEADER, Device{Name: "eth0"}, 0)
			e.Uint32(unix.ETHTOOL_A_RINGS_RX, 1024)
			e.Uint32(unix.ETHTOOL_A_RINGS_RX_MINI, 0)
			e.Uint32(unix.ETHTOOL_A_RINGS_RX_JUMBO, 0)
			e.Uint32(unix.ETHTOOL_A_RINGS_TX, 1024)
			e.Uint32(unix.ETHTOOL_A_RINGS_RX_BUF_LEN, 2048)
			e.Uint8(unix.ETHTOOL_A_RINGS_TCP_DATA_SPLIT, 1)
		}),
	})
}

func TestClientChannelsRequest(t *testing.T) {
	_, c, sets := fakeEthtool(t)
	require.NoError(t, c.SetChannels(context.Background(), "veth0", &Channels{RXMax: 4, TXMax: 4, RX: 2, TX: 4}))
	(*sets)[0].Check(nltest.Want{
		Header: []byte{unix.ETHTOOL_MSG_CHANNELS_SET, FamilyVersion, 0, 0},
		Attrs: wantAttrs(func(e *core.AttrEncoder) {
			appendHeader(e, unix.ETHTOOL_A_CHANNELS_HEADER, Device{Name: "veth0"}, 0)
			e.Uint32(unix.ETHTOOL_A_CHANNELS_RX_COUNT, 2)
			e.Uint32(unix.ETHTOOL_A_CHANNELS_TX_COUNT, 4)
		}),
	})
}

// TestClientSetFeaturesRequest checks the FEATURES_SET a SetFeatures
// sends: a compact WANTED set whose mask holds just the bits asked for.
func TestClientSetFeaturesRequest(t *testing.T) {
	_, c, sets := fakeEthtool(t)
	ch, err := c.SetFeatures(context.Background(), "veth0", map[string]bool{"gro": true})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"rx-gro": true}, ch.Changed())
	require.Len(t, *sets, 1)
	names := featureNames(t)
	want := NewBitset(uint32(len(names)), true)
	gro, _ := (&Bitset{Names: names}).Index("rx-gro")
	want.Set(gro, true)
	(*sets)[0].Check(nltest.Want{
		Header: []byte{unix.ETHTOOL_MSG_FEATURES_SET, FamilyVersion, 0, 0},
		Attrs: wantAttrs(func(e *core.AttrEncoder) {
			featuresEncodeSet(e, Device{Name: "veth0"}, FlagCompactBitsets, want)
		}),
	})

	// A refused request sends nothing.
	_, err = c.SetFeatures(context.Background(), "veth0", map[string]bool{"loopback": true})
	require.ErrorContains(t, err, `feature "loopback" is fixed off`)
	require.Len(t, *sets, 1)
}

func TestClientMonitor(t *testing.T) {
	k, c, _ := fakeEthtool(t)
	fam, ok := k.Lookup(FamilyName)
	require.True(t, ok)
	g, ok := fam.Group(MonitorGroup)
	require.True(t, ok)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ntf := testdata(t, "features_ntf")
	go func() {
		// Send until a socket has joined the group: the monitor's.
		msg := core.Message{Header: core.Header{Type: core.MessageType(fam.ID)}, Data: ntf}
		for k.Event(g.ID, msg) == 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}()
	for ev, err := range c.Monitor(ctx) {
		require.NoError(t, err)
		require.Equal(t, "features", ev.Kind)
		gro, ok := ev.Features.Get("rx-gro")
		require.True(t, ok, "named from the string set")
		require.True(t, gro.Active)
		break
	}
}
