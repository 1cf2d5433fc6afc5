package route

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// roObject is what the decoder tests and fuzz targets exercise.
type roObject interface {
	Unmarshal([]byte) error
	Marshal([]byte) ([]byte, error)
	String() string
}

// roRoundTrip decodes each capture, encodes it, decodes that again and
// checks the two values are equal by eq.
func roRoundTrip[T any, P interface {
	*T
	roObject
}](t *testing.T, file string, eq func(a, b *T) []string) []T {
	t.Helper()
	var out []T
	for _, b := range roReadCapture(t, file) {
		var v T
		require.NoError(t, P(&v).Unmarshal(b))
		require.NotEmpty(t, P(&v).String())
		_, err := json.Marshal(P(&v))
		require.NoError(t, err)
		enc, err := P(&v).Marshal(nil)
		require.NoError(t, err, P(&v).String())
		var w T
		require.NoError(t, P(&w).Unmarshal(enc), P(&v).String())
		require.Empty(t, eq(&v, &w), P(&v).String())
		out = append(out, v)
		// Decoding into a used value gives the same as into a new one.
		var reused T
		require.NoError(t, P(&reused).Unmarshal(enc))
		require.NoError(t, P(&reused).Unmarshal(b))
		require.Empty(t, eq(&v, &reused), P(&v).String())
	}
	return out
}

// roFuzz feeds data to a fresh value and, when it decodes, exercises the
// encoder, String and JSON: none may panic.
func roFuzz[T any, P interface {
	*T
	roObject
}](data []byte) {
	var v T
	if P(&v).Unmarshal(data) != nil {
		return
	}
	_ = P(&v).String()
	_, _ = json.Marshal(P(&v))
	if enc, err := P(&v).Marshal(nil); err == nil {
		var w T
		_ = P(&w).Unmarshal(enc)
	}
	// A second decode into the used value must not panic either.
	_ = P(&v).Unmarshal(data)
}

func roFuzzSeeds(f *testing.F, file string) {
	for _, b := range roReadCapture(f, file) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 0})
}

func TestNeighKernelCapture(t *testing.T) {
	got := roRoundTrip[Neigh](t, "neigh_kernel.hex", func(a, b *Neigh) []string { return a.Diff(b) })
	var fdb, proxy, inet6 int
	for i := range got {
		switch {
		case got[i].IsFDB():
			fdb++
		case got[i].Flags&NeighFlagProxy != 0:
			proxy++
		case got[i].Family == FamilyInet6:
			inet6++
		}
	}
	require.Positive(t, fdb)
	require.Positive(t, proxy)
	require.Positive(t, inet6)
}

func FuzzNeighUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "neigh_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[Neigh](data) })
}

// roAllocs is how many allocations decoding every capture of file into
// one reused value makes, per message, once the value has grown.
func roAllocs[T any, P interface {
	*T
	roObject
}](t *testing.T, file string) float64 {
	msgs := roReadCapture(t, file)
	var v T
	for _, m := range msgs {
		require.NoError(t, P(&v).Unmarshal(m))
	}
	// The best of three runs: a goroutine another test left behind can
	// allocate during one (AllocsPerRun counts the whole process).
	best := -1.0
	for range 3 {
		n := testing.AllocsPerRun(50, func() {
			for _, m := range msgs {
				_ = P(&v).Unmarshal(m)
			}
		}) / float64(len(msgs))
		if best < 0 || n < best {
			best = n
		}
	}
	return best
}

// The iterators decode into one reused value: once it has seen every
// kind of message, decoding allocates nothing.
func TestRouteObjectsDecodeAllocs(t *testing.T) {
	require.Zero(t, roAllocs[Neigh](t, "neigh_kernel.hex"))
	require.Zero(t, roAllocs[Nexthop](t, "nexthop_kernel.hex"))
	require.Zero(t, roAllocs[Netconf](t, "netconf_kernel.hex"))
	require.Zero(t, roAllocs[NSID](t, "nsid_kernel.hex"))
	require.Zero(t, roAllocs[Rule](t, "rule_kernel.hex"))
	require.Zero(t, roAllocs[Neightbl](t, "neightbl_kernel.hex"))
}
