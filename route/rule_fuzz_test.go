package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRuleKernelCapture(t *testing.T) {
	got := roRoundTrip[Rule](t, "rule_kernel.hex", func(a, b *Rule) []string { return a.Diff(b) })
	var full *Rule
	for i := range got {
		if got[i].Priority == 5 && got[i].Family == FamilyInet {
			full = &got[i]
		}
	}
	require.NotNil(t, full)
	require.True(t, full.Invert)
	require.Equal(t, "veth1", full.OIF)
	require.Equal(t, &RuleRange{100, 200}, full.UIDRange)
	require.Equal(t, uint32(1000), full.Table)
}

func FuzzRuleUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "rule_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[Rule](data) })
}
