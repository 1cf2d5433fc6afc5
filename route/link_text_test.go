package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Format names the parent and master when it can; a parent in another
// namespace stays ifN, as ip shows it.
func TestLinkFormatNames(t *testing.T) {
	names := func(i int32) string { return map[int32]string{2: "br0", 3: "veth1"}[i] }
	l := Link{Index: 4, Name: "veth0", ParentIndex: 3, Master: 2, MTU: 1500}
	require.Contains(t, l.Format(names), "4: veth0@veth1: ")
	require.Contains(t, l.Format(names), " master br0 ")
	require.Contains(t, l.String(), "4: veth0@if3: ")
	require.Contains(t, l.String(), " master if2 ")

	l.HasLinkNetNSID = true
	require.Contains(t, l.Format(names), "4: veth0@if3: ")
	l.Master = 9 // unknown to names
	require.Contains(t, l.Format(names), " master if9 ")
}
