package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNetconfKernelCapture(t *testing.T) {
	got := roRoundTrip[Netconf](t, "netconf_kernel.hex", func(a, b *Netconf) []string { return a.Diff(b) })
	var all bool
	for i := range got {
		if got[i].Ifindex == NetconfIfindexAll {
			all = true
		}
	}
	require.True(t, all)
}

func FuzzNetconfUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "netconf_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[Netconf](data) })
}
