package ethtool

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/genl"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// captureEnv, set to 1, makes TestCaptureTestdata rewrite testdata/ from
// this kernel's answers.
const captureEnv = "NLKIT_CAPTURE"

// TestCaptureTestdata records the kernel's replies the decoder tests and
// fuzz seeds use (testdata/*.hex: genlmsghdr and attributes, as
// Unmarshal takes them). It runs only with NLKIT_CAPTURE=1.
func TestCaptureTestdata(t *testing.T) {
	if os.Getenv(captureEnv) != "1" {
		t.Skip("set " + captureEnv + "=1 to capture testdata from the kernel")
	}
	ns, c := vethClient(t)
	ctx := context.Background()
	save := func(name string, m genl.Message) {
		b := append([]byte{m.Genl.Command, m.Genl.Version, 0, 0}, m.Data...)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".hex"), []byte(hex.EncodeToString(b)+"\n"), 0o644))
	}
	get := func(name string, cmd uint8, flags uint32) {
		var e core.AttrEncoder
		require.NoError(t, appendHeader(&e, 1, Device{Name: "veth0"}, flags))
		ms, err := c.Conn().Execute(ctx, FamilyName, cmd, 0, e.Bytes())
		require.NoError(t, err, name)
		save(name, ms[0])
	}
	get("linkinfo", unix.ETHTOOL_MSG_LINKINFO_GET, 0)
	get("linkmodes", unix.ETHTOOL_MSG_LINKMODES_GET, FlagCompactBitsets)
	get("linkmodes_verbose", unix.ETHTOOL_MSG_LINKMODES_GET, 0)
	get("linkstate", unix.ETHTOOL_MSG_LINKSTATE_GET, 0)
	get("features", unix.ETHTOOL_MSG_FEATURES_GET, FlagCompactBitsets)
	get("features_verbose", unix.ETHTOOL_MSG_FEATURES_GET, 0)
	get("channels", unix.ETHTOOL_MSG_CHANNELS_GET, 0)

	var e core.AttrEncoder
	require.NoError(t, strsetRequest(&e, Device{}, []uint32{StringSetFeatures}))
	ms, err := c.Conn().Execute(ctx, FamilyName, unix.ETHTOOL_MSG_STRSET_GET, 0, e.Bytes())
	require.NoError(t, err)
	save("strset_features", ms[0])

	events := make(chan genl.Message, 8)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go func() {
		defer close(events)
		for m, err := range c.Conn().Subscribe(sctx, FamilyName, MonitorGroup) {
			if err != nil {
				return
			}
			m.Data = append([]byte(nil), m.Data...)
			events <- m
		}
	}()
	time.Sleep(200 * time.Millisecond) // let the subscription join the group
	e.Reset()
	req := NewBitset(0, true)
	names, err := c.globalStrings(ctx, StringSetFeatures)
	require.NoError(t, err)
	req.Size = uint32(len(names))
	req.Value, req.Mask = make([]uint32, words(req.Size)), make([]uint32, words(req.Size))
	idx, _ := (&Bitset{Names: names}).Index("rx-gro")
	req.Set(idx, true)
	require.NoError(t, featuresEncodeSet(&e, Device{Name: "veth0"}, FlagCompactBitsets, req))
	ms, err = c.Conn().Execute(ctx, FamilyName, unix.ETHTOOL_MSG_FEATURES_SET, 0, e.Bytes())
	require.NoError(t, err)
	save("features_set_reply", ms[0])
	nstest.Cmd(t, ns, "ethtool", "-L", "veth0", "rx", "2")
	for m := range events {
		switch m.Genl.Command {
		case NotifyFeatures:
			save("features_ntf", m)
		case NotifyChannels:
			save("channels_ntf", m)
			cancel()
		}
	}
}
