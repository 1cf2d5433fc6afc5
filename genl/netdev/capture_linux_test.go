package netdev

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
)

// captureEnv, set to 1, makes TestCaptureTestdata rewrite testdata/ from
// this kernel's answers.
const captureEnv = "NLKIT_CAPTURE"

// TestCaptureTestdata records the kernel's replies the decoder tests and
// fuzz seeds use (testdata/*.hex: genlmsghdr and attributes, as Unmarshal
// takes them). It runs only with NLKIT_CAPTURE=1.
func TestCaptureTestdata(t *testing.T) {
	if os.Getenv(captureEnv) != "1" {
		t.Skip("set " + captureEnv + "=1 to capture testdata from the kernel")
	}
	ns, c, veth0 := vethClient(t)
	ctx := context.Background()
	save := func(name string, m genl.Message) {
		b := append([]byte{m.Genl.Command, m.Genl.Version, 0, 0}, m.Data...)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".hex"), []byte(hex.EncodeToString(b)+"\n"), 0o644))
	}
	get := func(name string, cmd uint8, attrs func(e *core.AttrEncoder)) {
		var e core.AttrEncoder
		attrs(&e)
		ms, err := c.Conn().Execute(ctx, FamilyName, cmd, 0, e.Bytes())
		require.NoError(t, err, name)
		save(name, ms[0])
	}
	get("dev", CmdDevGet, func(e *core.AttrEncoder) { e.Uint32(attrDevIfindex, veth0) })
	get("queue", CmdQueueGet, func(e *core.AttrEncoder) { queueRequest(e, veth0, QueueRX, 1) })
	nstest.Cmd(t, ns, "ethtool", "-K", "veth0", "gro", "on")
	napis, err := c.NAPIs(ctx, veth0)
	require.NoError(t, err)
	n := napis[0]
	n.GROFlushTimeout = time.Millisecond
	require.NoError(t, c.SetNAPI(ctx, &n))
	get("napi", CmdNAPIGet, func(e *core.AttrEncoder) { e.Uint32(attrNAPIID, n.ID) })

	events := make(chan genl.Message, 8)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go func() {
		defer close(events)
		for m, err := range c.Conn().Subscribe(sctx, FamilyName, GroupMgmt) {
			if err != nil {
				return
			}
			m.Data = append([]byte(nil), m.Data...)
			events <- m
		}
	}()
	time.Sleep(200 * time.Millisecond) // let the subscription join the group
	nstest.Cmd(t, ns, "ip", "link", "add", "vx0", "type", "veth", "peer", "vx1")
	m := <-events
	save("dev_add_ntf", m)
}
