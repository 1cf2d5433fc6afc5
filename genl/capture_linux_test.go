package genl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestCaptureSeeds refreshes the fuzz seeds in testdata/seeds from this
// kernel's controller when NLKIT_CAPTURE=1: a few families and the policy
// dumps of nlctrl and of ethtool's LINKINFO_GET, one payload per file.
func TestCaptureSeeds(t *testing.T) {
	if os.Getenv("NLKIT_CAPTURE") != "1" {
		t.Skip("set NLKIT_CAPTURE=1 to capture fuzz seeds from the kernel")
	}
	c, err := genl.Dial(nil)
	require.NoError(t, err)
	defer c.Close()
	dir := filepath.Join("testdata", "seeds")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ctx := context.Background()
	save := func(kind string, i int, b []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%03d.bin", kind, i)), b, 0o644))
	}
	i := 0
	for m, err := range c.Core().Dump(ctx, core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: []byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0}}) {
		require.NoError(t, err)
		save("family", i, m.Data)
		i++
	}
	i = 0
	for _, req := range []func(*core.AttrEncoder){
		func(e *core.AttrEncoder) { e.String(unix.CTRL_ATTR_FAMILY_NAME, "nlctrl") },
		func(e *core.AttrEncoder) {
			e.String(unix.CTRL_ATTR_FAMILY_NAME, "ethtool")
			e.Uint32(unix.CTRL_ATTR_OP, 1)
		},
	} {
		var e core.AttrEncoder
		e.Raw([]byte{unix.CTRL_CMD_GETPOLICY, 2, 0, 0})
		req(&e)
		for m, err := range c.Core().Dump(ctx, core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: e.Bytes()}) {
			require.NoError(t, err)
			save("policy", i, m.Data)
			i++
		}
	}
}
