package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNSIDKernelCapture(t *testing.T) {
	got := roRoundTrip[NSID](t, "nsid_kernel.hex", func(a, b *NSID) []string { return a.Diff(b) })
	require.Equal(t, int32(5), got[0].ID)
}

func FuzzNSIDUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "nsid_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[NSID](data) })
}
