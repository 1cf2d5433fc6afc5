package genltest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestPolicyDumpLikeKernel: genltest encodes nlctrl's own policies byte
// for byte as this kernel dumped them (../testdata/seeds/policy-*.bin,
// captured by genl's TestCaptureSeeds), command-0 quirk included.
func TestPolicyDumpLikeKernel(t *testing.T) {
	family := &core.Policy{Attrs: []core.AttrPolicy{
		unix.CTRL_ATTR_FAMILY_ID:   {Kind: core.KindU16},
		unix.CTRL_ATTR_FAMILY_NAME: {Kind: core.KindNulString, MaxLen: unix.GENL_NAMSIZ - 1},
	}}
	policy := &core.Policy{Attrs: []core.AttrPolicy{
		unix.CTRL_ATTR_FAMILY_ID:   {Kind: core.KindU16},
		unix.CTRL_ATTR_FAMILY_NAME: {Kind: core.KindNulString, MaxLen: unix.GENL_NAMSIZ - 1},
		unix.CTRL_ATTR_OP:          {Kind: core.KindU32},
	}}
	ops := []genl.Op{
		{ID: unix.CTRL_CMD_GETFAMILY, Flags: genl.OpCanDo | genl.OpCanDump},
		{ID: unix.CTRL_CMD_GETPOLICY, Flags: genl.OpCanDump},
	}
	got := genltest.PolicyDump(unix.GENL_ID_CTRL, ops, map[uint32]*core.Policy{
		unix.CTRL_CMD_GETFAMILY: family, unix.CTRL_CMD_GETPOLICY: policy,
	}, 0, false)
	files, err := filepath.Glob(filepath.Join("..", "testdata", "seeds", "policy-*.bin"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), len(got))
	for i, a := range got {
		want, err := os.ReadFile(files[i])
		require.NoError(t, err)
		require.Equal(t, want, genltest.Payload(unix.CTRL_CMD_GETPOLICY, 2, a), "message %d", i)
	}
}

// TestAppendFamilyLikeKernel: genltest describes nlctrl byte for byte as
// this kernel's controller did (../testdata/seeds/family-000.bin).
func TestAppendFamilyLikeKernel(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "testdata", "seeds", "family-000.bin"))
	require.NoError(t, err)
	got := genltest.Payload(unix.CTRL_CMD_NEWFAMILY, 2, genltest.AppendFamily(nil, &genl.Family{
		ID: unix.GENL_ID_CTRL, Name: "nlctrl", Version: 2,
		Ops: []genl.Op{
			{ID: unix.CTRL_CMD_GETFAMILY, Flags: genl.OpCanDo | genl.OpCanDump | genl.OpHasPolicy},
			{ID: unix.CTRL_CMD_GETPOLICY, Flags: genl.OpCanDump | genl.OpHasPolicy},
		},
		Groups: []genl.Group{{ID: genl.CtrlNotifyGroup, Name: "notify"}},
	}))
	require.Equal(t, want, got)
}
