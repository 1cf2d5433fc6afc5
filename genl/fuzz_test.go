package genl_test

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

// decodeAll encodes a policy dump as the kernel would and decodes it.
func decodeAll(t testing.TB, id uint16, ops []genl.Op, pols map[uint32]*core.Policy) *genl.PolicyDump {
	t.Helper()
	var d genl.PolicyDump
	for _, a := range genltest.PolicyDump(id, ops, pols, 0, false) {
		require.NoError(t, d.Decode(genltest.Payload(unix.CTRL_CMD_GETPOLICY, 2, a)))
	}
	return &d
}

func FuzzFamilyUnmarshal(f *testing.F) {
	f.Add(genltest.Payload(unix.CTRL_CMD_NEWFAMILY, 2, genltest.AppendFamily(nil, &genl.Family{
		ID: 20, Name: "demo", Version: 1, MaxAttr: 4,
		Ops:    []genl.Op{{ID: 1, Flags: 6}, {ID: 2, Flags: 0xb}},
		Groups: []genl.Group{{ID: 5, Name: "events"}},
	})))
	for _, s := range kernelSeeds(f, "family") {
		f.Add(s)
	}
	f.Add([]byte{1, 2, 0, 0, 4, 0, 6})
	f.Fuzz(func(t *testing.T, b []byte) {
		var fam genl.Family
		if err := fam.Unmarshal(b); err != nil {
			require.Equal(t, genl.Family{}, fam, "an error changes nothing")
			return
		}
		_ = fam.String()
		c := fam
		require.True(t, fam.Equal(&c))
	})
}

func FuzzPolicyDecode(f *testing.F) {
	for _, a := range genltest.PolicyDump(20, []genl.Op{{ID: 1, Flags: genl.OpCanDo | genl.OpCanDump}, {ID: 2, Flags: genl.OpCanDo}},
		map[uint32]*core.Policy{1: demoPolicy, 2: demoInner}, 0, false) {
		f.Add(genltest.Payload(unix.CTRL_CMD_GETPOLICY, 2, a))
	}
	for _, s := range kernelSeeds(f, "policy") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d genl.PolicyDump
		if err := d.Decode(b); err != nil {
			require.Equal(t, genl.PolicyDump{}, d, "an error changes nothing")
			return
		}
		_ = d.String()
		for _, tb := range d.Policies {
			p := d.Core(tb.Index, func([]uint16) string { return "x" })
			require.NotNil(t, p)
			_ = p.Validate(b)
		}
		for _, o := range d.Ops {
			d.OpCore(o.Op, false, nil)
			d.OpCore(o.Op, true, nil)
		}
	})
}

// kernelSeeds returns the message payloads captured from this kernel into
// testdata/seeds/<kind>-*.bin (see TestCaptureSeeds).
func kernelSeeds(t testing.TB, kind string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "seeds", kind+"-*.bin"))
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}
